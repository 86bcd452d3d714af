// ApiClient: JSON calls to a Tandem server over a Transport.
//
// Adds HTTP Basic authentication and `Accept: application/json` to every
// request, decodes JSON bodies, turns non-2xx responses into a Status whose
// message is "<status> <reason>: <description from the server's Error JSON>",
// and follows `Link: <...>; rel="next"` headers to collect whole lists.
//
// The kind of the last failure (server answered with an error, or no answer
// at all) is recorded so the CLI can choose its exit code. Never puts the
// password into a Status. Not thread-safe (neither is the Transport).
#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "cli/transport.h"
#include "common/status.h"

namespace tandem {

// Where the last failed call failed.
enum class ApiFailure {
  kNone,        // no failure yet, or the last call succeeded
  kServer,      // the server answered with an error status or an unreadable body
  kConnection,  // no HTTP response arrived
};

class ApiClient {
 public:
  // `transport` must outlive the client.
  ApiClient(Transport& transport, std::string user, std::string password);

  // Each returns the decoded JSON body; an empty body (204) decodes to null.
  Result<nlohmann::json> Get(std::string_view target);
  Result<nlohmann::json> Post(std::string_view target, const nlohmann::json& body);
  Result<nlohmann::json> Patch(std::string_view target, const nlohmann::json& body);
  Result<nlohmann::json> Delete(std::string_view target);

  // GETs a paginated list and follows rel="next" links until the list ends or
  // `limit` items were collected; returns one JSON array. With a limit, asks
  // for pages of at most min(limit, kMaxPageSize) items.
  Result<nlohmann::json> GetAll(std::string_view target, std::optional<size_t> limit);

  // Sends any body (binary uploads) and returns the 2xx response (binary
  // downloads; with `body_sink`, the body goes there piece by piece instead);
  // other statuses become a Status as for the JSON calls.
  Result<ClientResponse> Send(std::string_view method, std::string_view target, std::string body,
                            std::string_view content_type, std::string_view accept,
                            std::function<bool(std::string_view)> body_sink = {});

  ApiFailure last_failure() const { return last_failure_; }

  // For an error the server reported inside a successful response (a
  // background job's outcome): records a server failure and returns the
  // Status that HTTP status stands for, with `description`.
  Status ReportedFailure(int http_status, const std::string& description);

  // For a command that finds a successful response unusable (a field missing):
  // records a server failure and returns Corruption(message).
  Status BadResponse(std::string message);

  static constexpr size_t kMaxPageSize = 100;

 private:
  // Sends one request; on success also returns the response (for its headers).
  Result<nlohmann::json> Call(std::string_view method, std::string_view target,
                              const nlohmann::json* body, ClientResponse* response = nullptr);

  Transport& transport_;
  std::string authorization_;  // "Basic base64(user:password)"
  ApiFailure last_failure_ = ApiFailure::kNone;
};

// Base64 (RFC 4648, with padding).
std::string Base64Encode(std::string_view data);

// "409 Conflict: previousCommit ... is not the head" from an error response.
std::string FormatHttpError(const ClientResponse& response);

}  // namespace tandem
