// GET /metrics of real tandem-server processes, read with Prometheus's own
// text-format parser (python3-prometheus-client, Debian's /usr/bin/python3):
// authentication unless metrics.anonymous, request counts by route pattern,
// store figures, login failures and lockouts, and a synchronization's runs,
// copied commits, state, lag and change-feed watcher as the target sees them.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>

#include "tests/e2e/e2e_util.h"

namespace tandem::e2e {
namespace {

// One sample: its family's sample name, labels and value.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Parses Prometheus text with prometheus_client's parser (which throws on
// anything the format does not allow); ADD_FAILURE and empty on refusal.
std::vector<Sample> ParseExposition(const std::string& text, const TempDir& dir) {
  std::string input = dir.Sub("metrics.txt");
  std::ofstream(input) << text;
  std::string command =
      "/usr/bin/python3 -c 'import json,sys\n"
      "from prometheus_client.parser import text_string_to_metric_families as parse\n"
      "out=[[s.name,s.labels,s.value] for f in parse(open(sys.argv[1]).read()) for s in "
      "f.samples]\n"
      "print(json.dumps(out))' " +
      input + " 2>&1";
  std::string output;
  if (FILE* p = popen(command.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
    if (pclose(p) != 0) ADD_FAILURE() << "the Prometheus parser refused the metrics: " << output;
  }
  std::vector<Sample> samples;
  Json parsed = Json::parse(output, nullptr, false);
  if (!parsed.is_array()) return samples;
  for (const auto& s : parsed) {
    Sample one{s[0].get<std::string>(), {}, s[2].get<double>()};
    for (const auto& [k, v] : s[1].items()) one.labels[k] = v.get<std::string>();
    samples.push_back(std::move(one));
  }
  return samples;
}

// The value of the sample `name` whose labels include `labels`; -1 if none.
double Value(const std::vector<Sample>& samples, const std::string& name,
             const std::map<std::string, std::string>& labels = {}) {
  for (const auto& s : samples) {
    if (s.name != name) continue;
    bool all = true;
    for (const auto& [k, v] : labels) {
      auto it = s.labels.find(k);
      all = all && it != s.labels.end() && it->second == v;
    }
    if (all) return s.value;
  }
  return -1;
}

class MetricsE2eTest : public ::testing::Test {
 protected:
  std::unique_ptr<ServerProcess> Start(const std::string& name, const std::string& conf = "") {
    std::string path = dir_.Sub(name + ".conf");
    std::ofstream(path) << "sync.reconcile-seconds = 3600\n" << conf;
    return ServerProcess::Start({dir_.Sub(name), {"--config", path}, "admin-password-1", 0});
  }
  std::vector<Sample> Scrape(ServerProcess& server, const std::string& user = "admin",
                             const std::string& password = "admin-password-1") {
    auto r = server.Client(user, password)->Get("/metrics");
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    last_text_ = r->body;
    return ParseExposition(r->body, dir_);
  }

  TempDir dir_;
  std::string last_text_;
};

TEST_F(MetricsE2eTest, NeedAnAccountCountRequestsByRouteAndLoginFailuresAndParseAsPrometheusText) {
  auto server = Start("a");
  auto anonymous = httplib::Client("127.0.0.1", server->port()).Get("/metrics");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);

  auto admin = server->Client();
  ASSERT_EQ(
      PostJson(*admin, "/api/v1/users",
               {{"name", "prometheus"}, {"password", "scrape-password-1"}, {"role", "reader"}})
          ->status,
      201);
  std::string rid = CreateProject(*admin, "metered");
  auto committed = PostJson(*admin, "/sysml/v2/projects/" + rid + "/commits", RealModel());
  ASSERT_EQ(committed->status, 201);
  EXPECT_EQ(admin->Get("/sysml/v2/projects/" + rid + "/nothing-here")->status, 404);
  // Six wrong passwords: five are free, the sixth locks the account out from here.
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(server->Client("mallory", "wrong-password")->Get("/api/v1/server")->status, 401);
  }

  auto samples = Scrape(*server, "prometheus", "scrape-password-1");
  ASSERT_FALSE(samples.empty());
  EXPECT_EQ(
      Value(
          samples, "tandem_http_requests_total",
          {{"method", "POST"}, {"route", "/sysml/v2/projects/{param}/commits"}, {"status", "201"}}),
      1);
  EXPECT_EQ(
      Value(samples, "tandem_http_requests_total", {{"route", "/metrics"}, {"status", "401"}}), 1);
  EXPECT_EQ(
      Value(samples, "tandem_http_requests_total", {{"route", "unmatched"}, {"status", "404"}}), 1);
  EXPECT_EQ(Value(samples, "tandem_http_request_duration_seconds_count",
                  {{"method", "POST"}, {"route", "/sysml/v2/projects/{param}/commits"}}),
            1);
  EXPECT_GE(Value(samples, "tandem_http_request_duration_seconds_bucket",
                  {{"route", "/sysml/v2/projects/{param}/commits"}, {"le", "+Inf"}}),
            1);
  EXPECT_EQ(Value(samples, "tandem_store_commits"), 1);
  EXPECT_EQ(Value(samples, "tandem_store_resources"), 1);
  EXPECT_GE(Value(samples, "tandem_store_element_versions"), 228);
  EXPECT_GT(Value(samples, "tandem_store_bytes"), 0);
  EXPECT_EQ(Value(samples, "tandem_login_failures_total"), 6);
  EXPECT_EQ(Value(samples, "tandem_login_lockouts_total"), 1);
  EXPECT_GE(Value(samples, "tandem_http_open_connections"), 1);
  EXPECT_EQ(Value(samples, "tandem_http_long_polls"), 0);
  EXPECT_EQ(Value(samples, "tandem_sync_configurations"), 0);
  // Labels carry route patterns only: no requested path, id or account name.
  EXPECT_EQ(last_text_.find(rid), std::string::npos);
  EXPECT_EQ(last_text_.find("mallory"), std::string::npos);
  EXPECT_EQ(last_text_.find("nothing-here"), std::string::npos);
}

TEST_F(MetricsE2eTest, AnonymousScrapesOnlyWhenTheConfigurationOpensThem) {
  auto server = Start("open", "metrics.anonymous = true\n");
  auto r = httplib::Client("127.0.0.1", server->port()).Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("tandem_store_commits 0"), std::string::npos) << r->body;
}

