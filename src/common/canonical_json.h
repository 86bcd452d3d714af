// Canonical JSON: the byte form that element versions and commits are hashed
// over. Objects have their keys sorted by byte order, there is no whitespace,
// strings are UTF-8 with only the escapes JSON requires, numbers are printed
// in their shortest round-trip form. Thread-safe (pure functions).
#pragma once

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

}  // namespace tandem
