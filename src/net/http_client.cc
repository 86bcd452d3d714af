#include "net/http_client.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <strings.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "common/mutex.h"
#include "tls/openssl_errors.h"

namespace tandem {
namespace {

// Runs a callback when a request's overall deadline passes. One thread for
// the process, started on first use; it sleeps until the earliest deadline.
class DeadlineWatch {
 public:
  static DeadlineWatch& Instance() {
    static DeadlineWatch* watch = new DeadlineWatch();  // never destroyed: its thread lives on
    return *watch;
  }
  uint64_t Schedule(int64_t deadline_micros, std::function<void()> fire) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    uint64_t id = next_id_++;
    due_.emplace(id, Entry{deadline_micros, std::move(fire)});
    cv_.notify_all();
    return id;
  }
  // After Cancel returns, the callback is not running and will not run.
  void Cancel(uint64_t id) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    due_.erase(id);
    cv_.wait(lock.native(), [&]() REQUIRES(mu_) { return firing_ != id; });
  }

 private:
  struct Entry {
    int64_t deadline;
    std::function<void()> fire;
  };
  DeadlineWatch() : thread_([this] { Loop(); }) { thread_.detach(); }
  void Loop() EXCLUDES(mu_) {
    // Its own clock: the thread outlives the static SystemClock at exit.
    static Clock* const own_clock = new SystemClock();
    Clock& clock = *own_clock;
    MutexLock lock(mu_);
    while (true) {
      int64_t earliest = INT64_MAX;
      for (const auto& [id, e] : due_) earliest = std::min(earliest, e.deadline);
      uint64_t seen = next_id_;
      clock.WaitUntil(lock.native(), cv_,
                      earliest == INT64_MAX ? clock.MonotonicMicros() + 3'600'000'000 : earliest,
                      [&]() REQUIRES(mu_) { return next_id_ != seen; });
      int64_t now = clock.MonotonicMicros();
      for (auto it = due_.begin(); it != due_.end();) {
        if (it->second.deadline > now) {
          ++it;
          continue;
        }
        auto fire = std::move(it->second.fire);
        firing_ = it->first;
        due_.erase(it);
        lock.Unlock();
        fire();
        lock.Lock();
        firing_ = 0;
        cv_.notify_all();
        it = due_.begin();
      }
    }
  }
  Mutex mu_;
  std::condition_variable cv_;
  uint64_t next_id_ GUARDED_BY(mu_) = 1;
  uint64_t firing_ GUARDED_BY(mu_) = 0;
  std::map<uint64_t, Entry> due_ GUARDED_BY(mu_);
  std::thread thread_;
};

bool HeaderIs(const std::string& key, const char* name) {
  return strcasecmp(key.c_str(), name) == 0;
}

}  // namespace

class HttpClient::Impl {
 public:
  Impl(const ServerUrl& url, const HttpClientOptions& options) : url_(url), options_(options) {
    if (url.is_https()) {
      auto ssl = std::make_unique<httplib::SSLClient>(url.host, url.port);
      Status configured =
          ConfigureClientContext(*ssl->ssl_context(), options.tls, url.host, &verify_failure_);
      if (!configured.ok()) {
        refused_ = Status::InvalidArgument("cannot set up TLS to " + url.ToString() + ": " +
                                           configured.message());
      }
      ssl->enable_server_certificate_verification(true);
      client_ = std::move(ssl);
    } else {
      client_ = std::make_unique<httplib::ClientImpl>(url.host, url.port);
    }
    client_->set_connection_timeout(options.connect_timeout);
    client_->set_read_timeout(options.idle_timeout);
    client_->set_write_timeout(options.idle_timeout);
    client_->set_keep_alive(true);
    client_->set_follow_location(false);
    client_->set_url_encode(false);  // targets arrive percent-encoded
    client_->set_decompress(false);
    // A request is written in pieces (head, body): without this, Nagle holds
    // the second until the peer's delayed ACK, 40 ms per request on loopback.
    client_->set_tcp_nodelay(true);
  }

  Result<ClientResponse> Send(const ClientRequest& request, const Cancellation& cancel);
  void SetBasicAuth(const std::string& user, const std::string& password) {
    client_->set_basic_auth(user, password);
  }

