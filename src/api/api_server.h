// ApiServer: the HTTP front of a Tandem server. It owns the HTTP engine
// (http_engine.h: Boost.Beast listeners that refuse connections, heads and
// bodies over their limits while reading them), routes each request to its
// registered handler, authenticates every request (HTTP Basic or bearer
// token), applies the route's declared policy (route_policy.h), parses bodies
// with size and depth limits, maps Status to HTTP status codes and the SysML v2
// Error body, and logs each request. Routes (sysml_routes.cc, admin_routes.cc,
// sync_routes.cc) hold no SQL and no domain rules: they translate HTTP to
// Repository calls and back.
//
// It can listen with plain HTTP, with HTTPS (api_tls.h: TLS rules of the
// synchronization endpoints, client certificates as accounts), or both; every
// route is served on each listener.
//
// A handler with nothing to answer yet (GET /api/v1/changes?wait=N) returns
// WaitForChange(): the engine parks the connection without a thread and runs
// the handler again once the change feed moves on, or at the deadline.
//
// Thread-safe: handlers run on a pool of worker threads (server.threads);
// Stop() may be called from any thread (e.g. a signal watcher).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/api_tls.h"
#include "api/http_engine.h"
#include "api/http_request.h"
#include "api/metrics.h"
#include "api/route_policy.h"
#include "auth/authenticator.h"
#include "common/canonical_json.h"
#include "repo/repository.h"
#include "sync/source_service.h"
#include "sync/sync_engine.h"
#include "sync/sysml_import.h"
#include "tls/tls_context.h"

namespace tandem {

class HttpEngine;
struct HttpOutcome;

struct ApiOptions {
  size_t max_json_depth = 64;
  size_t default_page_size = 100;
  size_t max_page_size = 1000;
  int post_status = 201;  // sysml.post-status: 200 for clients of the reference implementation
  // The HTTP engine: threads, header/body/connection limits, deadlines
  // (server.* keys, docs/configuration.md).
  HttpLimits http;
  std::chrono::seconds max_wait{60};  // longest change-feed long poll
  std::string version;
  // Synchronization bundles received in pieces wait here (docs/bundle-format.md).
  std::string bundle_dir;
  uint64_t max_bundle_bytes = 8ull << 30;  // sync.max-bundle-bytes
  size_t max_open_uploads_per_user = 4;     // sync.max-open-uploads-per-user
  size_t max_open_uploads = 64;             // sync.max-open-uploads (all users)
  ApiTlsOptions tls;
  // Imports from other SysML v2 API servers (POST /api/v1/imports).
  ImportServiceOptions imports;
  // metrics.anonymous: GET /metrics without authentication (else a reader's).
  bool metrics_anonymous = false;
};

// What a route handler returns on success.
struct Reply {
  int status = 200;
  Json body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool empty = false;  // 204-style: no body at all
  // When set, the body is streamed (chunked) from this writer instead of `body`;
  // it runs after the handler returned, so it must own what it uses.
  std::function<Status(const std::function<bool(std::string_view)>&)> stream;
  std::string content_type;
  // When set (and no stream), the body as is: JSON text already rendered,
  // or text of `content_type` when that is set.
  std::string text;
  // When set, there is nothing to answer yet (a long poll): the handler runs
  // again, with a new Call on the same request, once the change feed's
  // generation has passed `generation` or at `deadline` at the latest.
  struct ChangeWait {
    uint64_t generation = 0;
    std::chrono::steady_clock::time_point deadline;
  };
  std::optional<ChangeWait> wait;
};

// A reply with a JSON body.
inline Reply JsonReply(int status, Json body) {
  Reply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}
// A reply with no body (204).
inline Reply EmptyReply() {
  Reply r;
  r.status = 204;
  r.empty = true;
  return r;
}
// "Run me again when the change feed passes `generation`, or at `deadline`."
// Read the generation before looking for changes, so that none is missed.
inline Reply WaitForChange(uint64_t generation, std::chrono::steady_clock::time_point deadline) {
  Reply r;
  r.wait = Reply::ChangeWait{generation, deadline};
  return r;
}

enum class Method { kGet, kPost, kPut, kPatch, kDelete };
const char* MethodName(Method m);

// One request as a handler sees it.
class Call {
 public:
  Call(const HttpRequest& req, Principal who, const ApiOptions& options)
      : req_(req), who_(std::move(who)), options_(options) {}

  const Principal& who() const { return who_; }
  // When the request arrived (a long poll's wait counts from here, across re-runs).
  std::chrono::steady_clock::time_point received() const { return req_.received; }
  // The client's IP address (for the login throttle).
  const std::string& client() const;
  // The n-th capture of the route pattern (1-based).
  std::string Param(size_t n) const;
  // A path capture that must be a UUID (normalized to lowercase).
  Result<std::string> IdParam(size_t n, const char* name) const;
  std::optional<std::string> Query(const char* name) const;
  Result<std::optional<std::string>> QueryId(const char* name) const;
  // The body parsed as JSON (depth-limited); InvalidArgument if malformed.
  Result<Json> Body() const;
  // The body as received (binary uploads).
  const std::string& RawBody() const;
  // A request header's value ("" when absent).
  std::string Header(std::string_view name) const { return req_.Header(name); }
  // page[size], page[after], page[before].
  Result<PageRequest> Page() const;
  // Reply for a list page: JSON array body plus a Link header.
  Reply PageReply(Json items, const std::string& first_id, const std::string& last_id,
                  bool more_after, bool more_before) const;
  const ApiOptions& options() const { return options_; }

