// Transport: the one seam between the tandem CLI and the network.
//
// The CLI builds ClientRequests (method, path-and-query, body, headers) and hands
// them to a Transport, which returns the server's ClientResponse whatever its
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
#include "net/http_message.h"

namespace tandem {

class Transport {
 public:
  virtual ~Transport() = default;

  // Sends `request` and returns the response, or an error Status when no
  // response was received: Unavailable when the server could not be reached,
  // Unauthenticated when an https server's certificate failed verification.
  // The message names the cause (never a password).
  virtual Result<ClientResponse> Send(const ClientRequest& request) = 0;
};


}  // namespace tandem