 private:
  // Why a request ended without an answer, in the order they are checked.
  enum class Abort { kNone, kCancelled, kDeadline, kTooLarge, kEncoding, kSink };
  Status Failure(httplib::Error e, Abort abort, int64_t idle_micros, const std::string& encoding);

  ServerUrl url_;
  HttpClientOptions options_;
  Status refused_;
  std::atomic<long> verify_failure_{X509_V_OK};
  std::unique_ptr<httplib::ClientImpl> client_;
};

Result<ClientResponse> HttpClient::Impl::Send(const ClientRequest& request, const Cancellation& cancel) {
  RETURN_IF_ERROR(refused_);
  // Failures of an earlier request must not be taken for this one's.
  ERR_clear_error();
  verify_failure_ = X509_V_OK;
  Clock& clock = SystemClock::Instance();

  httplib::Request req;
  req.method = request.method;
  req.path = request.target;
  for (const auto& [key, value] : request.headers) req.headers.emplace(key, value);
  req.headers.emplace("Accept-Encoding", "identity");
  if (!request.body.empty() || request.method == "POST" || request.method == "PATCH" ||
      request.method == "PUT") {
    req.body = request.body;
    req.headers.emplace("Content-Type",
                        request.content_type.empty() ? "application/json" : request.content_type);
  }

  std::atomic<Abort> abort{Abort::kNone};
  std::atomic<int64_t> last_activity{clock.MonotonicMicros()};
  ClientResponse out;
  std::string encoding;
  bool streaming = false;
  req.response_handler = [&](const httplib::Response& r) {
    out.status = r.status;
    for (const auto& [key, value] : r.headers) {
      out.headers.emplace_back(key, value);
      if (HeaderIs(key, "Content-Encoding") && strcasecmp(value.c_str(), "identity") != 0) {
        encoding = value;
      }
    }
    if (!encoding.empty()) {
      abort = Abort::kEncoding;
      return false;
    }
    streaming = request.body_sink && r.status >= 200 && r.status <= 299;
    return true;
  };
  // Error answers to a streamed request are kept only as far as a message needs.
  const uint64_t limit = request.body_sink ? std::min<uint64_t>(options_.max_response_bytes, 65536)
                                           : options_.max_response_bytes;
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    last_activity = clock.MonotonicMicros();
    if (cancel.cancelled()) {
      abort = Abort::kCancelled;
      return false;
    }
    if (streaming) {
      if (request.body_sink(std::string_view(data, n))) return true;
      abort = Abort::kSink;
      return false;
    }
    if (out.body.size() + n > limit) {
      if (request.body_sink) return true;  // an error body, cut to what a message shows
      abort = Abort::kTooLarge;
      return false;
    }
    out.body.append(data, n);
    return true;
  };
  req.progress = [&](uint64_t, uint64_t) {
    last_activity = clock.MonotonicMicros();
    return !cancel.cancelled();
  };

  // Cancellation and the deadline interrupt the request through one guard:
  // once send() has returned, a late callback changes nothing, so an answer
  // that arrived whole is never reported as cancelled or timed out.
  httplib::ClientImpl* client = client_.get();
  std::mutex interrupt_mu;
  bool finished = false;
  auto interrupt = [&](Abort reason) {
    std::lock_guard lock(interrupt_mu);
    if (finished) return;
    Abort none = Abort::kNone;
    abort.compare_exchange_strong(none, reason);
    client->stop();
  };
  Cancellation::Registration on_cancel = cancel.OnCancel([&] { interrupt(Abort::kCancelled); });
  if (cancel.cancelled()) return Failure(httplib::Error::Canceled, Abort::kCancelled, 0, "");
  uint64_t deadline_id = 0;
  if (options_.deadline.count() > 0) {
    deadline_id = DeadlineWatch::Instance().Schedule(
        clock.MonotonicMicros() + std::chrono::microseconds(options_.deadline).count(),
        [&] { interrupt(Abort::kDeadline); });
  }
  httplib::Result res = client->send(req);
  {
    std::lock_guard lock(interrupt_mu);
    finished = true;
  }
  if (deadline_id) DeadlineWatch::Instance().Cancel(deadline_id);
  {
    Cancellation::Registration done = std::move(on_cancel);  // unregistered here
  }
  Abort why = abort.load();
  if (why == Abort::kNone && cancel.cancelled()) why = Abort::kCancelled;
  if (!res || why != Abort::kNone) {
    return Failure(res ? httplib::Error::Canceled : res.error(), why,
                   clock.MonotonicMicros() - last_activity.load(), encoding);
  }
  // The response handler is not called for every answer (e.g. 204): the
  // result is the authority for status and headers.
  out.status = res->status;
  out.headers.clear();
  for (const auto& [key, value] : res->headers) out.headers.emplace_back(key, value);
  return out;
}

