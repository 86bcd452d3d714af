// Percent-encoding of URL path segments and query components (RFC 3986).
// Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace tandem {

// Encodes everything but the unreserved characters A-Z a-z 0-9 - . _ ~.
std::string PercentEncode(std::string_view text);

}  // namespace tandem
