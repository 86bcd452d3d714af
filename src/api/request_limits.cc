#include "api/request_limits.h"

namespace tandem {
namespace {

thread_local bool over_connection_limit = false;

}  // namespace

ConnectionQueue::ConnectionQueue(size_t threads, size_t max_connections)
    : max_connections_(max_connections), workers_(threads), refusals_(kRefusalThreads) {}

void ConnectionQueue::enqueue(std::function<void()> fn) {
  if (open_.fetch_add(1) >= max_connections_) {
    open_.fetch_sub(1);
    auto refuse = [fn = std::move(fn)] {
      bool was = over_connection_limit;
      over_connection_limit = true;
      fn();
      over_connection_limit = was;
    };
    if (pending_refusals_.fetch_add(1) >= kMaxPendingRefusals) {
      refuse();  // on the accepting thread: backpressure to the listen backlog
      pending_refusals_.fetch_sub(1);
      return;
    }
    refusals_.enqueue([this, refuse = std::move(refuse)] {
      refuse();
      pending_refusals_.fetch_sub(1);
    });
    return;
  }
  workers_.enqueue([this, fn = std::move(fn)] {
    fn();
    open_.fetch_sub(1);
  });
}

void ConnectionQueue::shutdown() {
  workers_.shutdown();
  refusals_.shutdown();
}

bool OverConnectionLimit() { return over_connection_limit; }

std::optional<RequestProblem> HeaderProblem(const httplib::Request& req, size_t max_bytes,
                                            size_t max_count) {
  if (req.headers.size() > max_count) {
    return RequestProblem{431, "the request has " + std::to_string(req.headers.size()) +
                                   " header fields; the limit is " + std::to_string(max_count) +
                                   " (server.max-header-count)"};
  }
  // Request line plus "Name: value\r\n" per field, as they came over the wire.
  size_t bytes = req.method.size() + req.target.size() + req.version.size() + 4;
  for (const auto& [name, value] : req.headers) bytes += name.size() + value.size() + 4;
  if (bytes > max_bytes) {
    return RequestProblem{431, "the request line and headers are " + std::to_string(bytes) +
                                   " bytes; the limit is " + std::to_string(max_bytes) +
                                   " (server.max-header-bytes)"};
  }
  for (const auto& [name, value] : req.headers) {
    if (value.find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
      return RequestProblem{400, "header field '" + name.substr(0, 64) +
                                     "' holds a control character (CR, LF or NUL)"};
    }
  }
  auto length = req.headers.find("Content-Length");
  if (length != req.headers.end()) {
    const std::string& v = length->second;
    if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos) {
      return RequestProblem{400, "Content-Length must be a decimal number of bytes"};
    }
  }
  return std::nullopt;
}

}  // namespace tandem