 private:
  const HttpRequest& req_;
  Principal who_;
  const ApiOptions& options_;
};

using RouteHandler = std::function<Result<Reply>(Call&)>;

// One registered route, as the route table lists it.
struct RouteInfo {
  Method method;
  std::string pattern;
  RoutePolicy policy;
};

class ApiServer {
 public:
  // `engine` may be null (no remote configurations, e.g. in tools).
  ApiServer(Repository& repo, Authenticator& auth, SyncEngine* engine, ApiOptions options);
  ~ApiServer();

  // Registers a route; Authorize() (route_policy.h) applies `policy` before
  // the handler runs. In `pattern`, kPathParam captures one path segment.
  static constexpr char kPathParam[] = "([^/]+)";
  void Add(Method method, const std::string& pattern, RoutePolicy policy, RouteHandler handler);
  // Shorthand: `min_role` nullopt is public (no authentication), no scope.
  void Add(Method method, const std::string& pattern, std::optional<Role> min_role,
           RouteHandler handler) {
    Add(method, pattern, RoutePolicy{min_role, RouteScope::kNone}, std::move(handler));
  }
  // Every registered route with its policy, in registration order.
  const std::vector<RouteInfo>& routes() const { return routes_; }

  // Binds to host:port (0 picks a free port) and returns the bound port.
  Result<int> Bind(const std::string& host, int port);
  // Binds an HTTPS listener presenting `material`; as Bind. InvalidArgument
  // when OpenSSL refuses the certificate or key.
  Result<int> BindTls(const std::string& host, int port, const TlsServerMaterial& material);
  // Serves every bound listener until Stop(). Blocking.
  Status Serve();
  void Stop();
  // Runs first in Stop(), before the listeners end: for work that outlives a
  // request (bundle applies) to let waiting requests go. Register before Serve().
  void AddStopHook(std::function<void()> hook) { stop_hooks_.push_back(std::move(hook)); }

  Repository& repo() { return repo_; }
  Authenticator& auth() { return auth_; }
  SyncEngine* engine() { return engine_; }
  ImportService& imports() { return *imports_; }
  SourceService& source() { return source_; }
  ServerMetrics& metrics() { return *metrics_; }
  HttpFigures http_figures();
  const ApiOptions& options() const { return options_; }

  // What GET /api/v1/server says of the listeners (fixed once Serve() runs).
  struct Listener {
    std::string scheme;  // "http" or "https"
    std::string host;
    int port = 0;
    std::optional<CertificateSummary> certificate;  // https
  };
  const std::vector<Listener>& listeners() const { return listeners_; }
  int64_t started_micros() const { return started_micros_; }

 private:
  struct Route;
  // The engine's handler: finds the route and runs it.
  HttpOutcome Handle(HttpRequest& req);
  // Transport rules, authentication and policy, then the handler.
  HttpOutcome RunRoute(const Route& route, HttpRequest& req);
  // The handler (again, for a parked long poll) and its answer.
  HttpOutcome RunHandler(const Route& route, HttpRequest& req, const Principal& who,
                         std::chrono::steady_clock::time_point start);
  Result<Principal> Authenticate(const HttpRequest& req);
  // The Error answer for `st`, with Retry-After when it is a login lockout.
  HttpResponse RefusalFor(const Status& st, const HttpRequest& req);
  // Logs an answered request and counts it in the metrics.
  void Answered(const char* method, const std::string& route_label, const HttpRequest& req,
                int status, std::chrono::steady_clock::time_point start, const std::string& user);

  Repository& repo_;
  Authenticator& auth_;
  SyncEngine* engine_;
  SourceService source_;
  ApiOptions options_;
  std::unique_ptr<ImportService> imports_;
  std::unique_ptr<ServerMetrics> metrics_;
  std::vector<RouteInfo> routes_;
  std::vector<std::function<void()>> stop_hooks_;
  std::vector<std::unique_ptr<Route>> table_;  // in registration order: the first match wins
  int https_port_ = -1;
  std::vector<Listener> listeners_;
  int64_t started_micros_ = 0;
  uint64_t feed_subscription_ = 0;
  // Last: destroyed first, while the routes its handler runs still exist.
  std::unique_ptr<HttpEngine> http_;
};

int HttpStatusFor(const Status& status);

void RegisterSysmlRoutes(ApiServer& api);
void RegisterAdminRoutes(ApiServer& api);
void RegisterSyncRoutes(ApiServer& api);
void RegisterBundleRoutes(ApiServer& api);
void RegisterImportRoutes(ApiServer& api);
void RegisterMetricsRoute(ApiServer& api);

}  // namespace tandem
