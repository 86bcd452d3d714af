// ServerUrl: the origin of an HTTP server (scheme, host, port), as the CLI's
// --server option and a synchronization source's url name it.
//
// Clients talk to one origin; request paths are absolute ("/api/v1/...").
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
  bool explicit_port = false;  // the URL named its port (not the scheme's default)

  bool is_https() const { return scheme == "https"; }
  // "http://127.0.0.1:8111", "https://[::1]:8443"; always with the port.
  std::string ToString() const;
};

// Parses "http[s]://host[:port][/]". The default port is 80 for http, 443 for https.
// Errors are InvalidArgument naming `what` ("--server URL", "source url") and
// never repeat credentials found in the URL.
Result<ServerUrl> ParseServerUrl(std::string_view url, std::string_view what = "--server URL");

}  // namespace tandem
