// HttpRequest: one HTTP request as the API layer sees it, independent of the
// engine that read it (http_engine.h). The engine fills it once the request
// head and body have passed their limits; the router adds the captures of the
// matched route pattern. Header names compare case-insensitively (RFC 9110);
// the path and query parameters are percent-decoded as cpp-httplib did, so
// routes match and report the same text as before.
//
// A value type; not thread-safe, but a request is only used by one thread at a
// time (a worker while its handler runs).
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem {

struct HttpRequest {
  std::string method;   // "GET", ...
  std::string target;   // as received: path and query, percent-encoded
  std::string version;  // "HTTP/1.1"
  std::string path;     // percent-decoded path of `target`
  // Percent-decoded query parameters ('+' is a space), sorted by name.
  std::multimap<std::string, std::string> params;
  std::vector<std::pair<std::string, std::string>> headers;  // in the order received
  std::string body;
  std::string remote_addr;  // the client's IP address
  // The TLS session for a request that came over HTTPS, else null; owned by
  // the connection, valid while the request is.
  const SSL* ssl = nullptr;
  // When the request head was complete (long polls count their wait from here).
  std::chrono::steady_clock::time_point received;
  // Captures of the route pattern; [0] is the whole path. Set by the router.
  std::vector<std::string> matches;

  // The first value of header `name` (any case), or "" if absent.
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
  // The first value of query parameter `name`, or "" if absent.
  std::string Param(const std::string& name) const;
  bool HasParam(const std::string& name) const { return params.count(name) > 0; }
};

// Splits a request target into its decoded path and query parameters.
void ParseTarget(const std::string& target, std::string& path,
                 std::multimap<std::string, std::string>& params);

}  // namespace tandem
