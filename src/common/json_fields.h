// JsonFields: validated access to the fields of a JSON request object. Each
// accessor returns InvalidArgument naming the object and field when the value
// is missing or has the wrong type, so every bad request body gets a message
// that says exactly what to fix. Not thread-safe; one per request.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>

#include "common/canonical_json.h"
#include "common/status.h"

namespace tandem {

class JsonFields {
 public:
  // `what` names the object in messages, e.g. "request body" or "change[3]".
  static Result<JsonFields> Of(const Json& value, std::string what);

  // Refuses fields outside `allowed` (the SysML v2 records forbid extra properties).
  Status OnlyAllowed(std::initializer_list<const char*> allowed) const;

  Result<std::string> RequiredString(const char* key) const;
  // Absent -> nullopt; null -> nullopt; else must be a string.
  Result<std::optional<std::string>> OptionalString(const char* key) const;
  // Tri-state: absent -> nullopt; null -> optional(nullopt); string -> value.
  Result<std::optional<std::optional<std::string>>> NullableString(const char* key) const;
  Result<std::optional<bool>> OptionalBool(const char* key) const;
  // {"@id": "..."} references; the id must be a UUID.
  Result<std::string> RequiredReference(const char* key) const;
  Result<std::optional<std::string>> OptionalReference(const char* key) const;
  // "@type", when present, must equal `expected`.
  Status TypeIs(const char* expected) const;

  bool Has(const char* key) const { return value_.contains(key); }
  const Json& Get(const char* key) const { return value_.at(key); }
  const std::string& what() const { return what_; }

 private:
  JsonFields(const Json& value, std::string what) : value_(value), what_(std::move(what)) {}
  Status Bad(const char* key, const char* expected) const;

  const Json& value_;
  std::string what_;
};

}  // namespace tandem