Status HttpClient::Impl::Failure(httplib::Error e, Abort abort, int64_t idle_micros,
                                 const std::string& encoding) {
  const std::string at = options_.peer + " at " + url_.ToString();
  switch (abort) {
    case Abort::kCancelled:
      return Status::Unavailable("the request to " + at + " was cancelled");
    case Abort::kDeadline:
      return Status::Unavailable(at + " did not answer within " +
                                 std::to_string(options_.deadline.count()) + " s");
    case Abort::kTooLarge:
      return Status::TooLarge(at + " sent an answer larger than " +
                              std::to_string(options_.max_response_bytes) + " bytes; it was refused");
    case Abort::kEncoding:
      return Status::Corruption(at + " answered with Content-Encoding '" + encoding.substr(0, 32) +
                                "', which was not asked for; the answer was refused");
    case Abort::kSink:
      return Status::Unavailable("reading from " + at + " stopped: the received data was refused");
    case Abort::kNone:
      break;
  }
  std::string detail = TakeOpenSslErrors();
  long failure = verify_failure_;
  if (url_.is_https() && failure != X509_V_OK) {
    return Status::Unauthenticated("TLS: the certificate of " + at + " was refused: " +
                                   DescribeVerifyFailure(failure));
  }
  if (e == httplib::Error::SSLServerVerification) {
    return Status::Unauthenticated("TLS: the certificate of " + at + " was refused: " +
                                   DescribeVerifyFailure(X509_V_ERR_HOSTNAME_MISMATCH));
  }
  if (e == httplib::Error::SSLConnection) {
    return Status::Unavailable(
        "TLS handshake with " + at + " failed" + (detail.empty() ? "" : " (" + detail + ")") +
        "; check that the url's port is the HTTPS port and that both sides allow TLS 1.2 or "
        "later; see docs/tls.md");
  }
  if ((e == httplib::Error::Read || e == httplib::Error::Write) &&
      idle_micros + 200'000 >= std::chrono::microseconds(options_.idle_timeout).count()) {
    std::string setting = options_.idle_setting.empty() ? "" : " (" + options_.idle_setting + ")";
    return Status::Unavailable(at + " stalled: nothing arrived for " +
                               std::to_string(options_.idle_timeout.count()) + " s" + setting);
  }
  switch (e) {
    case httplib::Error::Connection:
      return Status::Unavailable("cannot reach " + at + " (connection failed)");
    case httplib::Error::ConnectionTimeout:
      return Status::Unavailable("cannot reach " + at + " (no connection within " +
                                 std::to_string(options_.connect_timeout.count()) + " s)");
    case httplib::Error::Read:
      return Status::Unavailable("the connection to " + at + " broke off before the answer ended");
    case httplib::Error::Write:
      return Status::Unavailable("could not send the request to " + at);
    default:
      return Status::Unavailable("cannot reach " + at + " (" + httplib::to_string(e) + ")");
  }
}

HttpClient::HttpClient(ServerUrl url, HttpClientOptions options)
    : url_(std::move(url)), impl_(std::make_unique<Impl>(url_, options)) {}

HttpClient::~HttpClient() = default;

void HttpClient::SetBasicAuth(const std::string& user, const std::string& password) {
  impl_->SetBasicAuth(user, password);
}

Result<ClientResponse> HttpClient::Send(const ClientRequest& request, const Cancellation& cancel) {
  return impl_->Send(request, cancel);
}

}  // namespace tandem
