#include "sync/remote_config.h"

#include <set>

#include "common/json_fields.h"
#include "common/ids.h"
#include "sync/http_sync_source.h"

namespace tandem {
namespace {

Result<std::vector<std::string>> IdList(const Json& body, const char* key) {
  std::vector<std::string> out;
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_array()) return Status::InvalidArgument(std::string("'") + key + "' must be a list of ids");
  std::set<std::string> seen;
  for (const auto& v : *it) {
    if (!v.is_string() || !IsUuid(v.get<std::string>())) {
      return Status::InvalidArgument(std::string("'") + key + "' must hold UUIDs only");
    }
    std::string id = NormalizeUuid(v.get<std::string>());
    if (seen.insert(id).second) out.push_back(id);
  }
  return out;
}

// "http://user:secret@host:port" would put the password into the stored spec,
// responses and logs. Refused without echoing the URL.
Status RefuseCredentialsInUrl(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? end : end - start);
  if (authority.find('@') == std::string::npos) return Status::Ok();
  return Status::InvalidArgument(
      "remote configuration: the source url must not contain a user name or password "
      "(user@host); give them as source.username and source.password, which are stored "
      "encrypted");
}

}  // namespace

std::string_view TriggerName(TriggerType t) {
  switch (t) {
    case TriggerType::kCommit: return "commit";
    case TriggerType::kTag: return "tag";
    case TriggerType::kManual: return "manual";
  }
  return "manual";
}

Result<RemoteConfigSpec> ParseRemoteConfigSpec(const Json& body, bool partial,
                                               const RemoteConfigSpec& base,
                                               std::optional<std::string>& password) {
  ASSIGN_OR_RETURN(auto f, JsonFields::Of(body, "remote configuration"));
  RETURN_IF_ERROR(f.OnlyAllowed({"name", "source", "resources", "categories", "targetCategoryId",
                                 "trigger", "once", "enabled"}));
  RemoteConfigSpec s = base;
  auto required = [&](const char* key) -> Status {
    if (!partial && !f.Has(key)) {
      return Status::InvalidArgument(std::string("remote configuration: field '") + key + "' is required");
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(required("name"));
  if (f.Has("name")) {
    ASSIGN_OR_RETURN(s.name, f.RequiredString("name"));
    if (s.name.empty() || s.name.size() > 256) {
      return Status::InvalidArgument("remote configuration: 'name' must have 1 to 256 characters");
    }
  }
  RETURN_IF_ERROR(required("source"));
  if (f.Has("source")) {
    ASSIGN_OR_RETURN(auto src, JsonFields::Of(f.Get("source"), "remote configuration source"));
    RETURN_IF_ERROR(src.OnlyAllowed({"url", "username", "password"}));
    if (!partial || src.Has("url")) {
      ASSIGN_OR_RETURN(s.source_url, src.RequiredString("url"));
      RETURN_IF_ERROR(RefuseCredentialsInUrl(s.source_url));
      RETURN_IF_ERROR(ValidateSourceUrl(s.source_url));
      if (s.source_url.back() == '/') s.source_url.pop_back();
    }
    if (!partial || src.Has("username")) {
      ASSIGN_OR_RETURN(s.username, src.RequiredString("username"));
    }
    if (!partial || src.Has("password")) {
      ASSIGN_OR_RETURN(std::string pw, src.RequiredString("password"));
      password = pw;
    }
  }
  if (f.Has("resources") || !partial) {
    ASSIGN_OR_RETURN(s.resources, IdList(body, "resources"));
  }
  if (f.Has("categories") || !partial) {
    ASSIGN_OR_RETURN(s.categories, IdList(body, "categories"));
  }
  if (s.resources.empty() && s.categories.empty()) {
    return Status::InvalidArgument("remote configuration: select at least one resource or category");
  }
  RETURN_IF_ERROR(required("targetCategoryId"));
  if (f.Has("targetCategoryId")) {
    ASSIGN_OR_RETURN(s.target_category_id, f.RequiredString("targetCategoryId"));
    if (!IsUuid(s.target_category_id)) {
      return Status::InvalidArgument("remote configuration: 'targetCategoryId' must be a UUID");
    }
    s.target_category_id = NormalizeUuid(s.target_category_id);
  }
  if (f.Has("trigger")) {
    ASSIGN_OR_RETURN(auto t, JsonFields::Of(f.Get("trigger"), "trigger"));
    RETURN_IF_ERROR(t.OnlyAllowed({"type", "tag"}));
    ASSIGN_OR_RETURN(std::string type, t.RequiredString("type"));
    s.trigger_tag.clear();
    if (type == "commit") {
      s.trigger = TriggerType::kCommit;
    } else if (type == "manual") {
      s.trigger = TriggerType::kManual;
    } else if (type == "tag") {
      s.trigger = TriggerType::kTag;
      ASSIGN_OR_RETURN(s.trigger_tag, t.RequiredString("tag"));
      if (s.trigger_tag.empty()) return Status::InvalidArgument("trigger: 'tag' must not be empty");
    } else {
      return Status::InvalidArgument("trigger: 'type' must be commit, tag or manual, got '" + type + "'");
    }
  } else if (!partial) {
    s.trigger = TriggerType::kCommit;
  }
  ASSIGN_OR_RETURN(auto once, f.OptionalBool("once"));
  if (once) s.once = *once;
  ASSIGN_OR_RETURN(auto enabled, f.OptionalBool("enabled"));
  if (enabled) s.enabled = *enabled;
  if (!partial && !password) {
    return Status::InvalidArgument("remote configuration: 'source.password' is required");
  }
  return s;
}

Json SpecToJson(const RemoteConfigSpec& s) {
  Json trigger = {{"type", TriggerName(s.trigger)}};
  if (s.trigger == TriggerType::kTag) trigger["tag"] = s.trigger_tag;
  return Json{{"name", s.name},
              {"source", {{"url", s.source_url}, {"username", s.username}}},
              {"resources", s.resources},
              {"categories", s.categories},
              {"targetCategoryId", s.target_category_id},
              {"trigger", trigger},
              {"once", s.once},
              {"enabled", s.enabled}};
}

Result<RemoteConfigSpec> SpecFromStored(const std::string& stored) {
  auto j = ParseJson(stored, "stored remote configuration");
  if (!j.ok()) return Status::Corruption(j.status().message());
  std::optional<std::string> ignored;
  Json with_password = *j;
  with_password["source"]["password"] = "(stored separately)";
  auto spec = ParseRemoteConfigSpec(with_password, false, RemoteConfigSpec{}, ignored);
  if (!spec.ok()) return Status::Corruption("stored remote configuration: " + spec.status().message());
  return spec;
}

}  // namespace tandem
