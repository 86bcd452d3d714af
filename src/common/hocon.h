// ConfigDocument: the parsed form of `application.conf`, the HOCON file the
// server reads its settings from. Only the part of HOCON that such files use
// is accepted (see below); anything else is rejected with "FILE:LINE: reason"
// rather than guessed at, so a setting is never silently misread. A parsed
// document is immutable and safe to read from many threads; the parse and the
// Config* helpers are pure functions.
//
// Accepted: `key = value`, `key : value`, `key { ... }`, `key = { ... }`;
// dotted keys (`a.b.c = 1`, same as `a { b { c = 1 } }`) with quoted segments
// (`"a.b"` is one segment); `#` and `//` comments; newline or comma between
// fields; an optional `{ }` around the whole file; values that are quoted
// strings with JSON escapes, unquoted strings, numbers, true, false, null and
// lists `[...]` of those (lists may nest, span lines and end with a comma).
//
// Merging follows HOCON: the same key written twice keeps the later value;
// two objects merge key by key; a later scalar or list replaces an earlier
// object whole, and a later object replaces an earlier scalar or list (so
// `a = {x = 1}`, `a = 5`, `a = {y = 2}` leaves only `a.y`).
//
// Rejected: include, substitutions `${...}`, `+=`, triple-quoted strings,
// value concatenation (`a = "x" y`), objects inside lists, NUL bytes (raw or
// as \u0000), and the characters HOCON forbids in unquoted text, which are
// $ " { } [ ] : = , + # ` ^ ? ! @ * & and backslash; so a URL has to be
// quoted, exactly as real HOCON requires.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tandem {

struct ConfigValue {
  enum class Type { kString, kNumber, kBool, kNull, kList };
  Type type = Type::kNull;
  // The scalar as written: strings unquoted and unescaped, "true"/"false",
  // "null", or the number text. Empty for lists.
  std::string text;
  std::vector<ConfigValue> items;  // kList only; items are scalars or lists.
  std::string file;                // File name the value came from.
  int line = 0;                    // 1-based line of the key (of the item itself for list items).
};

class ConfigDocument {
 public:
  // Errors are InvalidArgument "FILE:LINE: reason", e.g.
  // "application.conf:7: expected '=' or ':' after key 'server.port'".
  static Result<ConfigDocument> ParseText(std::string_view text, std::string_view file_name);
  // IOError "cannot read FILE: <strerror>" when unreadable; otherwise as
  // ParseText, with `path` as the file name.
  static Result<ConfigDocument> ParseFile(const std::string& path);

  // Flattened: dotted path -> value. Objects appear only through their leaf
  // values (an empty object leaves no entry). A path segment that is empty or
  // holds a character other than letters, digits, '-' and '_' (or non-ASCII)
  // is written quoted, as HOCON renders paths: `a."b.c"`.
  const std::map<std::string, ConfigValue>& values() const { return values_; }
  // `dotted_key` is a HOCON path (`server.port`, `a."b.c"`); nullptr when the
  // path is absent, names an object, or is not a valid path.
  const ConfigValue* Find(std::string_view dotted_key) const;

 private:
  std::map<std::string, ConfigValue> values_;
};

// Typed reads of one setting; `key` is only used in the message. Each returns
// InvalidArgument "FILE:LINE: 'key' must be <what>, got '<text>'" (for a list:
// "got a list") when the value does not fit. As in HOCON, a quoted string
// whose text fits is accepted too ("8111" for an int, "true" for a bool), and
// ConfigString accepts numbers and booleans as their text.
Result<int64_t> ConfigInt(const ConfigValue& v, std::string_view key, int64_t min, int64_t max);
Result<bool> ConfigBool(const ConfigValue& v, std::string_view key);
Result<std::string> ConfigString(const ConfigValue& v, std::string_view key);

}  // namespace tandem
