// The load and soak run (issue #12, docs/reliability.md): for a bounded time,
// against a real source on loopback, concurrent readers (pages of 100
// elements at random commits, diffs between random commits), writers (small
// commits) and a real target that follows with the every-commit trigger. It
// records requests per second, latency percentiles per kind of request,
// answers by status (the goal: no 5xx, no failed request), resident memory and
// open file descriptors of both servers every second (the goal: flat after
// warm-up), and at the end waits for the target to catch up and compares it
// with the source by the history oracle.
//
//   load_soak [--seconds=1800] [--readers=4] [--writers=2] [--commits=20]
//             [--report=FILE.json]
#include <dirent.h>
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "campaigns/campaign_world.h"

namespace tandem::campaigns {
namespace {

using Clock = std::chrono::steady_clock;
using e2e::BodyJson;
using e2e::PostJson;

struct Flags {
  int seconds = 1800;
  int readers = 4;
  int writers = 2;
  int commits = 20;
  std::string report;
};
Flags g_flags;

// Resident memory (KiB) and open descriptors of a process.
struct Sample {
  double at_s;
  int64_t source_rss_kib, target_rss_kib;
  int source_fds, target_fds;
};

int64_t RssKib(pid_t pid) {
  std::string status = e2e::ReadFile("/proc/" + std::to_string(pid) + "/status");
  size_t at = status.find("VmRSS:");
  return at == std::string::npos ? -1 : std::stoll(status.substr(at + 6));
}

int OpenFds(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/fd";
  DIR* dir = opendir(path.c_str());
  if (!dir) return -1;
  int n = 0;
  while (dirent* e = readdir(dir)) n += e->d_name[0] != '.';
  closedir(dir);
  return n;
}

// Latencies and answers of one kind of request, from every thread.
class Tally {
 public:
  void Add(const std::string& kind, double ms, int status) {
    std::lock_guard lock(mu_);
    latencies_[kind].push_back(ms);
    ++statuses_[kind][status];
  }
  Json Summary(double seconds) {
    std::lock_guard lock(mu_);
    Json out = Json::object();
    for (auto& [kind, values] : latencies_) {
      std::sort(values.begin(), values.end());
      auto pct = [&](double p) { return values[std::min(values.size() - 1, static_cast<size_t>(p * values.size()))]; };
      Json statuses = Json::object();
      for (auto& [code, n] : statuses_[kind]) statuses[std::to_string(code)] = n;
      out[kind] = {{"requests", values.size()},
                   {"perSecond", static_cast<double>(values.size()) / seconds},
                   {"p50Ms", pct(0.50)},
                   {"p99Ms", pct(0.99)},
                   {"maxMs", values.back()},
                   {"statuses", statuses}};
    }
    return out;
  }
  // Requests that failed: no answer (status 0) or a 5xx.
  int64_t Failed() {
    std::lock_guard lock(mu_);
    int64_t n = 0;
    for (auto& [kind, by_status] : statuses_) {
      for (auto& [code, count] : by_status) n += (code == 0 || code >= 500) ? count : 0;
    }
    return n;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::vector<double>> latencies_;
  std::map<std::string, std::map<int, int64_t>> statuses_;
};

// Commit ids of the resource's main branch, oldest first, as the readers see them.
std::vector<std::string> CommitIds(httplib::Client& c, const std::string& rid) {
  std::vector<std::string> ids;
  for (auto& commit : e2e::GetAll(c, "/api/v1/resources/" + rid + "/commits?page%5Bsize%5D=1000")) {
    ids.push_back(commit["id"]);
  }
  return ids;
}

TEST(LoadSoak, ManyReadersWritersAndAFollowingTargetWithNoErrorAndNoDrift) {
  CampaignWorld world({g_flags.commits});
  std::string dir = world.NewTrialDir("soak");
  auto source = world.Start(dir + "/source");
  auto target = world.Start(dir + "/target");
  const std::string rid = world.campaign_id();
  Json config = {{"name", "soak"},
                 {"source",
                  {{"url", "http://127.0.0.1:" + std::to_string(source->port())},
                   {"username", "puller"},
                   {"password", "puller-password"}}},
                 {"resources", {rid}},
                 {"targetCategoryId", CampaignWorld::Root(*target)},
                 {"trigger", {{"type", "commit"}}}};
  auto created = PostJson(*target->Client(), "/api/v1/remote-configs", config);
  ASSERT_TRUE(created && created->status == 201) << (created ? created->body : "no answer");
  const std::string cfg = BodyJson(created)["id"];

  std::mutex ids_mu;
  std::vector<std::string> ids = CommitIds(*source->Client(), rid);
  ASSERT_FALSE(ids.empty());
  const Json& model = e2e::RealModel()["change"];
  Tally tally;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  auto timed = [&](const std::string& kind, const std::function<httplib::Result()>& request) {
    auto t0 = Clock::now();
    auto r = request();
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    tally.Add(kind, ms, r ? r->status : 0);
    return r;
  };
  for (int i = 0; i < g_flags.readers; ++i) {
    threads.emplace_back([&, i, client = source->Client()] {
      std::mt19937_64 rng(static_cast<uint64_t>(i) + 1);
      while (!stop) {
        std::string a, b;
        {
          std::lock_guard lock(ids_mu);
          std::uniform_int_distribution<size_t> pick(0, ids.size() - 1);
          a = ids[pick(rng)];
          b = ids[pick(rng)];
        }
        const std::string commits = "/sysml/v2/projects/" + rid + "/commits/";
        timed("elements", [&] { return client->Get(commits + a + "/elements?page%5Bsize%5D=100"); });
        timed("diff", [&] { return client->Get(commits + b + "/diff?baseCommitId=" + a + "&page%5Bsize%5D=100"); });
      }
    });
  }
  for (int w = 0; w < g_flags.writers; ++w) {
    threads.emplace_back([&, w, client = source->Client()] {
      for (int n = 0; !stop; ++n) {
        const Json& element = model[static_cast<size_t>(n * 13 + w) % model.size()];
        Json body = {{"change", Json::array({Json{{"identity", element["identity"]},
                                                  {"payload", {{"@type", element["payload"]["@type"]},
                                                               {"declaredName", "soak " + std::to_string(w) +
                                                                                    "/" + std::to_string(n)}}}}})}};
        auto r = timed("commit", [&] {
          return PostJson(*client, "/sysml/v2/projects/" + rid + "/commits", body);
        });
        if (r && r->status == 201) {
          std::lock_guard lock(ids_mu);
          ids.push_back(BodyJson(r)["@id"]);
        }
        // A writer at human pace: a commit every 200 ms.
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    });
  }
  std::vector<Sample> samples;
  auto start = Clock::now();
  while (MillisSince(start) < int64_t{g_flags.seconds} * 1000) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    samples.push_back({static_cast<double>(MillisSince(start)) / 1000, RssKib(source->pid()),
                       RssKib(target->pid()), OpenFds(source->pid()), OpenFds(target->pid())});
  }
  stop = true;
  for (auto& t : threads) t.join();
  const double seconds = static_cast<double>(MillisSince(start)) / 1000;

  // The target catches up with every commit of the run.
  auto source_client = source->Client();
  auto target_client = target->Client();
  const std::string head = ids.back();
  bool caught_up = e2e::WaitUntil(
      [&] {
        auto r = target_client->Get("/api/v1/resources/" + rid + "/commits/" + head);
        return r && r->status == 200;
      },
      120);
  EXPECT_TRUE(caught_up) << "the target did not reach the source's last commit";
  CampaignWorld::ExpectCopyEquals(*target, rid, CampaignWorld::Oracle(*source_client, rid));
  // The oracle compares most commits by their state roots; --verify checks
  // the roots against the stored elements on both sides.
  CampaignWorld::Verify(dir + "/source");
  CampaignWorld::Verify(dir + "/target");
  EXPECT_EQ(tally.Failed(), 0) << "requests without an answer or with a 5xx";
  Json status = BodyJson(target_client->Get("/api/v1/remote-configs/" + cfg + "/status"));
  EXPECT_EQ(status.value("consecutiveFailures", -1), 0) << status.dump();

  // Memory and descriptors: the mean of the last fifth against the fifth
  // after warm-up (the first fifth).
  auto window_mean = [&](size_t from, size_t to, auto field) {
    double sum = 0;
    for (size_t i = from; i < to; ++i) sum += static_cast<double>(field(samples[i]));
    return to > from ? sum / static_cast<double>(to - from) : 0.0;
  };
  const size_t n = samples.size(), fifth = std::max<size_t>(1, n / 5);
  Json memory = Json::object();
  for (auto [name, rss, fds] :
       {std::tuple{"source", +[](const Sample& s) { return s.source_rss_kib; },
                   +[](const Sample& s) { return static_cast<int64_t>(s.source_fds); }},
        std::tuple{"target", +[](const Sample& s) { return s.target_rss_kib; },
                   +[](const Sample& s) { return static_cast<int64_t>(s.target_fds); }}}) {
    double early = window_mean(fifth, std::min(n, 2 * fifth), rss) / 1024;
    double late = window_mean(n - fifth, n, rss) / 1024;
    int64_t peak = 0, fd_peak = 0;
    for (const auto& s : samples) {
      peak = std::max(peak, rss(s));
      fd_peak = std::max(fd_peak, fds(s));
    }
    memory[name] = {{"rssAfterWarmUpMiB", early}, {"rssAtEndMiB", late}, {"rssGrowthMiB", late - early},
                    {"rssPeakMiB", static_cast<double>(peak) / 1024}, {"fdsAtStart", fds(samples.front())},
                    {"fdsAtEnd", fds(samples.back())}, {"fdsPeak", fd_peak}};
  }
  Json requests = tally.Summary(seconds);
  Json report = {{"seconds", seconds}, {"readers", g_flags.readers}, {"writers", g_flags.writers},
                 {"requests", requests}, {"servers", memory}, {"failedRequests", tally.Failed()},
                 {"targetCaughtUp", caught_up}, {"commitsAtEnd", ids.size()}};
  std::printf("\nload and soak: %.0f s, %d readers, %d writers, a target on the every-commit trigger\n", seconds,
              g_flags.readers, g_flags.writers);
  std::printf("%-9s %9s %8s %9s %9s %9s  %s\n", "request", "count", "per s", "p50 ms", "p99 ms", "max ms", "answers");
  for (auto& [kind, r] : requests.items()) {
    std::printf("%-9s %9lld %8.1f %9.2f %9.2f %9.1f  %s\n", kind.c_str(), r["requests"].get<long long>(),
                r["perSecond"].get<double>(), r["p50Ms"].get<double>(), r["p99Ms"].get<double>(),
                r["maxMs"].get<double>(), r["statuses"].dump().c_str());
  }
  for (auto& [name, m] : memory.items()) {
    std::printf("%-7s RSS %.1f MiB after warm-up, %.1f MiB at the end (%+.1f), peak %.1f; fds %d -> %d (peak %d)\n",
                name.c_str(), m["rssAfterWarmUpMiB"].get<double>(), m["rssAtEndMiB"].get<double>(),
                m["rssGrowthMiB"].get<double>(), m["rssPeakMiB"].get<double>(), m["fdsAtStart"].get<int>(),
                m["fdsAtEnd"].get<int>(), m["fdsPeak"].get<int>());
  }
  std::printf("commits at the end: %zu; the target equals the source: %s\n", ids.size(),
              ::testing::Test::HasFailure() ? "NO" : "yes");
  if (!g_flags.report.empty()) std::ofstream(g_flags.report) << report.dump(2) << "\n";
}

}  // namespace
}  // namespace tandem::campaigns

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  using tandem::campaigns::g_flags;
  CLI::App app{"Load and soak: readers, writers and a following target for a bounded time"};
  app.add_option("--seconds", g_flags.seconds, "how long the load runs")->check(CLI::Range(5, 86'400));
  app.add_option("--readers", g_flags.readers, "reader threads")->check(CLI::Range(0, 64));
  app.add_option("--writers", g_flags.writers, "writer threads")->check(CLI::Range(0, 16));
  app.add_option("--commits", g_flags.commits, "commits of the resource at the start")->check(CLI::Range(2, 10'000));
  app.add_option("--report", g_flags.report, "write the figures as JSON to this file");
  CLI11_PARSE(app, argc, argv);
  return RUN_ALL_TESTS();
}
