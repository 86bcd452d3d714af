#include "api/sysml_json.h"

#include "common/json_fields.h"
#include "common/clock.h"
#include "common/ids.h"

namespace tandem {
namespace {

Json OptString(const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); }

}  // namespace

Json IdRef(const std::string& id) { return Json{{"@id", id}}; }

Json ProjectJson(const Resource& r) {
  return Json{{"@id", r.id},
              {"@type", "Project"},
              {"alias", Json::array()},
              {"created", FormatTimestamp(r.created)},
              {"defaultBranch", IdRef(r.default_branch_id)},
              {"description", OptString(r.description)},
              {"name", r.name}};
}

Json BranchJson(const Branch& b) {
  // A branch with no commit yet has no head and so nothing to reference.
  Json head = b.head ? IdRef(*b.head) : Json(nullptr);
  return Json{{"@id", b.id},
              {"@type", "Branch"},
              {"alias", Json::array()},
              {"created", FormatTimestamp(b.created)},
              {"deleted", nullptr},
              {"description", OptString(b.description)},
              {"head", head},
              {"name", b.name},
              {"owningProject", IdRef(b.resource_id)},
              {"referencedCommit", head}};
}

Json TagJson(const Tag& t) {
  return Json{{"@id", t.id},
              {"@type", "Tag"},
              {"alias", Json::array()},
              {"created", FormatTimestamp(t.created)},
              {"deleted", nullptr},
              {"description", OptString(t.description)},
              {"name", t.name},
              {"owningProject", IdRef(t.resource_id)},
              {"referencedCommit", IdRef(t.commit_id)},
              {"taggedCommit", IdRef(t.commit_id)}};
}

Json CommitJson(const Commit& c) {
  Json parents = Json::array();
  for (const auto& p : c.parents) parents.push_back(IdRef(p));
  return Json{{"@id", c.id},
              {"@type", "Commit"},
              {"alias", Json::array()},
              {"created", FormatTimestamp(c.created)},
              {"description", OptString(c.description)},
              {"name", OptString(c.name)},
              {"owningProject", IdRef(c.resource_id)},
              {"previousCommit", parents}};
}

Json DataIdentityJson(const std::string& element_id) {
  return Json{{"@id", element_id},
              {"@type", "DataIdentity"},
              {"alias", Json::array()},
              {"description", nullptr},
              {"name", nullptr}};
}

Json DataVersionJson(const std::string& version_id, const std::string& element_id,
                     const std::optional<Json>& payload) {
  return Json{{"@id", version_id},
              {"@type", "DataVersion"},
              {"alias", Json::array()},
              {"description", nullptr},
              {"identity", DataIdentityJson(element_id)},
              {"name", nullptr},
              {"payload", payload ? *payload : Json(nullptr)}};
}

Json DataDifferenceJson(const std::string& base_commit, const std::string& compare_commit,
                        const DataDifference& d) {
  auto side = [&](const std::string& commit, const std::optional<Json>& data) -> Json {
    if (!data) return nullptr;
    return DataVersionJson(DerivedUuid(commit + "/" + d.element_id), d.element_id, data);
  };
  return Json{{"@type", "DataDifference"},
              {"baseData", side(base_commit, d.base)},
              {"compareData", side(compare_commit, d.compare)}};
}

std::string RenderJson(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json ErrorJson(const std::string& description) {
  return Json{{"@type", "Error"}, {"description", description}};
}

Result<CommitRequest> ParseCommitRequest(const Json& body) {
  ASSIGN_OR_RETURN(auto fields, JsonFields::Of(body, "commit request"));
  RETURN_IF_ERROR(fields.OnlyAllowed(
      {"@type", "alias", "change", "description", "name", "previousCommit"}));
  RETURN_IF_ERROR(fields.TypeIs("Commit"));
  CommitRequest req;
  ASSIGN_OR_RETURN(req.description, fields.OptionalString("description"));
  ASSIGN_OR_RETURN(req.name, fields.OptionalString("name"));
  if (fields.Has("previousCommit")) {
    // Tandem accepts the commit the client built on, as a reference or a
    // one-element list, to refuse a commit onto a head that has moved.
    Json prev = fields.Get("previousCommit");
    if (prev.is_array()) {
      if (prev.size() != 1) {
        return Status::InvalidArgument("commit request: 'previousCommit' must name exactly one commit");
      }
      prev = prev[0];
    }
    Json wrapper{{"previousCommit", prev}};
    ASSIGN_OR_RETURN(auto w, JsonFields::Of(wrapper, "commit request"));
    ASSIGN_OR_RETURN(req.previous_commit, w.OptionalReference("previousCommit"));
  }
  if (!fields.Has("change")) return Status::InvalidArgument("commit request: field 'change' is required");
  const Json& changes = fields.Get("change");
  if (!changes.is_array()) return Status::InvalidArgument("commit request: 'change' must be an array");
  req.changes.reserve(changes.size());
  for (size_t i = 0; i < changes.size(); ++i) {
    ASSIGN_OR_RETURN(auto ch, JsonFields::Of(changes[i], "change[" + std::to_string(i) + "]"));
    RETURN_IF_ERROR(ch.OnlyAllowed({"@type", "alias", "description", "identity", "name", "payload"}));
    RETURN_IF_ERROR(ch.TypeIs("DataVersion"));
    ElementChange out;
    if (ch.Has("identity") && !ch.Get("identity").is_null()) {
      ASSIGN_OR_RETURN(auto id, JsonFields::Of(ch.Get("identity"), ch.what() + ".identity"));
      RETURN_IF_ERROR(id.OnlyAllowed({"@id", "@type", "alias", "description", "name"}));
      ASSIGN_OR_RETURN(std::string eid, id.RequiredString("@id"));
      out.element_id = eid;
    }
    if (!ch.Has("payload")) {
      return Status::InvalidArgument(ch.what() + ": field 'payload' is required (null deletes)");
    }
    out.payload = ch.Get("payload");
    req.changes.push_back(std::move(out));
  }
  return req;
}

Result<std::vector<ElementChange>> ParseMergeResolutions(const Json& body) {
  std::vector<ElementChange> out;
  if (body.is_null()) return out;
  if (!body.is_array()) {
    return Status::InvalidArgument(
        "merge request: the body must be null or an array of the elements "
        "that resolve the conflicts");
  }
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    std::string what = "merge resolution[" + std::to_string(i) + "]";
    const Json& item = body[i];
    if (!item.is_object() || !item.contains("@id") || !item["@id"].is_string()) {
      return Status::InvalidArgument(what +
                                     " must be an element (or a DataIdentity) with a string '@id'");
    }
    ElementChange ch;
    ch.element_id = item["@id"].get<std::string>();
    if (item.value("@type", "") == "DataIdentity") {
      ch.payload = nullptr;  // resolved by deleting the element
    } else {
      ch.payload = item;
    }
    out.push_back(std::move(ch));
  }
  return out;
}

}  // namespace tandem
