// ClientRequest and ClientResponse: one HTTP exchange as Tandem's clients (the
// CLI and the synchronization client, both over net/http_client.h) build and
// read it. Plain value types.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct ClientRequest {
  std::string method;        // "GET", "POST", "PATCH", "DELETE"
  std::string target;        // path and query, already percent-encoded: "/api/v1/users?x=1"
  std::string body;          // empty for none
  std::string content_type;  // set when body is non-empty
  HttpHeaders headers;       // extra headers (Authorization, Accept, ...)
  // Optional, for large downloads: a 2xx response body goes here piece by
  // piece instead of into ClientResponse::body (other statuses still fill
  // body); returning false aborts the transfer.
  std::function<bool(std::string_view)> body_sink;
};

struct ClientResponse {
  int status = 0;
  std::string body;
  HttpHeaders headers;

  // The first header named `name` (case-insensitive), if any.
  std::optional<std::string> Header(std::string_view name) const;
};

// The standard reason phrase of an HTTP status ("Conflict" for 409), or "" if unknown.
std::string_view HttpReasonPhrase(int status);

}  // namespace tandem
