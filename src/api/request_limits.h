// Limits the HTTP listener enforces before a request reaches a route:
//
// - ConnectionQueue is the listener's task queue. It serves at most
//   `max_connections` open connections (queued or being served) on the worker
//   pool; a connection over the limit goes to a few separate threads that
//   answer it at once with 503 and "Connection: close" (see
//   OverConnectionLimit), so a flood of connections neither waits behind the
//   workers nor grows their queue. cpp-httplib 0.11 keeps a connection open
//   after such an answer until the client closes it or the keep-alive timeout
//   (10 s) passes, so a hostile client can hold a refusal thread that long;
//   when kMaxPendingRefusals are waiting, further refusals run on the
//   accepting thread itself, which stops accepting meanwhile and leaves new
//   connections to the kernel's listen backlog: memory stays bounded.
// - HeaderProblem checks the total size and the number of request header
//   fields (431), control characters in field values (400: RFC 9110 forbids
//   CR, LF and NUL there) and a Content-Length that is not a decimal number
//   (400), answered before the body is read. A body over server.max-body-bytes
//   is refused by cpp-httplib (413) after it has been read and discarded, so
//   that ordinary clients, which send the whole body first, see the 413.
//   cpp-httplib itself refuses a single header line over 8 KiB with 400 and a
//   request target over 8 KiB with 414 (compile-time limits of the library).
//
// ConnectionQueue is thread-safe; the free functions are pure.
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <optional>
#include <string>

namespace tandem {

class ConnectionQueue final : public httplib::TaskQueue {
 public:
  static constexpr size_t kRefusalThreads = 4;
  static constexpr size_t kMaxPendingRefusals = 256;

  ConnectionQueue(size_t threads, size_t max_connections);
  ~ConnectionQueue() override = default;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

  // Connections admitted and not yet closed.
  size_t open() const { return open_.load(); }

 private:
  size_t max_connections_;
  std::atomic<size_t> open_{0};
  std::atomic<size_t> pending_refusals_{0};
  httplib::ThreadPool workers_;
  httplib::ThreadPool refusals_;  // answer 503 and close
};

// True while the calling thread serves a connection that was over the limit.
bool OverConnectionLimit();

struct RequestProblem {
  int status;           // 400 or 431
  std::string message;  // names the limit and the key that raises it
};

// What is wrong with the request line and headers, or nullopt.
std::optional<RequestProblem> HeaderProblem(const httplib::Request& req, size_t max_bytes,
                                            size_t max_count);

}  // namespace tandem
