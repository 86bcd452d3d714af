// Request targets: building "path?query" strings for the Transport, and
// following the pagination links that the server sends in `Link` headers.
//
// Path segments and query values are percent-encoded here, once; the
// Transport sends targets verbatim. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/percent_encoding.h"

namespace tandem {

// Appends `name=value` pairs to `target` ('?' or '&' as needed). Values are
// percent-encoded; names are sent as given (e.g. "page[size]"). Pairs whose
// value is empty are skipped.
std::string AppendQuery(std::string target,
                        const std::vector<std::pair<std::string, std::string>>& params);

// The URL of the link with relation "next" in an RFC 8288 Link header value,
// e.g. `<http://h/x?page[after]=7>; rel="next"`, if there is one.
std::optional<std::string> FindNextLink(std::string_view link_header);

// The path-and-query to request for `url` (absolute, root-relative or
// relative to `current_target`). The scheme and authority of an absolute URL
// are dropped: requests always go to the configured server, so credentials
// never travel to another host.
std::string TargetFromLink(std::string_view url, std::string_view current_target);

}  // namespace tandem
