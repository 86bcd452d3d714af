// Percent-encoding and -decoding of URL path segments and query components
// (RFC 3986).
// Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace tandem {

// Encodes everything but the unreserved characters A-Z a-z 0-9 - . _ ~.
std::string PercentEncode(std::string_view text);

// Replaces each %XX (two hex digits) by its byte and, when `plus_is_space`
// (query components, HTML forms), '+' by a space. A '%' not followed by two
// hex digits stays as it is, so any input decodes.
std::string PercentDecode(std::string_view text, bool plus_is_space);

}  // namespace tandem
