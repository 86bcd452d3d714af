#include "common/json_fields.h"

#include <set>

#include "common/ids.h"

namespace tandem {

Result<JsonFields> JsonFields::Of(const Json& value, std::string what) {
  if (!value.is_object()) return Status::InvalidArgument(what + " must be a JSON object");
  return JsonFields(value, std::move(what));
}

Status JsonFields::Bad(const char* key, const char* expected) const {
  return Status::InvalidArgument(what_ + ": field '" + key + "' must be " + expected);
}

Status JsonFields::OnlyAllowed(std::initializer_list<const char*> allowed) const {
  std::set<std::string> ok(allowed.begin(), allowed.end());
  for (const auto& [key, v] : value_.items()) {
    if (!ok.count(key)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return Status::InvalidArgument(what_ + ": unknown field '" + key + "' (allowed: " + list + ")");
    }
  }
  return Status::Ok();
}

Result<std::string> JsonFields::RequiredString(const char* key) const {
  auto it = value_.find(key);
  if (it == value_.end()) return Status::InvalidArgument(what_ + ": field '" + key + "' is required");
  if (!it->is_string()) return Bad(key, "a string");
  return it->get<std::string>();
}

Result<std::optional<std::string>> JsonFields::OptionalString(const char* key) const {
  auto it = value_.find(key);
  if (it == value_.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return Bad(key, "a string or null");
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::optional<std::optional<std::string>>> JsonFields::NullableString(
    const char* key) const {
  using R = std::optional<std::optional<std::string>>;
  auto it = value_.find(key);
  if (it == value_.end()) return R();
  if (it->is_null()) return R(std::optional<std::string>());
  if (!it->is_string()) return Bad(key, "a string or null");
  return R(std::optional<std::string>(it->get<std::string>()));
}

Result<std::optional<bool>> JsonFields::OptionalBool(const char* key) const {
  auto it = value_.find(key);
  if (it == value_.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) return Bad(key, "true or false");
  return std::optional<bool>(it->get<bool>());
}

Result<std::optional<std::string>> JsonFields::OptionalReference(const char* key) const {
  auto it = value_.find(key);
  if (it == value_.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_object() || !it->contains("@id") || !(*it)["@id"].is_string()) {
    return Bad(key, "a reference {\"@id\": \"<uuid>\"}");
  }
  std::string id = (*it)["@id"].get<std::string>();
  if (!IsUuid(id)) return Bad(key, "a reference whose @id is a UUID");
  return std::optional<std::string>(NormalizeUuid(id));
}

Result<std::string> JsonFields::RequiredReference(const char* key) const {
  ASSIGN_OR_RETURN(auto ref, OptionalReference(key));
  if (!ref) return Status::InvalidArgument(what_ + ": field '" + key + "' is required");
  return *ref;
}

Status JsonFields::TypeIs(const char* expected) const {
  auto it = value_.find("@type");
  if (it == value_.end()) return Status::Ok();
  if (!it->is_string() || it->get<std::string>() != expected) {
    return Status::InvalidArgument(what_ + ": '@type' must be \"" + expected + "\"");
  }
  return Status::Ok();
}

}  // namespace tandem
