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

// The deepest nesting any JSON document is ever parsed with, and the ceiling
// of `server.max-json-depth`. nlohmann's dump() recurses once per level; at
// this depth it stays far inside a thread's default 8 MiB stack even under
// AddressSanitizer (which crashes near 30 000 levels), so a DOM built by
// ParseJson can always be rendered. (Its destructor is iterative.)
inline constexpr size_t kMaxJsonDepthCeiling = 10'000;

// Parses `text`, turning nlohmann's exceptions into InvalidArgument with the
// byte position and reason. Nesting deeper than `max_depth` (at most
// kMaxJsonDepthCeiling) is refused while reading, before a deep document is
// built in memory.
Result<Json> ParseJson(std::string_view text, std::string_view what,
                       size_t max_depth = kMaxJsonDepthCeiling);

// Whether `text` is one JSON document nesting at most `max_depth` deep, read
// without building it in memory (about half the time of ParseJson): Ok, or
// InvalidArgument naming `what` as ParseJson would.
Status CheckJson(std::string_view text, std::string_view what,
                 size_t max_depth = kMaxJsonDepthCeiling);

// ParseJson for records this server stored itself (origins, scopes, states):
// the document, or a discarded value (is_discarded()) when the text is not
// JSON or nests deeper than `max_depth`. The bounded replacement of
// `Json::parse(text, nullptr, false)`.
Json ParseJsonOrDiscarded(std::string_view text, size_t max_depth = kMaxJsonDepthCeiling);

// Parses an element version (or any hashed JSON text): it must nest no deeper
// than `max_depth` and be exactly its own canonical form, so its hash names
// one document. InvalidArgument naming `what` and the limit otherwise.
Result<Json> ParseCanonicalJson(std::string_view text, std::string_view what, size_t max_depth);

// Nesting depth of a document already in memory (a scalar is 0, [] is 1),
// counted without recursion, so a deep document can be measured before it is
// dumped (which recurses).
size_t JsonDepth(const Json& value);

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