TEST_F(MetricsE2eTest, ASynchronizationsRunsCopiesStateLagAndFeedWatcherShowAtTheTarget) {
  auto source = Start("source");
  auto target = Start("target");
  auto sc = source->Client();
  auto tc = target->Client();
  ASSERT_EQ(PostJson(*sc, "/api/v1/users",
                     {{"name", "puller"}, {"password", "puller-password"}, {"role", "reader"}})
                ->status,
            201);
  std::string rid = CreateProject(*sc, "followed");
  for (int i = 0; i < 3; ++i) {
    Json body = {
        {"change",
         Json::array({Json{
             {"payload", {{"@type", "PartDefinition"}, {"name", "part " + std::to_string(i)}}}}})}};
    ASSERT_EQ(PostJson(*sc, "/sysml/v2/projects/" + rid + "/commits", body)->status, 201);
  }
  std::string root = BodyJson(tc->Get("/api/v1/server"))["rootCategoryId"];
  Json config = {{"name", "followed from the source"},
                 {"source",
                  {{"url", "http://127.0.0.1:" + std::to_string(source->port())},
                   {"username", "puller"},
                   {"password", "puller-password"}}},
                 {"resources", {rid}},
                 {"targetCategoryId", root},
                 {"trigger", {{"type", "commit"}}}};
  auto created = PostJson(*tc, "/api/v1/remote-configs", config);
  ASSERT_EQ(created->status, 201) << created->body;
  std::string id = BodyJson(created)["id"];
  const std::map<std::string, std::string> cfg = {{"config", id}};

  // The first run copies the three commits; the watcher then follows the feed.
  std::vector<Sample> samples;
  ASSERT_TRUE(WaitUntil([&] {
    samples = Scrape(*target);
    return Value(samples, "tandem_sync_runs_total", {{"config", id}, {"outcome", "ok"}}) >= 1 &&
           Value(samples, "tandem_sync_feed_watcher", {{"config", id}, {"state", "connected"}}) ==
               1;
  })) << last_text_;
  EXPECT_EQ(Value(samples, "tandem_sync_configurations"), 1);
  EXPECT_EQ(Value(samples, "tandem_sync_commits_copied_total", cfg), 3);
  EXPECT_GT(Value(samples, "tandem_sync_bytes_copied_total", cfg), 0);
  EXPECT_GT(Value(samples, "tandem_sync_run_seconds_total", cfg), 0);
  EXPECT_EQ(Value(samples, "tandem_sync_lag_commits", cfg), 0);
  EXPECT_EQ(Value(samples, "tandem_sync_lag_seconds", cfg), 0);
  EXPECT_EQ(Value(samples, "tandem_sync_consecutive_failures", cfg), 0);
  EXPECT_GT(Value(samples, "tandem_sync_last_success_timestamp_seconds", cfg), 1.7e9);
  EXPECT_EQ(Value(samples, "tandem_store_commits"), 3);
  // The name stays out of the labels.
  EXPECT_EQ(last_text_.find("followed from the source"), std::string::npos);

  // The source goes away: the watcher loses it and a run fails as a whole.
  source->Kill();
  auto failed =
      tc->Post("/api/v1/remote-configs/" + id + "/sync?wait=true", "", "application/json");
  ASSERT_TRUE(failed);
  ASSERT_TRUE(WaitUntil([&] {
    samples = Scrape(*target);
    return Value(samples, "tandem_sync_runs_total", {{"config", id}, {"outcome", "error"}}) >= 1 &&
           Value(samples, "tandem_sync_feed_watcher",
                 {{"config", id}, {"state", "disconnected"}}) == 1;
  })) << last_text_;
  EXPECT_GE(Value(samples, "tandem_sync_consecutive_failures", cfg), 1);
  // Backing off, or already retrying.
  EXPECT_EQ(Value(samples, "tandem_sync_state", {{"config", id}, {"state", "waiting"}}) +
                Value(samples, "tandem_sync_state", {{"config", id}, {"state", "running"}}),
            1);
  EXPECT_EQ(Value(samples, "tandem_sync_state", {{"config", id}, {"state", "idle"}}), 0);
  EXPECT_GT(Value(samples, "tandem_sync_lag_seconds", cfg), 0);
  EXPECT_EQ(Value(samples, "tandem_sync_commits_copied_total", cfg), 3);
}

}  // namespace
}  // namespace tandem::e2e
