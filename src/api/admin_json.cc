#include "api/admin_json.h"

#include "common/canonical_json.h"
#include "common/clock.h"

namespace tandem {

Json CategoryRecord(const Category& c) {
  return Json{{"id", c.id},
              {"name", c.name},
              {"parentId", c.parent_id ? Json(*c.parent_id) : Json(nullptr)},
              {"description", c.description},
              {"readOnly", c.read_only},
              {"created", FormatTimestamp(c.created)}};
}

Json ResourceRecord(const Resource& r) {
  Json origin = nullptr;
  if (!r.origin.empty()) {
    origin = ParseJsonOrDiscarded(r.origin);
    if (origin.is_discarded()) origin = r.origin;  // keep what is there rather than hide it
  }
  return Json{{"id", r.id},
              {"projectId", r.project_id},
              {"name", r.name},
              {"description", r.description ? Json(*r.description) : Json(nullptr)},
              {"categoryId", r.category_id},
              {"readOnly", r.read_only},
              {"origin", origin},
              {"defaultBranchId", r.default_branch_id},
              {"created", FormatTimestamp(r.created)}};
}

Json CommitRecord(const CommitView& v) {
  const Commit& c = v.commit;
  Json tags = Json::array();
  for (const auto& t : v.tags) tags.push_back({{"id", t.id}, {"name", t.name}});
  return Json{{"id", c.id},
              {"resourceId", c.resource_id},
              {"parents", c.parents},
              {"author", c.author},
              {"created", FormatTimestamp(c.created)},
              {"name", c.name ? Json(*c.name) : Json(nullptr)},
              {"description", c.description ? Json(*c.description) : Json(nullptr)},
              {"hash", ToHex(c.hash)},
              {"stateRoot", ToHex(c.state_root)},
              {"elementCount", c.element_count},
              {"changeCount", c.change_count},
              {"branchIds", v.branch_ids},
              {"tags", tags}};
}

Json UserRecord(const User& u) {
  Json scopes = ParseJsonOrDiscarded(u.scopes);
  return Json{{"name", u.name},
              {"role", u.role},
              {"scopes", scopes.is_array() ? scopes : Json::array()},
              {"created", FormatTimestamp(u.created)}};
}

Json EventRecord(const Event& e) {
  Json data = ParseJsonOrDiscarded(e.data);
  if (data.is_discarded() || !data.is_object()) data = Json::object();
  data["seq"] = e.seq;
  data["type"] = e.type;
  data["created"] = FormatTimestamp(e.created);
  if (e.resource_id) data["resourceId"] = *e.resource_id;
  return data;
}

}  // namespace tandem
