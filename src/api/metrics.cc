#include "api/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "api/api_server.h"

namespace tandem {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Seconds; from a cached element read (~1 ms) to a long first page of a large query.
const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

MetricFamily Family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

// A sample of a gauge or a counter (the serializer reads the field of its family's type).
ClientMetric Sample(double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  m.counter.value = value;
  return m;
}

MetricFamily Single(std::string name, std::string help, MetricType type, double value) {
  MetricFamily f = Family(std::move(name), std::move(help), type);
  f.metric.push_back(Sample(value));
  return f;
}

// The seconds since the epoch of an RFC 3339 time in `j[key]`, if there is one.
std::optional<double> EpochSeconds(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return std::nullopt;
  auto micros = ParseTimestamp(j[key].get<std::string>());
  if (!micros) return std::nullopt;
  return static_cast<double>(*micros) / 1e6;
}

// The configurations' families: state, feed watcher, lag, last success and
// the run totals, each labelled by configuration id.
void AddSyncFamilies(SyncEngine& engine, Clock& clock, std::vector<MetricFamily>& out) {
  auto list = engine.List();
  if (!list.ok()) {
    spdlog::warn("metrics: cannot list remote configurations: {}", list.status().message());
    return;
  }
  auto totals = engine.Totals();
  const char* kStates[] = {"idle", "running", "waiting", "error", "paused", "completed"};
  const char* kFeeds[] = {"none", "connecting", "connected", "disconnected"};
  const char* kOutcomes[] = {"ok", "partial", "error", "cancelled"};
  MetricFamily configs =
      Single("tandem_sync_configurations", "Remote resource configurations on this server",
             MetricType::Gauge, static_cast<double>(list->size()));
  MetricFamily state =
      Family("tandem_sync_state", "1 for the configuration's current state", MetricType::Gauge);
  MetricFamily feed =
      Family("tandem_sync_feed_watcher",
             "1 for the state of the configuration's connection to the source's change feed",
             MetricType::Gauge);
  MetricFamily failures =
      Family("tandem_sync_consecutive_failures",
             "Runs that failed as a whole since the last one that did not", MetricType::Gauge);
  MetricFamily last_success =
      Family("tandem_sync_last_success_timestamp_seconds",
             "When the last run that did not fail as a whole ended", MetricType::Gauge);
  MetricFamily lag_seconds =
      Family("tandem_sync_lag_seconds",
             "0 while the last run copied everything; otherwise the seconds since the "
             "last run that did (or since the configuration was created)",
             MetricType::Gauge);
  MetricFamily lag_commits =
      Family("tandem_sync_lag_commits",
             "Commits the source had at the last run that are not here yet", MetricType::Gauge);
  MetricFamily runs =
      Family("tandem_sync_runs_total", "Finished runs by outcome", MetricType::Counter);
  MetricFamily commits =
      Family("tandem_sync_commits_copied_total", "Commits copied by runs", MetricType::Counter);
  MetricFamily bytes =
      Family("tandem_sync_bytes_copied_total", "Pack bytes received by runs", MetricType::Counter);
  MetricFamily seconds =
      Family("tandem_sync_run_seconds_total", "Time spent running", MetricType::Counter);
  const double now = static_cast<double>(clock.NowMicros()) / 1e6;
  for (const auto& record : *list) {
    std::string id = JsonString(record, "id", "");
    if (id.empty()) continue;
    auto status = engine.GetStatus(id);
    if (!status.ok()) continue;  // deleted meanwhile
    std::vector<ClientMetric::Label> labels = {{"config", id}};
    auto with = [&](const char* name, const char* value) {
      auto l = labels;
      l.push_back({name, value});
      return l;
    };
    std::string current = JsonString(*status, "state", "");
    for (const char* s : kStates)
      state.metric.push_back(Sample(current == s ? 1 : 0, with("state", s)));
    std::string watcher = JsonString(*status, "feedWatcher", "none");
    for (const char* s : kFeeds)
      feed.metric.push_back(Sample(watcher == s ? 1 : 0, with("state", s)));
    failures.metric.push_back(
        Sample(static_cast<double>(JsonInt(*status, "consecutiveFailures", 0)), labels));
    std::optional<double> success = EpochSeconds(*status, "lastSuccess");
    if (success) last_success.metric.push_back(Sample(*success, labels));

    auto t = totals.find(id);
    RunTotals run_totals = t == totals.end() ? RunTotals{} : t->second;
    bool caught_up =
        status->contains("lastRun") && JsonString((*status)["lastRun"], "outcome") == "ok";
    std::optional<double> since = success ? success : EpochSeconds(record, "created");
    lag_seconds.metric.push_back(
        Sample(caught_up || !since ? 0 : std::max(0.0, now - *since), labels));
    lag_commits.metric.push_back(
        Sample(static_cast<double>(caught_up ? 0 : run_totals.commits_behind), labels));
    for (const char* o : kOutcomes) {
      auto n = run_totals.runs.find(o);
      runs.metric.push_back(Sample(n == run_totals.runs.end() ? 0 : static_cast<double>(n->second),
                                   with("outcome", o)));
    }
    commits.metric.push_back(Sample(static_cast<double>(run_totals.commits), labels));
    bytes.metric.push_back(Sample(static_cast<double>(run_totals.bytes), labels));
    seconds.metric.push_back(Sample(run_totals.seconds, labels));
  }
  for (auto* f : {&configs, &state, &feed, &failures, &last_success, &lag_seconds, &lag_commits,
                  &runs, &commits, &bytes, &seconds}) {
    out.push_back(std::move(*f));
  }
}

}  // namespace

