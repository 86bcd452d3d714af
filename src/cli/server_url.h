// ServerUrl: the parsed --server option (scheme, host, port).
//
// The CLI talks to one server origin; request paths are absolute ("/api/v1/...").
// A URL with credentials, a path other than "/", a query or a fragment is
// rejected so that nothing surprising is silently dropped. Plain value type.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace tandem {

struct ServerUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // a name, an IPv4 address, or an IPv6 address without brackets
  int port = 0;

  bool is_https() const { return scheme == "https"; }
  // "http://127.0.0.1:8111", "https://[::1]:8443"; always with the port.
  std::string ToString() const;
};

// Parses "http[s]://host[:port][/]". The default port is 80 for http, 443 for https.
// Errors are InvalidArgument and never repeat credentials found in the URL.
Result<ServerUrl> ParseServerUrl(std::string_view url);

}  // namespace tandem
