#include "api/api_server.h"

#include <httplib.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <strings.h>

#include <atomic>
#include <charconv>
#include <thread>

#include "api/request_limits.h"
#include "api/sysml_json.h"
#include "common/ids.h"
#include "common/log_safe.h"
#include "common/percent_encoding.h"

namespace tandem {
namespace {

constexpr char kRealm[] = "Basic realm=\"tandem\", charset=\"UTF-8\"";

// Request text (paths, parameters) may hold invalid UTF-8; rendering must not throw.
std::string Render(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::optional<std::string> Base64Decode(const std::string& in) {
  std::string out(in.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), in.data(),
                        in.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

// The account a request tries to log in as: the Basic user, else the
// "username" of a login body. Only for Retry-After; "" if none.
std::string ClaimedUser(const httplib::Request& req) {
  std::string header = req.get_header_value("Authorization");
  if (header.size() > 6 && strncasecmp(header.data(), "Basic ", 6) == 0) {
    auto decoded = Base64Decode(header.substr(6));
    if (decoded) return decoded->substr(0, decoded->find(':'));
  }
  auto body = ParseJson(req.body, "login", 8);
  if (body.ok() && body->is_object() && body->contains("username") &&
      (*body)["username"].is_string()) {
    return (*body)["username"].get<std::string>();
  }
  return "";
}

void WriteError(httplib::Response& res, const Status& st) {
  res.status = HttpStatusFor(st);
  if (st.code() == StatusCode::kUnauthenticated) res.set_header("WWW-Authenticate", kRealm);
  std::string message = st.message();
  if (res.status >= 500 && st.code() != StatusCode::kUnavailable) {
    // Storage internals (SQL, paths) stay in the server log.
    spdlog::error("internal error: {}", st.ToString());
    message = std::string(StatusCodeName(st.code())) +
              ": the server could not complete the request; its log has the details";
  }
  res.set_content(Render(ErrorJson(message)), "application/json");
}

}  // namespace

const char* MethodName(Method m) {
  switch (m) {
    case Method::kGet: return "GET";
    case Method::kPost: return "POST";
    case Method::kPut: return "PUT";
    case Method::kPatch: return "PATCH";
    case Method::kDelete: return "DELETE";
  }
  return "?";
}

namespace {

// Binds `server` to host:port (0: any free port) and returns the port.
Result<int> BindListener(httplib::Server& server, const std::string& host, int port,
                         const char* flag) {
  if (port == 0) {
    int bound = server.bind_to_any_port(host);
    if (bound < 0) return Status::IOError("cannot bind to " + host + " on any port");
    return bound;
  }
  if (!server.bind_to_port(host, port)) {
    return Status::IOError("cannot listen on " + host + ":" + std::to_string(port) +
                           " (is another server using it? pick another with " + flag + ")");
  }
  return port;
}

}  // namespace

int HttpStatusFor(const Status& st) {
  switch (st.code()) {
    case StatusCode::kOk: return 200;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kConflict: return 409;
    case StatusCode::kReadOnly: return 409;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kTooLarge: return 413;
    case StatusCode::kNotImplemented: return 501;
    case StatusCode::kRateLimited: return 429;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kCorruption:
    case StatusCode::kIOError: return 500;
  }
  return 500;
}

// ---------------------------------------------------------------- Call

const std::string& Call::client() const { return req_.remote_addr; }

std::string Call::Param(size_t n) const {
  return n < req_.matches.size() ? std::string(req_.matches[n]) : std::string();
}

Result<std::string> Call::IdParam(size_t n, const char* name) const {
  std::string v = Param(n);
  if (!IsUuid(v)) return Status::InvalidArgument(std::string(name) + " '" + v + "' is not a UUID");
  return NormalizeUuid(v);
}

std::optional<std::string> Call::Query(const char* name) const {
  if (!req_.has_param(name)) return std::nullopt;
  return req_.get_param_value(name);
}

Result<std::optional<std::string>> Call::QueryId(const char* name) const {
  auto v = Query(name);
  if (!v) return std::optional<std::string>();
  if (!IsUuid(*v)) {
    return Status::InvalidArgument("query parameter " + std::string(name) + " '" + *v +
                                   "' is not a UUID");
  }
  return std::optional<std::string>(NormalizeUuid(*v));
}

Result<Json> Call::Body() const {
  if (req_.body.empty()) return Status::InvalidArgument("the request needs a JSON body");
  return ParseJson(req_.body, "request body", options_.max_json_depth);
}

const std::string& Call::RawBody() const { return req_.body; }

Result<PageRequest> Call::Page() const {
  PageRequest page;
  page.limit = options_.default_page_size;
  if (auto size = Query("page[size]")) {
    size_t n = 0;
    auto [ptr, ec] = std::from_chars(size->data(), size->data() + size->size(), n);
    if (ec != std::errc() || ptr != size->data() + size->size() || n == 0 ||
        n > options_.max_page_size) {
      return Status::InvalidArgument("page[size] must be a whole number from 1 to " +
                                     std::to_string(options_.max_page_size) + ", got '" + *size +
                                     "'");
    }
    page.limit = n;
  }
  page.after = Query("page[after]");
  page.before = Query("page[before]");
  if (page.after && page.before) {
    return Status::InvalidArgument("give page[after] or page[before], not both");
  }
  for (std::optional<std::string>* cursor : {&page.after, &page.before}) {
    if (!*cursor) continue;
    if (!IsUuid(**cursor)) {
      return Status::InvalidArgument("page cursor '" + **cursor + "' is not a UUID");
    }
    *cursor = NormalizeUuid(**cursor);
  }
  return page;
}

Reply Call::PageReply(Json items, const std::string& first_id, const std::string& last_id,
                      bool more_after, bool more_before) const {
  Reply reply;
  reply.body = std::move(items);
  // Links keep every other query parameter and replace the cursor.
  auto link = [&](const char* cursor_name, const std::string& cursor, const char* rel) {
    std::string query;
    for (const auto& [k, v] : req_.params) {
      if (k == "page[after]" || k == "page[before]") continue;
      query += (query.empty() ? "" : "&") + PercentEncode(k) + "=" + PercentEncode(v);
    }
    query += (query.empty() ? "" : "&") + PercentEncode(cursor_name) + "=" + PercentEncode(cursor);
    return "<" + req_.path + "?" + query + ">; rel=\"" + rel + "\"";
  };
  std::string header;
  if (more_after && !last_id.empty()) header = link("page[after]", last_id, "next");
  if (more_before && !first_id.empty()) {
    header += (header.empty() ? "" : ", ") + link("page[before]", first_id, "prev");
  }
  if (!header.empty()) reply.headers.emplace_back("Link", header);
  return reply;
}

// ---------------------------------------------------------------- ApiServer

ApiServer::ApiServer(Repository& repo, Authenticator& auth, SyncEngine* engine, ApiOptions options)
    : repo_(repo),
      auth_(auth),
      engine_(engine),
      source_(repo),
      options_(std::move(options)),
      http_(new httplib::Server) {
  Configure(*http_);
  RegisterSysmlRoutes(*this);
  RegisterAdminRoutes(*this);
  RegisterSyncRoutes(*this);
  RegisterBundleRoutes(*this);
}

void ApiServer::Configure(httplib::Server& server) {
  size_t threads = options_.threads;
  size_t max_connections = options_.max_connections;
  server.new_task_queue = [threads, max_connections] {
    return new ConnectionQueue(threads, max_connections);
  };
  server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return RefuseOverLimits(req, res) ? httplib::Server::HandlerResponse::Handled
                                      : httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_payload_max_length(options_.max_body_bytes);
  server.set_read_timeout(30, 0);
  server.set_tcp_nodelay(true);  // answers written in pieces must not wait for delayed ACKs
  server.set_write_timeout(30, 0);
  server.set_keep_alive_timeout(10);
  size_t max_body = options_.max_body_bytes;
  server.set_error_handler([max_body](const httplib::Request& req, httplib::Response& res) {
    // Errors httplib produces itself (unknown path, oversize body) get the
    // same Error body as ours; ours already carry one. httplib calls this
    // outside its exception guard, so nothing here may throw.
    if (!res.body.empty()) return;
    std::string what;
    if (res.status == 404) {
      what = "no such endpoint: " + req.method + " " + req.path;
    } else if (res.status == 413) {
      what = "request body too large: the limit is " + std::to_string(max_body) +
             " bytes for JSON (server.max-body-bytes); send bodies with "
             "Content-Type: application/json";
    } else if (res.status == 400) {
      what = "malformed HTTP request";
    } else {
      what = "HTTP error " + std::to_string(res.status);
    }
    res.set_content(Render(ErrorJson(what)), "application/json");
  });
  server.set_exception_handler([](const httplib::Request& req, httplib::Response& res,
                                  std::exception_ptr ep) {
    std::string what = "unknown";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("internal error in {} {}: {}", LogSafe(req.method), LogSafe(req.path), what);
    res.status = 500;
    res.set_content(Render(ErrorJson("internal error; the server log has the details")),
                    "application/json");
  });
}

ApiServer::~ApiServer() { Stop(); }

bool ApiServer::RefuseOverLimits(const httplib::Request& req, httplib::Response& res) {
  std::string problem;
  if (OverConnectionLimit()) {
    res.status = 503;
    res.set_header("Retry-After", "1");
    problem = "the server has " + std::to_string(options_.max_connections) +
              " open connections, its limit (server.max-connections); retry shortly";
  } else if (auto bad = HeaderProblem(req, options_.max_header_bytes, options_.max_header_count)) {
    res.status = bad->status;
    problem = bad->message;
  } else {
    return false;
  }
  // The body (if any) is not read: the connection cannot be reused.
  res.set_header("Connection", "close");
  res.set_content(Render(ErrorJson(problem)), "application/json");
  spdlog::warn("{} {} from {} refused ({}): {}", LogSafe(req.method), LogSafe(req.path),
               req.remote_addr, res.status, problem);
  return true;
}

Result<Principal> ApiServer::Authenticate(const httplib::Request& req) {
  std::string header = req.get_header_value("Authorization");
  if (header.empty()) {
    if (auto user = CertificateUser(req, options_.tls)) return auth_.CheckCertificateUser(*user);
    return Status::Unauthenticated("authentication required: use HTTP Basic or a bearer token "
                                   "from POST /api/v1/login");
  }
  auto scheme_is = [&](std::string_view scheme) {
    return header.size() > scheme.size() && header[scheme.size()] == ' ' &&
           strncasecmp(header.data(), scheme.data(), scheme.size()) == 0;
  };
  if (scheme_is("Bearer")) return auth_.CheckToken(header.substr(7));
  if (scheme_is("Basic")) {
    auto decoded = Base64Decode(header.substr(6));
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      return Status::Unauthenticated("malformed Basic credentials");
    }
    return auth_.CheckPassword(decoded->substr(0, colon), decoded->substr(colon + 1),
                               req.remote_addr);
  }
  return Status::Unauthenticated("unsupported Authorization scheme; use Basic or Bearer");
}

void ApiServer::Add(Method method, const std::string& pattern, RoutePolicy policy,
                    RouteHandler handler) {
  routes_.push_back(RouteInfo{method, pattern, policy});
  bool sync_endpoint = IsSyncEndpoint(pattern);
  auto wrapped = [this, method, policy, sync_endpoint, handler = std::move(handler)](
                     const httplib::Request& req, httplib::Response& res) {
    auto start = std::chrono::steady_clock::now();
    Principal who;  // anonymous until authenticated
    Status st = sync_endpoint ? CheckSyncTransport(req, options_.tls, https_port_) : Status::Ok();
    if (st.ok() && policy.min_role) {
      auto p = Authenticate(req);
      if (p.ok()) {
        who = std::move(p).value();
        st = Authorize(*this, policy, who, req);
      } else {
        st = p.status();
      }
    }
    if (st.ok()) {
      Call call(req, who, options_);
      auto reply = handler(call);
      if (reply.ok()) {
        res.status = reply->status;
        for (const auto& [k, v] : reply->headers) res.set_header(k, v);
        if (reply->stream) {
          auto stream = std::move(reply->stream);
          std::string path = LogSafe(req.path);
          res.set_chunked_content_provider(
              reply->content_type, [stream, path](size_t, httplib::DataSink& sink) {
                Status written = stream([&](std::string_view bytes) {
                  return sink.write(bytes.data(), bytes.size());
                });
                if (!written.ok()) {
                  // The client sees a stream without its end and resumes later.
                  spdlog::warn("stream of {} stopped: {}", path, written.ToString());
                  return false;
                }
                sink.done();
                return true;
              });
        } else if (!reply->empty) {
          res.set_content(Render(reply->body), "application/json");
        }
      } else {
        st = reply.status();
      }
    }
    if (!st.ok()) {
      WriteError(res, st);
      if (st.code() == StatusCode::kRateLimited) {
        int64_t wait = auth_.RetryAfterSeconds(ClaimedUser(req), req.remote_addr);
        res.set_header("Retry-After", std::to_string(std::max<int64_t>(wait, 1)));
      }
      if (HttpStatusFor(st) >= 500) {
        spdlog::error("{} {}: {}", LogSafe(req.method), LogSafe(req.path), st.ToString());
      }
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start).count();
    spdlog::info("{} {} {} {}ms user={}", MethodName(method), LogSafe(req.path), res.status, ms,
                 who.user.empty() ? "-" : who.user);
  };
  installed_.push_back({method, pattern, wrapped});
  Install(*http_, method, pattern, wrapped);
}

void ApiServer::Install(
    httplib::Server& server, Method method, const std::string& pattern,
    const std::function<void(const httplib::Request&, httplib::Response&)>& handler) {
  switch (method) {
    case Method::kGet: server.Get(pattern, handler); break;
    case Method::kPost: server.Post(pattern, handler); break;
    case Method::kPut: server.Put(pattern, handler); break;
    case Method::kPatch: server.Patch(pattern, handler); break;
    case Method::kDelete: server.Delete(pattern, handler); break;
  }
}

Result<int> ApiServer::Bind(const std::string& host, int port) {
  ASSIGN_OR_RETURN(int bound, BindListener(*http_, host, port, "--port"));
  http_bound_ = true;
  return bound;
}

Result<int> ApiServer::BindTls(const std::string& host, int port,
                               const TlsServerMaterial& material) {
  Status configured;
  auto https = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
    configured = ConfigureServerContext(ctx, material);
    return configured.ok();
  });
  if (!configured.ok()) return Status::InvalidArgument("HTTPS listener: " + configured.message());
  if (!https->is_valid()) return Status::InvalidArgument("HTTPS listener: OpenSSL cannot start TLS");
  Configure(*https);
  for (const auto& r : installed_) Install(*https, r.method, r.pattern, r.handler);
  ASSIGN_OR_RETURN(int bound, BindListener(*https, host, port, "--https-port"));
  https_ = std::move(https);
  https_port_ = bound;
  return bound;
}

Status ApiServer::Serve() {
  // The HTTPS listener gets a thread of its own when both listen.
  Status https_status;
  std::atomic<bool> https_done{false};
  std::thread https_thread;
  if (https_ && http_bound_) {
    https_thread = std::thread([this, &https_status, &https_done] {
      if (!https_->listen_after_bind()) {
        https_status = Status::IOError("the HTTPS listener stopped with an error");
      }
      https_done = true;
    });
  }
  Status st;
  if (http_bound_) {
    if (!http_->listen_after_bind()) st = Status::IOError("the HTTP listener stopped with an error");
  } else if (https_ && !https_->listen_after_bind()) {
    st = Status::IOError("the HTTPS listener stopped with an error");
  }
  if (https_thread.joinable()) {
    // One listener ending (Stop, or an error) ends both; stop() is a no-op
    // until the thread has started listening, so repeat it until it has ended.
    while (!https_done) {
      https_->stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    https_thread.join();
  }
  return st.ok() ? https_status : st;
}

void ApiServer::Stop() {
  for (const auto& hook : stop_hooks_) hook();
  if (http_) http_->stop();
  if (https_) https_->stop();
}

}  // namespace tandem