std::string RouteLabel(const std::string& pattern) {
  std::string out;
  int depth = 0;
  size_t group_start = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      if (depth == 0) out += pattern[i + 1];
      ++i;
    } else if (c == '(') {
      if (depth++ == 0) group_start = i;
    } else if (c == ')' && depth > 0) {
      if (--depth == 0)
        out +=
            pattern.compare(group_start, i - group_start + 1, "(.+)") == 0 ? "{path}" : "{param}";
    } else if (depth == 0) {
      out += c;
    }
  }
  return out;
}

ServerMetrics::ServerMetrics(Clock& clock, std::chrono::seconds content_interval)
    : clock_(clock),
      content_interval_(content_interval),
      registry_(std::make_shared<prometheus::Registry>()) {
  requests_ = &prometheus::BuildCounter()
                   .Name("tandem_http_requests_total")
                   .Help("HTTP requests answered, by method, route pattern and status")
                   .Register(*registry_);
  latency_ =
      &prometheus::BuildHistogram()
           .Name("tandem_http_request_duration_seconds")
           .Help(
               "Time from a request's arrival to its answer (a long poll's wait included), by "
               "method and route pattern")
           .Register(*registry_);
}

ServerMetrics::~ServerMetrics() = default;

void ServerMetrics::ObserveRequest(const char* method, const std::string& route, int status,
                                   double seconds) {
  requests_->Add({{"method", method}, {"route", route}, {"status", std::to_string(status)}})
      .Increment();
  latency_->Add({{"method", method}, {"route", route}}, kLatencyBuckets).Observe(seconds);
}

Result<ContentCounts> ServerMetrics::Content(ApiServer& api) {
  // Under the lock: scrapes that arrive while one counts wait for its answer
  // instead of counting too.
  MutexLock lock(mu_);
  int64_t now = clock_.MonotonicMicros();
  uint64_t generation = api.repo().change_feed().generation();
  if (!content_ || (generation != content_generation_ &&
                    now - content_read_ >= content_interval_.count() * 1'000'000)) {
    ASSIGN_OR_RETURN(ContentCounts counted, api.repo().CountContent());
    content_ = counted;
    content_read_ = now;
    content_generation_ = generation;
  }
  return *content_;
}

std::string ServerMetrics::Render(ApiServer& api) {
  std::vector<MetricFamily> families = registry_->Collect();

  auto figures = api.repo().Figures();
  if (figures.ok()) {
    families.push_back(Single("tandem_store_commits", "Commits in the store", MetricType::Gauge,
                              static_cast<double>(figures->commits)));
    families.push_back(Single("tandem_store_resources", "Resources in the store", MetricType::Gauge,
                              static_cast<double>(figures->resources)));
    families.push_back(Single("tandem_store_bytes", "Size of the store's database",
                              MetricType::Gauge, static_cast<double>(figures->store_bytes)));
  } else {
    spdlog::warn("metrics: cannot read the store's figures: {}", figures.status().message());
  }
  auto content = Content(api);
  if (content.ok()) {
    families.push_back(Single("tandem_store_element_versions", "Distinct element versions stored",
                              MetricType::Gauge, static_cast<double>(content->element_versions)));
    families.push_back(Single("tandem_store_element_version_bytes",
                              "Bytes of element versions as stored", MetricType::Gauge,
                              static_cast<double>(content->element_version_bytes)));
    families.push_back(Single("tandem_store_trie_nodes", "Trie nodes stored", MetricType::Gauge,
                              static_cast<double>(content->trie_nodes)));
  } else {
    spdlog::warn("metrics: cannot count the store's content: {}", content.status().message());
  }

  if (SyncEngine* engine = api.engine()) AddSyncFamilies(*engine, clock_, families);

  size_t running_imports = 0;
  for (const auto& job : api.imports().List())
    running_imports += JsonString(job, "state", "") == "running";
  families.push_back(Single("tandem_imports_running",
                            "Imports from other SysML v2 API servers running now",
                            MetricType::Gauge, static_cast<double>(running_imports)));

  LoginFigures logins = api.auth().LoginFiguresSoFar();
  families.push_back(Single("tandem_login_failures_total",
                            "Failed logins (wrong password or unknown account)",
                            MetricType::Counter, static_cast<double>(logins.failures)));
  families.push_back(Single("tandem_login_lockouts_total",
                            "Failed logins that locked an account out from an address",
                            MetricType::Counter, static_cast<double>(logins.lockouts)));

  HttpFigures http = api.http_figures();
  families.push_back(Single("tandem_http_open_connections", "Open HTTP connections",
                            MetricType::Gauge, static_cast<double>(http.open_connections)));
  families.push_back(Single("tandem_http_long_polls", "Requests parked in a change-feed long poll",
                            MetricType::Gauge, static_cast<double>(http.long_polls)));

  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, families);
  return text.str();
}

void RegisterMetricsRoute(ApiServer& api) {
  std::optional<Role> role;
  if (!api.options().metrics_anonymous) role = Role::kReader;
  api.Add(Method::kGet, "/metrics", role, [&api](Call&) -> Result<Reply> {
    Reply reply;
    reply.text = api.metrics().Render(api);
    reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return reply;
  });
}

}  // namespace tandem
