// HttpEngine: Tandem's HTTP/1.1 server engine on Boost.Beast and Boost.Asio.
// ApiServer (api_server.h) gives it one handler and never sees a socket.
//
// - Connections are asynchronous on a small fixed set of I/O threads
//   (kIoThreads); a slow client holds a few kilobytes and a timer, never a
//   thread. Deadlines: the TLS handshake and the request head
//   (header_timeout), the wait for the next request on a kept-alive connection
//   (idle_timeout), each pause while a body arrives (body_timeout) and each
//   write (write_timeout).
// - Limits are enforced while parsing: the head stops at max_header_bytes
//   (431) and the body, chunked or not, at max_body_bytes (413), so neither is
//   ever buffered beyond its limit; then request_limits.h (field count, long
//   lines and targets, control characters, Content-Length, Content-Encoding)
//   and max_connections (503 + Retry-After).
// - Handlers run on a WorkerPool (`threads`, a queue of `max_queued`); when it
//   is full the request gets 503 + Retry-After. A handler may answer "not yet"
//   (HttpOutcome::wait, a long poll): the connection is parked on a timer
//   without a thread, at most max_long_polls at once, until Notify() passes
//   the generation it waits for, its recheck time or its deadline comes, and
//   the engine re-runs `resume` on the pool; a client that disconnects while
//   parked releases its place at once.
// - A streamed answer (HttpResponse::stream) is written chunked from the worker
//   that produced it: each write blocks the worker until the socket took the
//   bytes (at most kStreamChunkBytes are buffered), and returns false once the
//   client has gone.
// - Nothing is decompressed and no Range is served: a request body with a
//   Content-Encoding gets 415, a Range header the whole answer.
//
// Thread-safe: Listen/ListenTls before Run(); Run() blocks until Stop(), which
// any thread may call; Notify() from any thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http_request.h"
#include "common/status.h"
#include "tls/tls_context.h"

namespace tandem {

struct HttpLimits {
  // The queue bound in force (`max_queued`, or derived from `threads`).
  size_t QueueBound() const { return max_queued ? max_queued : std::max<size_t>(64, 8 * threads); }
  size_t threads = 16;                 // server.threads: handler workers
  // Requests waiting for a worker; more get 503. 0: max(64, 8 × threads),
  // enough for bursts without letting many wait behind each other.
  size_t max_queued = 0;
  size_t max_header_bytes = 64 << 10;  // server.max-header-bytes (431)
  size_t max_header_count = 100;       // server.max-header-count (431)
  size_t max_body_bytes = 64 << 20;    // server.max-body-bytes (413)
  size_t max_connections = 512;        // server.max-connections (503)
  size_t max_long_polls = 256;         // server.max-long-polls (503)
  std::chrono::milliseconds header_timeout{10'000};  // server.header-timeout-seconds
  std::chrono::milliseconds idle_timeout{30'000};    // server.idle-timeout-seconds
  std::chrono::milliseconds body_timeout{30'000};    // server.body-timeout-seconds
  std::chrono::milliseconds write_timeout{30'000};
  // How long Stop() lets running handlers finish before it closes connections.
  std::chrono::milliseconds stop_grace{5'000};
};

// What the engine sends for one request.
struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type;  // sent when there is a body; default application/json
  std::string body;
  bool close = false;  // end the connection after this answer
  // When set, the body is written chunked from this function, on the worker
  // that ran the handler: `write` blocks until the socket took the bytes and
  // returns false when the connection is gone. Returning false from the
  // function ends the connection without the last chunk (the client sees a
  // cut stream, not a complete one).
  std::function<bool(const std::function<bool(std::string_view)>& write)> stream;
};

struct HttpOutcome;
// Re-runs a parked request's handler; called on a worker.
using HttpResume = std::function<HttpOutcome()>;

// What a handler returns: an answer, or (wait set) "not ready yet".
struct HttpOutcome {
  struct Wait {
    uint64_t generation = 0;  // wake once Notify() announces another generation
    std::chrono::steady_clock::time_point deadline;  // re-run at the latest then
    // Also re-run this often (for changes Notify() cannot see, e.g. writes by
    // another process); zero: only on Notify() and at the deadline.
    std::chrono::milliseconds recheck{0};
  };
  HttpResponse response;
  std::optional<Wait> wait;
  HttpResume resume;  // required with `wait`
};

// Runs on a worker for every request that passed the engine's limits; the
// request stays valid until the answer is sent (across resumes too).
using HttpHandler = std::function<HttpOutcome(HttpRequest&)>;

// An answer with the Error JSON body (sysml_json.h) and `status`.
HttpResponse HttpError(int status, const std::string& message);

// What the engine holds right now (GET /metrics).
struct HttpFigures {
  size_t open_connections = 0;  // accepted and not refused
  size_t long_polls = 0;        // parked requests
};

class HttpEngine {
 public:
  static constexpr size_t kIoThreads = 2;
  static constexpr size_t kStreamChunkBytes = 64 << 10;
  // Connections over max_connections still get their 503 while fewer than
  // this many are being refused; beyond it they are closed unanswered.
  static constexpr size_t kMaxRefusing = 256;

  HttpEngine(HttpLimits limits, HttpHandler handler);
  ~HttpEngine();
  HttpEngine(const HttpEngine&) = delete;
  HttpEngine& operator=(const HttpEngine&) = delete;

  // Listens on host:port (0 picks a free port) and returns the port. `flag`
  // names the option that changes the port, for the error message.
  Result<int> Listen(const std::string& host, int port, const char* flag);
  // As Listen, with TLS presenting `material` (tls_context.h).
  // InvalidArgument when OpenSSL refuses the certificate or key.
  Result<int> ListenTls(const std::string& host, int port, const TlsServerMaterial& material);
  // Serves until Stop(). Blocking; returns at once after Stop().
  Status Run();
  // Closes the listeners and parked requests, lets running handlers finish
  // within stop_grace, closes every connection and makes Run() return.
  void Stop();
  // Announces `generation`: parked requests waiting on another one re-run.
  void Notify(uint64_t generation);
  HttpFigures Figures();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem
