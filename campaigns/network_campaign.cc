// The network-fault campaign (issue #12, docs/reliability.md): trials that
// each put one fault on the link between a real target and a real source (a
// FaultProxy, tests/e2e/fault_proxy.h) during a synchronization run — latency,
// a throttled link, a cut at a random byte, a stall without closing, one
// corrupted byte at a random offset, refused connections, a link that flaps —
// then heal the link and check:
//   - a run during a fault ends ok or with an error, never with a crash; the
//     target's store passes `datamanager --verify` (corrupted bytes were caught
//     by the hashes and not stored);
//   - latency and throttling slow a run but it ends ok;
//   - a stall is detected within the read time-out (plus a margin) and the
//     status names it;
//   - once healed, the next run converges: the copy equals the source by the
//     history oracle.
// (That backoff never hammers a source during an outage is checked in
// simulated time: SyncEngineTest.ATenMinuteOutageCostsTheSourceAFewDozenRequests.)
//
//   network_campaign [--trials=140] [--seed=N] [--commits=20] [--read-timeout=2]
//                    [--kinds=delay,throttle,...] [--report=FILE.json] [--keep-failed=DIR]
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "campaigns/campaign_world.h"
#include "tests/e2e/fault_proxy.h"

namespace tandem::campaigns {
namespace {

using Clock = std::chrono::steady_clock;
using e2e::BodyJson;
using std::chrono::milliseconds;

struct Flags : CampaignFlags {
  int read_timeout = 2;
};
Flags g_flags;

enum class Fault { kDelay, kThrottle, kCut, kStall, kCorrupt, kRefuse, kFlap };
constexpr KindInfo<Fault> kFaults[] = {
    {Fault::kDelay, "delay", "1-40 ms before each piece"},
    {Fault::kThrottle, "throttle", "the stream stretched to 1-4 s"},
    {Fault::kCut, "cut", "connection closed at a random byte"},
    {Fault::kStall, "stall", "nothing more sent, connection open"},
    {Fault::kCorrupt, "corrupt", "one bit flipped at a random byte"},
    {Fault::kRefuse, "refuse", "connections closed when accepted"},
    {Fault::kFlap, "flap", "refusing on and off every 50-400 ms"},
};
const char* FaultName(Fault f) { return InfoOf(kFaults, f).name; }
const char* FaultWhat(Fault f) { return InfoOf(kFaults, f).what; }

struct Trial {
  Fault fault;
  std::string detail = {};   // the fault's parameter
  int injected = 0;          // faults that took effect (cuts, flips, refused connections, ...)
  int error_runs = 0;        // runs during the fault that ended with an error
  int ok_runs = 0;           // runs during the fault that ended ok
  int64_t stall_detect_ms = -1;
  int failures = 0;
  int64_t millis = 0;
};

class NetworkCampaign {
 public:
  NetworkCampaign() : world_({g_flags.commits}) {}
  void Calibrate();
  Trial Run(Fault fault, int index, std::mt19937_64& rng);
  size_t stream_bytes() const { return stream_bytes_; }
  int64_t run_ms() const { return run_ms_; }

 private:
  std::string Conf() const {
    return "sync.read-timeout-seconds = " + std::to_string(g_flags.read_timeout) + "\n";
  }
  // A run now, waiting; counts its outcome in `t`; the record.
  Json RunDuringFault(ServerProcess& target, const std::string& config, Trial& t);

