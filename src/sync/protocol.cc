#include "sync/protocol.h"

#include "common/clock.h"
#include "common/ids.h"

namespace tandem {
namespace {

Json Opt(const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); }

Result<std::string> Str(const Json& j, const char* key, bool uuid = false) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) {
    return Status::InvalidArgument(std::string("catalogue: '") + key + "' must be a string");
  }
  std::string v = it->get<std::string>();
  if (uuid && !IsUuid(v)) return Status::InvalidArgument(std::string("catalogue: '") + key + "' must be a UUID");
  return uuid ? NormalizeUuid(v) : v;
}

Result<std::optional<std::string>> OptStr(const Json& j, const char* key, bool uuid = false) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<std::string>();
  ASSIGN_OR_RETURN(std::string v, Str(j, key, uuid));
  return std::optional<std::string>(v);
}

Result<int64_t> Time(const Json& j, const char* key) {
  ASSIGN_OR_RETURN(std::string text, Str(j, key));
  auto t = ParseTimestamp(text);
  if (!t) return Status::InvalidArgument(std::string("catalogue: '") + key + "' is not an RFC 3339 time");
  return *t;
}

Result<const Json*> Array(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) {
    return Status::InvalidArgument(std::string("catalogue: '") + key + "' must be an array");
  }
  return &*it;
}

}  // namespace

Json CatalogueEntryToJson(const CatalogueEntry& e) {
  const Resource& r = e.resource;
  Json branches = Json::array();
  for (size_t i = 0; i < e.branches.size(); ++i) {
    const Branch& b = e.branches[i];
    branches.push_back({{"id", b.id},
                        {"name", b.name},
                        {"head", Opt(b.head)},
                        {"headHash", e.head_hashes[i] ? Json(ToHex(*e.head_hashes[i])) : Json(nullptr)},
                        {"created", FormatTimestamp(b.created)}});
    if (!e.tag_cuts.empty()) {
      branches.back()["tagCut"] = e.tag_cuts[i] ? Json(*e.tag_cuts[i]) : Json(nullptr);
    }
  }
  Json tags = Json::array();
  for (const auto& t : e.tags) {
    tags.push_back({{"id", t.id},
                    {"name", t.name},
                    {"commitId", t.commit_id},
                    {"description", Opt(t.description)},
                    {"created", FormatTimestamp(t.created)}});
  }
  Json origin = Json::array();
  for (const auto& s : e.origin) origin.push_back({{"serverId", s}});
  return Json{{"id", r.id},
              {"projectId", r.project_id},
              {"name", r.name},
              {"description", Opt(r.description)},
              {"categoryId", r.category_id},
              {"created", FormatTimestamp(r.created)},
              {"defaultBranchId", r.default_branch_id},
              {"origin", origin},
              {"selectedBy", e.selected_by},
              {"branches", branches},
              {"tags", tags},
              {"usedProjects", e.used_projects},
              {"commitCount", e.commit_count}};
}

Result<CatalogueEntry> CatalogueEntryFromJson(const Json& j) {
  if (!j.is_object()) return Status::InvalidArgument("catalogue: an entry is not an object");
  CatalogueEntry e;
  Resource& r = e.resource;
  ASSIGN_OR_RETURN(r.id, Str(j, "id", true));
  ASSIGN_OR_RETURN(r.project_id, Str(j, "projectId"));
  ASSIGN_OR_RETURN(r.name, Str(j, "name"));
  ASSIGN_OR_RETURN(r.description, OptStr(j, "description"));
  ASSIGN_OR_RETURN(r.category_id, Str(j, "categoryId", true));
  ASSIGN_OR_RETURN(r.created, Time(j, "created"));
  ASSIGN_OR_RETURN(r.default_branch_id, Str(j, "defaultBranchId", true));
  ASSIGN_OR_RETURN(const Json* origin, Array(j, "origin"));
  for (const auto& o : *origin) {
    if (!o.is_object()) return Status::InvalidArgument("catalogue: an origin entry is not an object");
    ASSIGN_OR_RETURN(std::string s, Str(o, "serverId", true));
    e.origin.push_back(s);
  }
  ASSIGN_OR_RETURN(const Json* selected, Array(j, "selectedBy"));
  for (const auto& s : *selected) {
    if (!s.is_string()) return Status::InvalidArgument("catalogue: 'selectedBy' holds a non-string");
    e.selected_by.push_back(s.get<std::string>());
  }
  ASSIGN_OR_RETURN(const Json* branches, Array(j, "branches"));
  for (const auto& b : *branches) {
    Branch br;
    br.resource_id = r.id;
    ASSIGN_OR_RETURN(br.id, Str(b, "id", true));
    ASSIGN_OR_RETURN(br.name, Str(b, "name"));
    ASSIGN_OR_RETURN(br.head, OptStr(b, "head", true));
    ASSIGN_OR_RETURN(br.created, Time(b, "created"));
    ASSIGN_OR_RETURN(auto hash_hex, OptStr(b, "headHash"));
    std::optional<Hash> hash;
    if (hash_hex) {
      hash = HashFromHex(*hash_hex);
      if (!hash) return Status::InvalidArgument("catalogue: 'headHash' is not a SHA-256 in hex");
    }
    if (b.contains("tagCut")) {
      if (e.tag_cuts.size() != e.branches.size()) e.tag_cuts.resize(e.branches.size());
      ASSIGN_OR_RETURN(auto cut, OptStr(b, "tagCut", true));
      e.tag_cuts.push_back(cut);
    }
    e.branches.push_back(std::move(br));
    e.head_hashes.push_back(hash);
  }
  if (!e.tag_cuts.empty()) e.tag_cuts.resize(e.branches.size());
  if (j.contains("commitCount")) {
    if (!j["commitCount"].is_number_unsigned()) {
      return Status::InvalidArgument("catalogue: 'commitCount' must be a whole number");
    }
    e.commit_count = j["commitCount"].get<uint64_t>();
  }
  if (j.contains("usedProjects")) {
    ASSIGN_OR_RETURN(const Json* used, Array(j, "usedProjects"));
    for (const auto& u : *used) {
      if (!u.is_string() || !IsUuid(u.get<std::string>())) {
        return Status::InvalidArgument("catalogue: 'usedProjects' must hold UUIDs");
      }
      e.used_projects.push_back(NormalizeUuid(u.get<std::string>()));
    }
  }
  ASSIGN_OR_RETURN(const Json* tags, Array(j, "tags"));
  for (const auto& t : *tags) {
    Tag tag;
    tag.resource_id = r.id;
    ASSIGN_OR_RETURN(tag.id, Str(t, "id", true));
    ASSIGN_OR_RETURN(tag.name, Str(t, "name"));
    ASSIGN_OR_RETURN(tag.commit_id, Str(t, "commitId", true));
    ASSIGN_OR_RETURN(tag.description, OptStr(t, "description"));
    ASSIGN_OR_RETURN(tag.created, Time(t, "created"));
    e.tags.push_back(std::move(tag));
  }
  return e;
}

}  // namespace tandem
