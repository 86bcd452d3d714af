// ServerMetrics: what GET /metrics answers, in the Prometheus text format
// (docs/operations.md lists every family). Requests are counted as they are
// answered (by method, route pattern and status, with a latency histogram);
// everything else is read when scraped: the store's commits, resources and
// size, the synchronization engine's configurations and run totals, the
// login throttle's totals, the HTTP engine's connections and long polls, and
// the imports. The store's content counts read every content row's header
// (about half a second for a 500 MB store), so they are counted again only
// when the change feed has moved and `content_interval` has passed.
// prometheus-cpp holds the request families and writes the text.
//
// Labels carry route patterns and configuration ids only — never a path as
// requested, a user name or a configuration's name — so that a scrape
// reveals no more than the route table and ids, and the number of series
// stays bounded by the routes and configurations.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/mutex.h"
#include "store/store.h"

namespace prometheus {
class Registry;
class Counter;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace tandem {

class ApiServer;

// A route pattern as a metric label: each capture group becomes "{param}"
// ("(.+)" "{path}"), e.g. "/sysml/v2/projects/{param}/commits".
std::string RouteLabel(const std::string& pattern);

class ServerMetrics {
 public:
  explicit ServerMetrics(Clock& clock,
                         std::chrono::seconds content_interval = std::chrono::seconds(300));
  ~ServerMetrics();
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  // One answered request; `route` is RouteLabel() of its pattern, or
  // "unmatched" for a path no route takes.
  void ObserveRequest(const char* method, const std::string& route, int status, double seconds);
  // Every family, rendered now.
  std::string Render(ApiServer& api) EXCLUDES(mu_);

 private:
  // The store's content counts, counted again as the header says.
  Result<ContentCounts> Content(ApiServer& api) EXCLUDES(mu_);

  Clock& clock_;
  const std::chrono::seconds content_interval_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_ = nullptr;
  prometheus::Family<prometheus::Histogram>* latency_ = nullptr;
  Mutex mu_;
  std::optional<ContentCounts> content_ GUARDED_BY(mu_);
  int64_t content_read_ GUARDED_BY(mu_) = 0;         // monotonic micros
  uint64_t content_generation_ GUARDED_BY(mu_) = 0;  // the change feed's, when counted
};

}  // namespace tandem
