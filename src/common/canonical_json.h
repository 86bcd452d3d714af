// Canonical JSON: the byte form that element versions and commits are hashed
// over. Objects have their keys sorted by byte order, there is no whitespace,
// strings are UTF-8 with only the escapes JSON requires, numbers are printed
// in their shortest round-trip form. Thread-safe (pure functions).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace tandem {

using Json = nlohmann::json;

// The canonical text of `value`. Fails only for strings that are not valid UTF-8.
Result<std::string> CanonicalJson(const Json& value);

// Parses `text`, turning nlohmann's exceptions into InvalidArgument with the
// byte position and reason. `max_depth` bounds nesting (0 = no limit).
Result<Json> ParseJson(std::string_view text, std::string_view what, size_t max_depth = 0);

// Reads of fields in JSON from outside (a source server, a bundle) that never
// throw: the field's value when `j` is an object holding `key` with the
// expected type, else `fallback`. (nlohmann's value() throws when the field
// exists with another type, which hostile input can arrange.)
std::string JsonString(const Json& j, std::string_view key, std::string fallback = "");
int64_t JsonInt(const Json& j, std::string_view key, int64_t fallback);
bool JsonBool(const Json& j, std::string_view key, bool fallback);
// The field when it is an array, else an empty array.
Json JsonArray(const Json& j, std::string_view key);

}  // namespace tandem
