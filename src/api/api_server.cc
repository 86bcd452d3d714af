#include "api/api_server.h"

#include <sodium.h>
#include <spdlog/spdlog.h>
#include <strings.h>

#include <charconv>
#include <regex>

#include "api/admin_ui.h"
#include "api/http_engine.h"
#include "api/sysml_json.h"
#include "common/ids.h"
#include "common/log_safe.h"
#include "common/percent_encoding.h"

namespace tandem {
namespace {

constexpr char kRealm[] = "Basic realm=\"tandem\", charset=\"UTF-8\"";

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
std::string ClaimedUser(const HttpRequest& req) {
  std::string header = req.Header("Authorization");
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

HttpResponse ErrorResponse(const Status& st) {
  int status = HttpStatusFor(st);
  std::string message = st.message();
  // Unavailable says when to come back and NotImplemented names the operation;
  // the other 5xx messages may hold storage internals.
  if (status >= 500 && st.code() != StatusCode::kUnavailable &&
      st.code() != StatusCode::kNotImplemented) {
    // Storage internals (SQL, paths) stay in the server log.
    spdlog::error("internal error: {}", st.ToString());
    message = std::string(StatusCodeName(st.code())) +
              ": the server could not complete the request; its log has the details";
  }
  HttpResponse res = HttpError(status, message);
  if (st.code() == StatusCode::kUnauthenticated) res.headers.emplace_back("WWW-Authenticate", kRealm);
  // Unavailable is temporary (the store's writer busy past storage.write-wait-ms,
  // the server stopping): say when to come back.
  if (st.code() == StatusCode::kUnavailable) res.headers.emplace_back("Retry-After", "1");
  return res;
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
  return n < req_.matches.size() ? req_.matches[n] : std::string();
}

Result<std::string> Call::IdParam(size_t n, const char* name) const {
  std::string v = Param(n);
  if (!IsUuid(v)) return Status::InvalidArgument(std::string(name) + " '" + v + "' is not a UUID");
  return NormalizeUuid(v);
}

std::optional<std::string> Call::Query(const char* name) const {
  if (!req_.HasParam(name)) return std::nullopt;
  return req_.Param(name);
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

struct ApiServer::Route {
  Method method;
  std::string pattern;
  std::regex regex;
  RoutePolicy policy;
  bool sync_endpoint;
  RouteHandler handler;
  std::string label;  // RouteLabel(pattern), for the metrics
};

ApiServer::ApiServer(Repository& repo, Authenticator& auth, SyncEngine* engine, ApiOptions options)
    : repo_(repo),
      auth_(auth),
      engine_(engine),
      source_(repo),
      options_(std::move(options)),
      imports_(std::make_unique<ImportService>(repo, SystemClock::Instance(), options_.imports)),
      metrics_(std::make_unique<ServerMetrics>(SystemClock::Instance())),
      started_micros_(SystemClock::Instance().NowMicros()),
      http_(std::make_unique<HttpEngine>(options_.http,
                                         [this](HttpRequest& req) { return Handle(req); })) {
  RegisterSysmlRoutes(*this);
  RegisterAdminRoutes(*this);
  RegisterSyncRoutes(*this);
  RegisterBundleRoutes(*this);
  RegisterImportRoutes(*this);
  RegisterMetricsRoute(*this);
  RegisterAdminUi(*this);
  ChangeFeed& feed = repo_.change_feed();
  feed_subscription_ = feed.Subscribe([engine = http_.get()](uint64_t g) { engine->Notify(g); });
  http_->Notify(feed.generation());
}

ApiServer::~ApiServer() {
  Stop();
  repo_.change_feed().Unsubscribe(feed_subscription_);
  http_.reset();  // its workers may still run handlers that use the members below
}

Result<Principal> ApiServer::Authenticate(const HttpRequest& req) {
  std::string header = req.Header("Authorization");
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
  table_.push_back(std::make_unique<Route>(Route{method, pattern, std::regex(pattern), policy,
                                                 IsSyncEndpoint(pattern), std::move(handler),
                                                 RouteLabel(pattern)}));
}

HttpOutcome ApiServer::Handle(HttpRequest& req) {
  std::smatch m;
  for (const auto& route : table_) {
    if (req.method != MethodName(route->method)) continue;
    if (!std::regex_match(req.path, m, route->regex)) continue;
    req.matches.assign(m.begin(), m.end());
    return RunRoute(*route, req);
  }
  HttpOutcome out;
  out.response = HttpError(404, "no such endpoint: " + req.method + " " + req.path);
  // The method as a label only when it is one of ours: the series stay bounded.
  const char* method = "other";
  for (Method m : {Method::kGet, Method::kPost, Method::kPut, Method::kPatch, Method::kDelete}) {
    if (req.method == MethodName(m)) method = MethodName(m);
  }
  spdlog::info("{} {} 404 0ms user=-", LogSafe(req.method), LogSafe(req.path));
  metrics_->ObserveRequest(method, "unmatched", 404, 0);
  return out;
}

namespace {

// A browser names where a request comes from (Sec-Fetch-Site, Origin); other
// clients send neither. A change requested by another site's page is refused
// before authentication: a browser that once answered a Basic prompt for this
// server sends those credentials along with any site's form or script.
Status CheckRequestOrigin(const HttpRequest& req) {
  if (req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS") return Status::Ok();
  const char* refusal = "a change requested by another site's page is refused (cross-site request)";
  // A page cannot set Sec-Fetch-Site itself; where the browser sends it, it
  // decides (also behind a proxy that rewrites Host). Otherwise the Origin
  // must name this server as the client reached it.
  std::string site = req.Header("Sec-Fetch-Site");
  if (site == "cross-site" || site == "same-site") return Status::PermissionDenied(refusal);
  if (site == "same-origin" || site == "none") return Status::Ok();
  std::string origin = req.Header("Origin");
  if (origin.empty()) return Status::Ok();
  auto scheme_end = origin.find("://");
  std::string host = req.Header("Host");
  if (scheme_end == std::string::npos || host.empty() ||
      strcasecmp(origin.substr(scheme_end + 3).c_str(), host.c_str()) != 0) {
    return Status::PermissionDenied(refusal);
  }
  return Status::Ok();
}

}  // namespace

HttpOutcome ApiServer::RunRoute(const Route& route, HttpRequest& req) {
  auto start = std::chrono::steady_clock::now();
  Principal who;  // anonymous until authenticated
  Status st = CheckRequestOrigin(req);
  if (st.ok() && route.sync_endpoint) st = CheckSyncTransport(req, options_.tls, https_port_);
  if (st.ok() && route.policy.min_role) {
    auto p = Authenticate(req);
    if (p.ok()) {
      who = std::move(p).value();
      st = Authorize(*this, route.policy, who, req);
    } else {
      st = p.status();
    }
  }
  if (st.ok()) return RunHandler(route, req, who, start);
  HttpOutcome out;
  out.response = RefusalFor(st, req);
  Answered(MethodName(route.method), route.label, req, out.response.status, start, who.user);
  return out;
}

HttpOutcome ApiServer::RunHandler(const Route& route, HttpRequest& req, const Principal& who,
                                  std::chrono::steady_clock::time_point start) {
  Call call(req, who, options_);
  auto reply = route.handler(call);
  HttpOutcome out;
  if (reply.ok() && reply->wait) {
    out.wait = HttpOutcome::Wait{reply->wait->generation, reply->wait->deadline,
                                 Repository::kChangeRecheck};
    // The route table and the request outlive the parked poll (the engine
    // holds the request until it is answered).
    out.resume = [this, &route, &req, who, start] { return RunHandler(route, req, who, start); };
    return out;
  }
  HttpResponse& res = out.response;
  if (reply.ok()) {
    res.status = reply->status;
    res.headers = std::move(reply->headers);
    if (reply->stream) {
      res.content_type = reply->content_type;
      res.stream = [stream = std::move(reply->stream), path = LogSafe(req.path)](
                       const std::function<bool(std::string_view)>& write) {
        Status written = stream(write);
        // The client sees a stream without its end and resumes later.
        if (!written.ok()) spdlog::warn("stream of {} stopped: {}", path, written.ToString());
        return written.ok();
      };
    } else if (!reply->text.empty()) {
      res.body = std::move(reply->text);
      res.content_type = reply->content_type.empty() ? "application/json" : reply->content_type;
    } else if (!reply->empty) {
      res.body = RenderJson(reply->body);
      res.content_type = "application/json";
    }
  } else {
    res = RefusalFor(reply.status(), req);
    if (res.status >= 500) {
      spdlog::error("{} {}: {}", LogSafe(req.method), LogSafe(req.path),
                    reply.status().ToString());
    }
  }
  Answered(MethodName(route.method), route.label, req, res.status, start, who.user);
  return out;
}

void ApiServer::Answered(const char* method, const std::string& route_label, const HttpRequest& req,
                         int status, std::chrono::steady_clock::time_point start,
                         const std::string& user) {
  auto elapsed = std::chrono::steady_clock::now() - start;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  spdlog::info("{} {} {} {}ms user={}", method, LogSafe(req.path), status, ms,
               user.empty() ? "-" : user);
  metrics_->ObserveRequest(method, route_label, status,
                           std::chrono::duration<double>(elapsed).count());
}

HttpFigures ApiServer::http_figures() { return http_->Figures(); }

HttpResponse ApiServer::RefusalFor(const Status& st, const HttpRequest& req) {
  HttpResponse res = ErrorResponse(st);
  if (st.code() == StatusCode::kRateLimited) {
    int64_t wait = auth_.RetryAfterSeconds(ClaimedUser(req), req.remote_addr);
    res.headers.emplace_back("Retry-After", std::to_string(std::max<int64_t>(wait, 1)));
  }
  return res;
}

Result<int> ApiServer::Bind(const std::string& host, int port) {
  ASSIGN_OR_RETURN(int bound, http_->Listen(host, port, "--port"));
  listeners_.push_back({"http", host, bound, std::nullopt});
  return bound;
}

Result<int> ApiServer::BindTls(const std::string& host, int port,
                               const TlsServerMaterial& material) {
  ASSIGN_OR_RETURN(int bound, http_->ListenTls(host, port, material));
  https_port_ = bound;
  listeners_.push_back({"https", host, bound, SummarizeCertificate(material.identity.cert.get())});
  return bound;
}

Status ApiServer::Serve() { return http_->Run(); }

void ApiServer::Stop() {
  for (const auto& hook : stop_hooks_) hook();
  imports_->Stop();  // runs end within one read of their source
  if (http_) http_->Stop();
}

}  // namespace tandem
