#include "repo/commit_hash.h"

#include "common/canonical_json.h"
#include "common/clock.h"

namespace tandem {

Result<Hash> ComputeCommitHash(const Commit& c, const std::vector<Hash>& parent_hashes) {
  Json parents = Json::array();
  for (const auto& h : parent_hashes) parents.push_back(ToHex(h));
  Json doc = {
      {"format", "tandem-commit-1"},
      {"id", c.id},
      {"resource", c.resource_id},
      {"parents", parents},
      {"state", ToHex(c.state_root)},
      {"author", c.author},
      {"created", FormatTimestamp(c.created)},
      {"name", c.name ? Json(*c.name) : Json(nullptr)},
      {"description", c.description ? Json(*c.description) : Json(nullptr)},
  };
  ASSIGN_OR_RETURN(std::string text, CanonicalJson(doc));
  return Sha256(text);
}

}  // namespace tandem
