// HttpClient: the one HTTP client of Tandem — the `tandem` CLI talks to its
// server with it, and the synchronization engine to its sources. It owns the
// rules every outgoing request follows:
//
// - https:// is always verified (chain and host name) against the system's
//   CAs plus `tls.extra_cas`, and presents `tls.identity` when given
//   (src/tls); verification failures are explained in an operator's words.
// - Every request has a connect time-out, an idle time-out (a read or write
//   that makes no progress for `idle_timeout` fails, and the error says so
//   and names `idle_setting`) and an overall deadline when one is set.
// - A buffered answer is limited to `max_response_bytes` while it arrives;
//   nothing is decompressed: the client asks for identity encoding and
//   refuses an answer that carries a Content-Encoding, so a small compressed
//   answer can never inflate into memory. Streamed 2xx bodies go to the
//   request's sink, which bounds what it keeps.
// - A Cancellation ends a request in progress within one read: the socket is
//   shut down from the cancelling thread.
// - Redirects are not followed (credentials must not travel to another origin).
//
// Errors: Unavailable when no answer arrived (unreachable, stalled, cut, or
// cancelled), Unauthenticated when the server's certificate was refused,
// TooLarge when an answer exceeds its limit, InvalidArgument for a request
// that cannot be made (bad TLS material). Messages name the server and never
// a password. One HttpClient keeps its connection alive across requests; it
// is not thread-safe (one per thread), except that a Cancellation may fire
// from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/cancellation.h"
#include "common/status.h"
#include "net/http_message.h"
#include "net/http_url.h"
#include "tls/tls_context.h"

namespace tandem {

struct HttpClientOptions {
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds idle_timeout{30};
  std::chrono::seconds deadline{0};  // whole request, from sending to the last byte; 0 = none
  uint64_t max_response_bytes = 64ull << 20;
  TlsClientMaterial tls;
  // How messages call the peer ("the source", "the server") and which
  // setting sets the idle time-out (named when a read stalls).
  std::string peer = "the server";
  std::string idle_setting;
};

class HttpClient {
 public:
  HttpClient(ServerUrl url, HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sent with every request as HTTP Basic; never logged or echoed.
  void SetBasicAuth(const std::string& user, const std::string& password);

  // Sends `request`; see the header comment for what fails how.
  Result<ClientResponse> Send(const ClientRequest& request,
                            const Cancellation& cancel = Cancellation::Never());

  const ServerUrl& url() const { return url_; }

 private:
  class Impl;
  ServerUrl url_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem
