#include "api/http_engine.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include "api/request_head.h"
#include "api/request_limits.h"
#include "api/sysml_json.h"
#include "api/worker_pool.h"
#include "common/log_safe.h"
#include "common/mutex.h"

namespace tandem {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using beast::error_code;
using SteadyClock = std::chrono::steady_clock;

namespace {

// After an answer that ends a connection early (413, 431, ...), what the
// client is still sending is read and dropped for this long, so that the
// client sees the answer instead of a reset.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr size_t kLingerBytes = size_t{16} << 20;
constexpr size_t kReadSize = 512;  // first read of a request head
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);  // after EMFILE and the like

// Field names are tokens; values hold no CR, LF or NUL (so no header injection).
bool SafeField(const std::string& name, const std::string& value) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (c <= 32 || c >= 127 || c == ':') return false;
  }
  return value.find_first_of(std::string("\r\n\0", 3)) == std::string::npos;
}

HttpOutcome Answer(HttpResponse response) {
  HttpOutcome out;
  out.response = std::move(response);
  return out;
}

HttpResponse RetryLater(const std::string& message) {
  HttpResponse r = HttpError(503, message);
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

// Runs `run` and turns an exception into a 500 (handlers report errors as
// Status; an exception is a bug, and the server must stay up).
HttpOutcome Guarded(const std::function<HttpOutcome()>& run, const HttpRequest& req) {
  std::string what;
  try {
    return run();
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "unknown exception";
  }
  spdlog::error("internal error in {} {}: {}", LogSafe(req.method), LogSafe(req.path), what);
  return Answer(HttpError(500, "internal error; the server log has the details"));
}

}  // namespace

HttpResponse HttpError(int status, const std::string& message) {
  HttpResponse r;
  r.status = status;
  r.body = RenderJson(ErrorJson(message));
  r.content_type = "application/json";
  return r;
}

// What the engine keeps of each connection: it closes them on Stop and wakes
// parked ones on Notify.
class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  // Both post to the connection's strand; any thread.
  virtual void Close(bool busy_too) = 0;
  virtual void Wake() = 0;
};

class HttpEngine::Impl {
 public:
  Impl(HttpLimits limits, HttpHandler handler)
      : limits_(limits),
        handler_(std::move(handler)),
        ioc_(static_cast<int>(kIoThreads)),
        work_(net::make_work_guard(ioc_)),
        pool_(limits.threads, limits.QueueBound()) {}

  ~Impl() { Stop(); }

  Result<int> Listen(const std::string& host, int port, const char* flag,
                     std::unique_ptr<net::ssl::context> tls);
  Status Run();
  void Stop();
  void Notify(uint64_t generation);

  // ---- used by connections
  const HttpLimits& limits() const { return limits_; }
  const HttpHandler& handler() const { return handler_; }
  WorkerPool& pool() { return pool_; }
  bool stopping() const { return stopping_.load(); }

  void Register(ConnectionBase* c, std::weak_ptr<ConnectionBase> weak) {
    MutexLock lock(mu_);
    connections_[c] = std::move(weak);
  }
  void Unregister(ConnectionBase* c, bool refusing) {
    {
      MutexLock lock(mu_);
      connections_.erase(c);
      waiting_.erase(c);
    }
    (refusing ? refusing_ : open_).fetch_sub(1);
  }
  // A place among the max_long_polls; false when they are all taken.
  bool TakeLongPoll() {
    MutexLock lock(mu_);
    if (long_polls_ >= limits_.max_long_polls) return false;
    ++long_polls_;
    return true;
  }
  void ReleaseLongPoll() {
    MutexLock lock(mu_);
    --long_polls_;
  }
  // Waits for a generation after `generation`; true if it has come already.
  bool AwaitGeneration(ConnectionBase* c, uint64_t generation) {
    MutexLock lock(mu_);
    if (generation_ > generation) return true;
    waiting_[c] = generation;
    return false;
  }
  void StopAwaiting(ConnectionBase* c) {
    MutexLock lock(mu_);
    waiting_.erase(c);
  }
  HttpFigures Figures() {
    MutexLock lock(mu_);
    return HttpFigures{open_.load(), long_polls_};
  }

 private:
  struct Listener {
    // A strand of its own: Stop() closes the acceptor from another thread.
    explicit Listener(net::io_context& ioc)
        : acceptor(net::make_strand(ioc)), retry(acceptor.get_executor()) {}
    tcp::acceptor acceptor;
    net::steady_timer retry;
    std::unique_ptr<net::ssl::context> tls;
  };

  void Accept(Listener& l);
  void OnAccepted(Listener& l, tcp::socket socket);
  void CloseConnections(bool busy_too);

  const HttpLimits limits_;
  const HttpHandler handler_;

  Mutex mu_;
  std::unordered_map<ConnectionBase*, std::weak_ptr<ConnectionBase>> connections_ GUARDED_BY(mu_);
  // Parked connections, each with the generation it has seen.
  std::unordered_map<ConnectionBase*, uint64_t> waiting_ GUARDED_BY(mu_);
  uint64_t generation_ GUARDED_BY(mu_) = 0;  // the highest announced
  size_t long_polls_ GUARDED_BY(mu_) = 0;

  std::atomic<size_t> open_{0};
  std::atomic<size_t> refusing_{0};
  std::atomic<bool> stopping_{false};
  Mutex run_mu_;
  std::condition_variable run_cv_;
  bool running_ GUARDED_BY(run_mu_) = false;

  // Destroyed in reverse: the pool (whose workers post to the context) first,
  // then the listeners, then the context with the handlers it still holds.
  net::io_context ioc_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  WorkerPool pool_;
};

namespace {

// One HTTP/1.1 connection, plain (beast::tcp_stream) or TLS
// (beast::ssl_stream<beast::tcp_stream>). Every member is used on the
// connection's strand only, except while a worker streams an answer (then the
// strand does nothing with the stream but what the worker posts).
template <class Stream>
class Connection final : public ConnectionBase,
                         public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  Connection(HttpEngine::Impl& engine, Stream stream, bool refusing, std::string remote)
      : engine_(engine),
        limits_(engine.limits()),
        stream_(std::move(stream)),
        buffer_(limits_.max_header_bytes + (size_t{128} << 10)),
        timer_(stream_.get_executor()),
        refusing_(refusing) {
    request_.remote_addr = std::move(remote);
  }

  ~Connection() override { engine_.Unregister(this, refusing_); }

  void Start() {
    engine_.Register(this, this->shared_from_this());
    if constexpr (kTls) {
      Tcp().expires_after(limits_.header_timeout);
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = this->shared_from_this()](error_code ec) {
                                if (ec) return self->DoClose();
                                self->request_.ssl = self->stream_.native_handle();
                                self->ReadHead();
                              });
    } else {
      ReadHead();
    }
  }

  void Close(bool busy_too) override {
    net::post(stream_.get_executor(), [self = this->shared_from_this(), busy_too] {
      if (busy_too || !self->busy_ || self->parked_) self->DoClose();
    });
  }

  void Wake() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] { self->Resume(); });
  }

 private:
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }
  auto Self() { return this->shared_from_this(); }

  // ---------------------------------------------------------------- reading

  // Between requests of a kept-alive connection: the idle deadline until a
  // byte of the next one arrives.
  void ReadNext() {
    if (watching_) return AfterWatch([self = Self()] { self->ReadNext(); });
    if (engine_.stopping()) return Shutdown(false);
    if (buffer_.size() > 0) return ReadHead();
    Tcp().expires_after(limits_.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kReadSize), [self = Self()](error_code ec, size_t n) {
      if (ec) return self->DoClose();
      self->buffer_.commit(n);
      self->ReadHead();
    });
  }

  void ReadHead() {
    StartRequestParser(parser_, limits_);
    Tcp().expires_after(limits_.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = Self()](error_code ec, size_t) { self->OnHead(ec); });
  }

  void OnHead(error_code ec) {
    if (refusing_) {
      if (ec && !IsRequestParseError(ec)) return DoClose();
      return Finish(RetryLater("the server has " + std::to_string(limits_.max_connections) +
                               " open connections, its limit (server.max-connections); "
                               "retry shortly"),
                    true);
    }
    if (ec) return OnReadError(ec, true);
    auto& msg = parser_->get();
    auto bad = TakeRequestHead(*parser_, limits_, request_);
    version_ = msg.version();
    request_.body.clear();
    request_.matches.clear();
    request_.received = SteadyClock::now();
    keep_alive_ = msg.keep_alive();
    if (bad) return Refuse(bad->status, bad->message);
    if (!parser_->is_done() &&
        beast::iequals(msg[http::field::expect], "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      Tcp().expires_after(limits_.write_timeout);
      return net::async_write(stream_, net::buffer(kContinue),
                              [self = Self()](error_code ec, size_t) {
                                if (ec) return self->DoClose();
                                self->ReadBody();
                              });
    }
    ReadBody();
  }

  // The body in pieces, each within body_timeout; the parser stops it at
  // body_limit whether it comes with a Content-Length or chunked.
  void ReadBody() {
    if (parser_->is_done()) return Dispatch();
    Tcp().expires_after(limits_.body_timeout);
    http::async_read_some(stream_, buffer_, *parser_, [self = Self()](error_code ec, size_t) {
      if (ec) return self->OnReadError(ec, false);
      self->ReadBody();
    });
  }

  void OnReadError(error_code ec, bool in_head) {
    if (auto problem = ReadProblem(ec, limits_)) return Refuse(problem->status, problem->message);
    // The client went away, or the head or body did not come in time (a
    // timeout has closed the socket already): nothing to answer.
    if (ec == beast::error::timeout) {
      spdlog::debug("connection from {} closed: the request {} did not arrive in time",
                   request_.remote_addr, in_head ? "head" : "body");
    }
    DoClose();
  }

  void Refuse(int status, const std::string& problem) {
    spdlog::warn("{} {} from {} refused ({}): {}",
                 request_.method.empty() ? "-" : LogSafe(request_.method),
                 request_.path.empty() ? "-" : LogSafe(request_.path), request_.remote_addr, status,
                 problem);
    Finish(HttpError(status, problem), true);
  }

  // ---------------------------------------------------------------- handling

  void Dispatch() {
    request_.body = std::move(parser_->get().body());
    parser_.reset();
    busy_ = true;
    Submit([self = Self()] { return self->engine_.handler()(self->request_); });
  }

  // Runs `run` on a worker, then delivers its outcome; 503 when the pool is full.
  void Submit(std::function<HttpOutcome()> run) {
    bool queued = engine_.pool().TrySubmit([self = Self(), run = std::move(run)] {
      self->OnOutcome(Guarded(run, self->request_));
    });
    if (!queued) {
      Finish(RetryLater("the server is busy: its " + std::to_string(engine_.pool().threads()) +
                        " workers (server.threads) and the queue of " +
                        std::to_string(engine_.pool().max_queued()) +
                        " requests are full; retry shortly"),
             false);
    }
  }

  // On the worker that produced `out`.
  void OnOutcome(HttpOutcome out) {
    if (out.wait) {
      return net::post(stream_.get_executor(),
                       [self = Self(), wait = *out.wait, resume = std::move(out.resume)]() mutable {
                         self->Park(wait, std::move(resume));
                       });
    }
    if (out.response.stream) return StreamOnWorker(std::move(out.response));
    net::post(stream_.get_executor(), [self = Self(), r = std::move(out.response)]() mutable {
      self->Finish(std::move(r), false);
    });
  }

  // ---------------------------------------------------------------- long polls

  void Park(HttpOutcome::Wait wait, HttpResume resume) {
    if (closed_) return;
    if (!holds_long_poll_) {
      if (!engine_.TakeLongPoll()) {
        return Finish(RetryLater("the server has " + std::to_string(limits_.max_long_polls) +
                                 " long polls waiting, its limit (server.max-long-polls); "
                                 "retry shortly"),
                      false);
      }
      holds_long_poll_ = true;
    }
    resume_ = std::move(resume);
    parked_ = true;
    spdlog::debug("{} {} from {} parked until generation {}", LogSafe(request_.method),
                  LogSafe(request_.path), request_.remote_addr, wait.generation);
    if (engine_.AwaitGeneration(this, wait.generation)) return Resume();
    auto at = wait.deadline;
    if (wait.recheck.count() > 0) at = std::min(at, SteadyClock::now() + wait.recheck);
    timer_.expires_at(at);
    timer_.async_wait([self = Self()](error_code ec) {
      if (!ec) self->Resume();
    });
    if (!watching_) Watch();
  }

  // Reads while parked, to see a client that goes away; bytes of a next
  // request are kept (up to the header limit) for after the answer. The read
  // stays outstanding while the handler re-runs (a stream allows one read
  // beside one write), so a recheck costs no cancellation; AfterWatch() ends
  // it before the connection reads again.
  void Watch() {
    watching_ = true;
    Tcp().expires_never();
    stream_.async_read_some(buffer_.prepare(kReadSize), [self = Self()](error_code ec, size_t n) {
      self->watching_ = false;
      if (!ec) self->buffer_.commit(n);
      if (self->after_watch_) {
        auto next = std::move(self->after_watch_);
        self->after_watch_ = nullptr;
        return next();
      }
      if (ec) return self->DoClose();  // the client has gone: its place is free
      if (self->parked_ && self->buffer_.size() < self->limits_.max_header_bytes) self->Watch();
    });
  }

  // Runs `next` once no watching read is outstanding.
  void AfterWatch(std::function<void()> next) {
    if (!watching_) return next();
    after_watch_ = std::move(next);
    error_code ignored;
    Tcp().socket().cancel(ignored);
  }

  void Resume() {
    if (!parked_ || closed_) return;
    parked_ = false;
    engine_.StopAwaiting(this);
    timer_.cancel();
    Submit(std::move(resume_));
  }

  void ReleaseLongPoll() {
    if (!holds_long_poll_) return;
    holds_long_poll_ = false;
    engine_.ReleaseLongPoll();
  }

  // ---------------------------------------------------------------- writing

  http::response<http::string_body> Head(const HttpResponse& r) {
    http::response<http::string_body> res;
    res.version(version_);
    res.result(static_cast<unsigned>(r.status));
    for (const auto& [name, value] : r.headers) {
      if (!SafeField(name, value)) {
        spdlog::error("{} {}: header field '{}' dropped (not a token or holds CR, LF or NUL)",
                      LogSafe(request_.method), LogSafe(request_.path), LogSafe(name));
        continue;
      }
      res.insert(name, value);
    }
    // Answers carry tokens and stored data: no cache keeps them (the web
    // administration's files say otherwise themselves), and no browser
    // guesses another type than the one given.
    if (res.find(http::field::cache_control) == res.end())
      res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    return res;
  }

  // Sends a complete answer; then the next request, or the end (`linger`:
  // the request was not read to its end).
  void Finish(HttpResponse r, bool linger) {
    if (closed_) return;
    ReleaseLongPoll();
    busy_ = false;
    auto res = std::make_shared<http::response<http::string_body>>(Head(r));
    if (!r.body.empty()) {
      res->set(http::field::content_type,
               r.content_type.empty() ? std::string("application/json") : r.content_type);
    }
    // These statuses have no body (RFC 9110); Beast refuses to frame one.
    if (r.status < 200 || r.status == 204 || r.status == 304) r.body.clear();
    res->body() = std::move(r.body);
    bool keep = keep_alive_ && !linger && !r.close && !engine_.stopping();
    res->keep_alive(keep);
    res->prepare_payload();
    Tcp().expires_after(limits_.write_timeout);
    http::async_write(stream_, *res, [self = Self(), res, keep, linger](error_code ec, size_t) {
      if (ec) return self->DoClose();
      if (!keep) return self->Shutdown(linger);
      self->ReadNext();
    });
  }

  // On a worker: the head, then chunks of at most about kStreamChunkBytes,
  // each written before the next is made.
  void StreamOnWorker(HttpResponse r) {
    auto head = Head(r);
    head.set(http::field::content_type,
             r.content_type.empty() ? std::string("application/octet-stream") : r.content_type);
    head.chunked(true);
    bool keep = keep_alive_ && !r.close;
    head.keep_alive(keep);
    std::ostringstream text;
    text << head.base();
    bool ok = WriteFromWorker(text.str());
    std::string pending;
    auto flush = [&] {
      if (!ok || pending.empty()) return;
      std::ostringstream size;
      size << std::hex << pending.size() << "\r\n";
      pending.insert(0, size.str());
      pending += "\r\n";
      ok = WriteFromWorker(std::move(pending));
      pending.clear();
    };
    bool complete = r.stream([&](std::string_view bytes) {
      if (!ok) return false;
      pending.append(bytes);
      if (pending.size() >= HttpEngine::kStreamChunkBytes) flush();
      return ok;
    });
    if (complete && ok) {
      flush();
      if (ok) ok = WriteFromWorker("0\r\n\r\n");
    }
    bool done = complete && ok;
    net::post(stream_.get_executor(), [self = Self(), done, keep] {
      self->busy_ = false;
      self->ReleaseLongPoll();
      if (!done) return self->DoClose();  // the client sees a cut stream
      if (!keep || self->engine_.stopping()) return self->Shutdown(false);
      self->ReadNext();
    });
  }

  // Blocks the calling worker until the socket took `bytes`; false if the
  // connection is gone or the write did not finish within write_timeout.
  bool WriteFromWorker(std::string bytes) {
    auto state = std::make_shared<std::pair<std::string, std::promise<bool>>>();
    state->first = std::move(bytes);
    auto done = state->second.get_future();
    net::post(stream_.get_executor(), [self = Self(), state] {
      if (self->closed_) return state->second.set_value(false);
      self->Tcp().expires_after(self->limits_.write_timeout);
      net::async_write(self->stream_, net::buffer(state->first),
                       [state](error_code ec, size_t) { state->second.set_value(!ec); });
    });
    // The strand answers within write_timeout unless the engine was stopped hard.
    if (done.wait_for(limits_.write_timeout + std::chrono::seconds(5)) != std::future_status::ready) {
      return false;
    }
    return done.get();
  }

  // ---------------------------------------------------------------- the end

  // Ends the connection after its last answer: TLS close_notify, or for TCP
  // a half-close and (`linger`) dropping what the client still sends.
  void Shutdown(bool linger) {
    if (closed_) return;
    if (watching_) return AfterWatch([self = Self(), linger] { self->Shutdown(linger); });
    Tcp().expires_after(kLingerTime);
    if constexpr (kTls) {
      (void)linger;
      stream_.async_shutdown([self = Self()](error_code) { self->DoClose(); });
    } else {
      error_code ignored;
      Tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
      if (!linger) return DoClose();
      Drain(0);
    }
  }

  void Drain(size_t drained) {
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(4096), [self = Self(), drained](error_code ec,
                                                                             size_t n) {
      if (ec || drained + n > kLingerBytes) return self->DoClose();
      self->Drain(drained + n);
    });
  }

  void DoClose() {
    if (closed_) return;
    closed_ = true;
    parked_ = false;
    ReleaseLongPoll();
    engine_.StopAwaiting(this);
    timer_.cancel();
    error_code ignored;
    Tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Tcp().close();
  }

  HttpEngine::Impl& engine_;
  const HttpLimits& limits_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  HttpRequest request_;
  net::steady_timer timer_;  // a parked request's wake-up
  HttpResume resume_;
  const bool refusing_;        // over max_connections: answer 503 and close
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool busy_ = false;          // a worker has the request
  bool parked_ = false;        // waiting for a wake-up
  bool watching_ = false;      // a read is outstanding while parked
  std::function<void()> after_watch_;  // what follows once the watching read has ended
  bool holds_long_poll_ = false;
  bool closed_ = false;
};

}  // namespace

// ---------------------------------------------------------------- Impl

Result<int> HttpEngine::Impl::Listen(const std::string& host, int port, const char* flag,
                                     std::unique_ptr<net::ssl::context> tls) {
  error_code ec;
  tcp::resolver resolver(ioc_);
  auto found = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
  auto refused = [&] {
    if (port == 0) return Status::IOError("cannot bind to " + host + " on any port");
    return Status::IOError("cannot listen on " + host + ":" + std::to_string(port) +
                           " (is another server using it? pick another with " + flag + ")");
  };
  if (ec || found.empty()) return refused();
  auto l = std::make_unique<Listener>(ioc_);
  tcp::endpoint endpoint = found.begin()->endpoint();
  l->acceptor.open(endpoint.protocol(), ec);
  if (!ec) l->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) l->acceptor.bind(endpoint, ec);
  if (!ec) l->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return refused();
  int bound = l->acceptor.local_endpoint(ec).port();
  if (ec) return refused();
  l->tls = std::move(tls);
  listeners_.push_back(std::move(l));
  return bound;
}

void HttpEngine::Impl::Accept(Listener& l) {
  l.acceptor.async_accept(net::make_strand(ioc_), [this, &l](error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || stopping_) return;
    if (ec) {
      // Out of file descriptors, say: wait instead of spinning; the kernel's
      // listen backlog holds the next connections meanwhile.
      spdlog::warn("accepting a connection failed: {}", ec.message());
      l.retry.expires_after(kAcceptRetry);
      l.retry.async_wait([this, &l](error_code wait) {
        if (!wait && !stopping_) Accept(l);
      });
      return;
    }
    OnAccepted(l, std::move(socket));
    Accept(l);
  });
}

void HttpEngine::Impl::OnAccepted(Listener& l, tcp::socket socket) {
  bool refusing = false;
  if (open_.fetch_add(1) >= limits_.max_connections) {
    open_.fetch_sub(1);
    if (refusing_.fetch_add(1) >= kMaxRefusing) {
      refusing_.fetch_sub(1);
      error_code ignored;
      socket.close(ignored);
      return;
    }
    refusing = true;
  }
  error_code ec;
  std::string remote = socket.remote_endpoint(ec).address().to_string();
  socket.set_option(tcp::no_delay(true), ec);
  if (l.tls) {
    using TlsStream = beast::ssl_stream<beast::tcp_stream>;
    std::make_shared<Connection<TlsStream>>(
        *this, TlsStream(beast::tcp_stream(std::move(socket)), *l.tls), refusing, std::move(remote))
        ->Start();
  } else {
    std::make_shared<Connection<beast::tcp_stream>>(*this, beast::tcp_stream(std::move(socket)),
                                                    refusing, std::move(remote))
        ->Start();
  }
}

Status HttpEngine::Impl::Run() {
  {
    MutexLock lock(run_mu_);
    if (stopping_) return Status::Ok();
    running_ = true;
  }
  for (auto& l : listeners_) {
    net::post(l->acceptor.get_executor(), [this, listener = l.get()] { Accept(*listener); });
  }
  auto run = [this] {
    while (true) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("HTTP engine: {}", e.what());
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < kIoThreads; ++i) threads.emplace_back(run);
  run();
  for (auto& t : threads) t.join();
  {
    MutexLock lock(run_mu_);
    running_ = false;
  }
  run_cv_.notify_all();
  return Status::Ok();
}

void HttpEngine::Impl::CloseConnections(bool busy_too) {
  std::vector<std::shared_ptr<ConnectionBase>> all;
  {
    MutexLock lock(mu_);
    for (auto& [c, weak] : connections_) {
      if (auto strong = weak.lock()) all.push_back(std::move(strong));
    }
  }
  for (auto& c : all) c->Close(busy_too);
}

void HttpEngine::Impl::Stop() {
  {
    MutexLock lock(run_mu_);
    if (stopping_.exchange(true)) return;
  }
  for (auto& l : listeners_) {
    net::post(l->acceptor.get_executor(), [listener = l.get()] {
      error_code ignored;
      listener->acceptor.close(ignored);
      listener->retry.cancel();
    });
  }
  CloseConnections(false);  // idle, reading and parked ones
  if (!pool_.Shutdown(limits_.stop_grace)) {
    spdlog::warn("stopping: requests still running after {} ms; their connections are closed",
                 limits_.stop_grace.count());
  }
  CloseConnections(true);
  work_.reset();
  MutexLock lock(run_mu_);
  // Run() returns when the last connection has gone; a lingering close ends
  // within kLingerTime.
  if (!run_cv_.wait_for(lock.native(), kLingerTime + std::chrono::seconds(1),
                        [this]() REQUIRES(run_mu_) { return !running_; })) {
    ioc_.stop();
  }
  if (!running_) ioc_.stop();  // Run() may not have started: it returns at once then
}

void HttpEngine::Impl::Notify(uint64_t generation) {
  std::vector<std::shared_ptr<ConnectionBase>> wake;
  {
    MutexLock lock(mu_);
    if (generation <= generation_) return;
    generation_ = generation;
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (it->second < generation) {
        auto c = connections_.find(it->first);
        if (c != connections_.end()) {
          if (auto strong = c->second.lock()) wake.push_back(std::move(strong));
        }
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : wake) c->Wake();
}

// ---------------------------------------------------------------- HttpEngine

HttpEngine::HttpEngine(HttpLimits limits, HttpHandler handler)
    : impl_(std::make_unique<Impl>(limits, std::move(handler))) {}

HttpEngine::~HttpEngine() = default;

Result<int> HttpEngine::Listen(const std::string& host, int port, const char* flag) {
  return impl_->Listen(host, port, flag, nullptr);
}

Result<int> HttpEngine::ListenTls(const std::string& host, int port,
                                  const TlsServerMaterial& material) {
  auto ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
  Status configured = ConfigureServerContext(*ctx->native_handle(), material);
  if (!configured.ok()) return Status::InvalidArgument("HTTPS listener: " + configured.message());
  return impl_->Listen(host, port, "--https-port", std::move(ctx));
}

Status HttpEngine::Run() { return impl_->Run(); }
void HttpEngine::Stop() { impl_->Stop(); }
void HttpEngine::Notify(uint64_t generation) { impl_->Notify(generation); }
HttpFigures HttpEngine::Figures() { return impl_->Figures(); }

}  // namespace tandem
