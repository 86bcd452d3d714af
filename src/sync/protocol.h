// The tandem-sync protocol's constants and the catalogue record shared by the
// source (which builds it) and the target (which reads it). docs/sync-protocol.md
// is the reference. Value types and pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/canonical_json.h"
#include "store/records.h"

namespace tandem {

inline constexpr char kSyncProtocolName[] = "tandem-sync";
inline constexpr int kSyncProtocolMajor = 1;
// 1.1: catalogue answers carry the feed `position`; a request's `since`
// gets only "unchanged" while nothing happened (docs/sync-protocol.md).
inline constexpr int kSyncProtocolMinor = 1;
inline constexpr char kPackContentType[] = "application/vnd.tandem.pack+zstd";

// One resource as the source's catalogue describes it.
struct CatalogueEntry {
  Resource resource;                    // source's ids and metadata (category is the source's)
  std::vector<std::string> origin;      // server ids, origin first, ending with the source
  std::vector<std::string> selected_by; // "resource" and/or selected category ids
  std::vector<Branch> branches;
  std::vector<std::optional<Hash>> head_hashes;  // parallel to branches
  std::vector<Tag> tags;
  // With a tag in the request: per branch, the newest commit carrying it.
  std::vector<std::optional<std::string>> tag_cuts;  // parallel to branches, or empty
  std::vector<std::string> used_projects;  // projects its commits use (dependencies)
  uint64_t commit_count = 0;               // commits of the resource at the source
};

Json CatalogueEntryToJson(const CatalogueEntry& e);
// Validates a received entry; InvalidArgument names the bad field.
Result<CatalogueEntry> CatalogueEntryFromJson(const Json& j);

}  // namespace tandem
