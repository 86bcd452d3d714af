// Transport: the one seam between the tandem CLI and the network.
//
// The CLI builds HttpRequests (method, path-and-query, body, headers) and hands
// them to a Transport, which returns the server's HttpResponse whatever its
// status code. A Transport fails (returns a non-OK Status) only when no HTTP
// response arrived at all: connection refused, DNS failure, TLS verification
// failure, timeout. The production implementation is HttplibTransport; tests
// substitute a fake. Implementations need not be thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace tandem {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;        // "GET", "POST", "PATCH", "DELETE"
  std::string target;        // path and query, already percent-encoded: "/api/v1/users?x=1"
  std::string body;          // empty for none
  std::string content_type;  // set when body is non-empty
  HttpHeaders headers;       // extra headers (Authorization, Accept, ...)
  // Optional, for large downloads: a 2xx response body goes here piece by
  // piece instead of into HttpResponse::body (other statuses still fill
  // body); returning false aborts the transfer.
  std::function<bool(std::string_view)> body_sink;
};

struct HttpResponse {
  int status = 0;
  std::string body;
  HttpHeaders headers;

  // The first header named `name` (case-insensitive), if any.
  std::optional<std::string> Header(std::string_view name) const;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Sends `request` and returns the response, or an error Status when no
  // response was received: Unavailable when the server could not be reached,
  // Unauthenticated when an https server's certificate failed verification.
  // The message names the cause (never a password).
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

// The standard reason phrase of an HTTP status ("Conflict" for 409), or "" if unknown.
std::string_view HttpReasonPhrase(int status);

}  // namespace tandem