  CampaignWorld world_;
  size_t stream_bytes_ = 0;  // down bytes of a whole first run
  int64_t run_ms_ = 0;       // its duration
};

void NetworkCampaign::Calibrate() {
  std::string dir = world_.NewTrialDir("calibration");
  auto source = world_.Start(dir + "/source");
  e2e::FaultProxy link(source->port(), 0);
  auto target = world_.Start(dir + "/target", 0, Conf());
  std::string cfg = CampaignWorld::CreateConfig(*target, link.port(), {world_.campaign_id()});
  size_t before = link.bytes_down();
  auto start = Clock::now();
  CampaignWorld::SyncUntilOk(*target, cfg);
  run_ms_ = std::max<int64_t>(MillisSince(start), 50);
  stream_bytes_ = std::max<size_t>(link.bytes_down() - before, 1);
}

Json NetworkCampaign::RunDuringFault(ServerProcess& target, const std::string& config, Trial& t) {
  auto r = target.Client()->Post("/api/v1/remote-configs/" + config + "/sync?wait=true", "", "application/json");
  EXPECT_TRUE(r) << "the target did not answer during the fault";
  Json record = BodyJson(r);
  EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "");
  const std::string outcome = record.value("outcome", "");
  // "partial": the run ended, with the resource behind (a broken stream) or
  // in error (a refused one); "error": the run as a whole failed.
  EXPECT_TRUE(outcome == "ok" || outcome == "partial" || outcome == "error") << record.dump();
  (outcome == "ok" ? t.ok_runs : t.error_runs) += 1;
  return record;
}

Trial NetworkCampaign::Run(Fault fault, int index, std::mt19937_64& rng) {
  Trial t{fault};
  const int failures_before = CampaignWorld::FailureCount();
  auto start = Clock::now();
  std::string dir = world_.NewTrialDir("trial-" + std::to_string(index));
  auto uniform = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  SCOPED_TRACE("trial " + std::to_string(index) + " (" + FaultName(fault) + ")");
  try {
    auto source = world_.Start(dir + "/source");
    e2e::FaultProxy link(source->port(), 0);
    auto target = world_.Start(dir + "/target", 0, Conf());
    std::string cfg = CampaignWorld::CreateConfig(*target, link.port(), {world_.campaign_id()});
    const auto bytes = static_cast<int64_t>(stream_bytes_);
    switch (fault) {
      case Fault::kDelay: {
        int64_t ms = uniform(1, 40);
        t.detail = std::to_string(ms) + " ms";
        link.SetDelay(milliseconds(ms));
        t.injected = 1;
        Json run = RunDuringFault(*target, cfg, t);
        EXPECT_EQ(run.value("outcome", ""), "ok") << "latency alone must not fail a run: " << run.dump();
        break;
      }
      case Fault::kThrottle: {
        // The stream then takes 1 to 4 seconds.
        size_t rate = static_cast<size_t>(uniform(bytes / 4 + 1, bytes + 1));
        t.detail = std::to_string(rate / 1024) + " KiB/s";
        link.SetRate(rate);
        t.injected = 1;
        Json run = RunDuringFault(*target, cfg, t);
        EXPECT_EQ(run.value("outcome", ""), "ok") << "a slow link must not fail a run: " << run.dump();
        break;
      }
      case Fault::kCut:
      case Fault::kCorrupt: {
        const bool cut = fault == Fault::kCut;
        int64_t at = uniform(0, bytes - 1);
        t.detail = "byte " + std::to_string(at) + " of " + std::to_string(bytes);
        cut ? link.CutAfter(static_cast<size_t>(at)) : link.CorruptAt(static_cast<size_t>(at));
        RunDuringFault(*target, cfg, t);
        t.injected = cut ? link.cuts() : link.corrupted();
        break;
      }
      case Fault::kStall: {
        // A slowed link, so that the stall lands mid-run; it falls at a random moment.
        link.SetRate(static_cast<size_t>(bytes / 2 + 1));
        int64_t at = uniform(0, 1500);
        t.detail = "after " + std::to_string(at) + " ms";
        auto run_start = Clock::now();
        std::thread staller([&] {
          std::this_thread::sleep_for(milliseconds(at));
          link.Stall(true);
        });
        Json run = RunDuringFault(*target, cfg, t);
        staller.join();
        const int64_t ended_after = MillisSince(run_start);
        if (run.value("outcome", "") != "ok") {
          t.injected = 1;
          t.stall_detect_ms = ended_after - at;
          // The run's error, or the stalled resource's message.
          std::string error = run["report"].value("error", "");
          for (const auto& row : run["report"].value("resources", Json::array())) error += row.value("message", "");
          EXPECT_NE(error.find("sync.read-timeout-seconds"), std::string::npos)
              << "the error names the stall's setting: " << run.dump();
          Json status = BodyJson(target->Client()->Get("/api/v1/remote-configs/" + cfg + "/status"));
          EXPECT_NE(status.dump().find("stalled"), std::string::npos) << "the status names the stall: " << status.dump();
          // Detected within the read time-out, plus a margin for the run's own work.
          EXPECT_LE(t.stall_detect_ms, g_flags.read_timeout * 1000 + 3000) << run.dump();
        }
        break;
      }
      case Fault::kRefuse: {
        link.Refuse(true);
        t.detail = "every connection";
        Json run = RunDuringFault(*target, cfg, t);
        EXPECT_NE(run.value("outcome", ""), "ok") << run.dump();
        t.injected = link.connections();
        break;
      }
      case Fault::kFlap: {
        int64_t period = uniform(50, 400);
        t.detail = "every " + std::to_string(period) + " ms";
        std::atomic<bool> done{false};
        std::thread flapper([&] {
          for (bool refuse = true; !done; refuse = !refuse) {
            link.Refuse(refuse);
            std::this_thread::sleep_for(milliseconds(period));
          }
        });
        auto flap_start = Clock::now();
        while (MillisSince(flap_start) < 2000) RunDuringFault(*target, cfg, t);
        done = true;
        flapper.join();
        t.injected = static_cast<int>(MillisSince(flap_start) / period);
        break;
      }
    }
    CampaignWorld::Verify(dir + "/target");  // nothing damaged was stored
    link.Heal();
    CampaignWorld::SyncUntilOk(*target, cfg);
    CampaignWorld::ExpectCopyEquals(*target, world_.campaign_id(), world_.campaign_oracle());
    CampaignWorld::Verify(dir + "/target");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "the trial stopped: " << e.what();
  }
  t.failures = CampaignWorld::FailureCount() - failures_before;
  CampaignWorld::EndTrial(dir, t.failures > 0, g_flags.keep_failed);
  t.millis = MillisSince(start);
  return t;
}

void Report(const std::vector<Trial>& trials, int64_t total_ms) {
  struct Sum {
    int trials = 0, injected = 0, error_runs = 0, ok_runs = 0, failed = 0;
    int64_t worst_stall_ms = -1;
  };
  std::map<Fault, Sum> by_fault;
  Sum all;
  for (const auto& t : trials) {
    for (Sum* s : {&by_fault[t.fault], &all}) {
      s->trials += 1;
      s->injected += t.injected;
      s->error_runs += t.error_runs;
      s->ok_runs += t.ok_runs;
      s->failed += t.failures > 0;
      s->worst_stall_ms = std::max(s->worst_stall_ms, t.stall_detect_ms);
    }
  }
  std::printf("\nnetwork-fault campaign: %d trials, seed %llu, %.1f s in all\n", all.trials,
              static_cast<unsigned long long>(g_flags.seed), static_cast<double>(total_ms) / 1000);
  std::printf("%-9s %-42s %7s %9s %8s %7s %7s %12s\n", "fault", "what", "trials", "injected", "run-err",
              "run-ok", "failed", "stall-found");
  Json report = {{"seed", g_flags.seed}, {"trials", all.trials}, {"seconds", static_cast<double>(total_ms) / 1000},
                 {"readTimeoutSeconds", g_flags.read_timeout}, {"faults", Json::array()}};
  for (auto& [fault, s] : by_fault) {
    std::string stall = s.worst_stall_ms < 0 ? "-" : "<= " + std::to_string(s.worst_stall_ms) + " ms";
    std::printf("%-9s %-42s %7d %9d %8d %7d %7d %12s\n", FaultName(fault), FaultWhat(fault), s.trials,
                s.injected, s.error_runs, s.ok_runs, s.failed, stall.c_str());
    report["faults"].push_back({{"fault", FaultName(fault)}, {"what", FaultWhat(fault)}, {"trials", s.trials},
                                {"injected", s.injected}, {"runsEndedError", s.error_runs},
                                {"runsEndedOk", s.ok_runs}, {"failed", s.failed},
                                {"worstStallDetectionMs", s.worst_stall_ms}});
  }
  std::printf("%-9s %-42s %7d %9d %8d %7d %7d\n", "all", "", all.trials, all.injected, all.error_runs,
              all.ok_runs, all.failed);
  report["failed"] = all.failed;
  CampaignWorld::PrintPhases(total_ms);
  if (!g_flags.report.empty()) std::ofstream(g_flags.report) << report.dump(2) << "\n";
}

TEST(NetworkCampaign, EveryFaultEndsCleanlyAndEveryHealedLinkConverges) {
  auto start = Clock::now();
  NetworkCampaign campaign;
  campaign.Calibrate();
  ASSERT_FALSE(::testing::Test::HasFailure()) << "the calibration failed; no trial runs";
  std::printf("a whole run: %zu bytes down in %lld ms\n", campaign.stream_bytes(),
              static_cast<long long>(campaign.run_ms()));
  std::vector<Fault> faults = ChosenKinds(kFaults, g_flags.kinds);
  ASSERT_FALSE(faults.empty()) << "--kinds names no fault";
  auto trials = RunTrials<Fault, Trial>(
      g_flags, faults,
      [&](Fault fault, int number, std::mt19937_64& rng) { return campaign.Run(fault, number, rng); },
      [](const Trial& t) {
        return std::string(FaultName(t.fault)) + " " + t.detail + ": runs ok " + std::to_string(t.ok_runs) +
               ", error " + std::to_string(t.error_runs) + "; healed";
      });
  Report(trials, MillisSince(start));
}

}  // namespace
}  // namespace tandem::campaigns

int main(int argc, char** argv) {
  using tandem::campaigns::g_flags;
  CLI::App app{"The network-fault campaign: faults on the link during runs, then heal, converge and verify"};
  g_flags.trials = 140;
  app.add_option("--read-timeout", g_flags.read_timeout, "the target's sync.read-timeout-seconds")
      ->check(CLI::Range(1, 60));
  return tandem::campaigns::CampaignMain(argc, argv, app, g_flags, "faults (delay,throttle,cut,stall,corrupt,refuse,flap)");
}
