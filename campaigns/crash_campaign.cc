// The crash campaign (issue #12, docs/reliability.md): trials that each send
// SIGKILL at a random moment to a real process in the middle of its work — the
// target or the source of a synchronization run (over a throttled link, so the
// kill lands mid-run), the source while clients commit, datamanager during
// -dr, -gc and -rrof, the target while it applies a bundle — then restart, let
// the work finish, and check:
//   - the data directory passes `datamanager --verify` (no corrupt or partial
//     commit, every hash and count right);
//   - the work converges: a run (or the command again) ends ok and the copy
//     equals the source by the history oracle (every commit id, hash, element,
//     tag, branch and the metadata);
//   - nothing acknowledged is lost: every commit a client got 201 for is there.
// Trials rotate through the kinds; the moments are drawn from a seeded random
// generator (the seed is printed, --seed repeats a campaign). Each kind's kill
// window is its operation's duration, measured before the trials.
//
//   crash_campaign [--trials=200] [--seed=N] [--commits=20] [--link-seconds=2]
//                  [--kinds=target,source,...] [--report=FILE.json] [--keep-failed=DIR]
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "campaigns/campaign_world.h"
#include "tests/e2e/fault_proxy.h"

namespace tandem::campaigns {
namespace {

using Clock = std::chrono::steady_clock;
using e2e::BodyJson;
using e2e::PostJson;
using std::chrono::milliseconds;

struct Flags : CampaignFlags {
  double link_seconds = 2.0;
};
Flags g_flags;

enum class Kind { kTarget, kSource, kCommits, kDelete, kGc, kReadWrite, kBundle };
constexpr KindInfo<Kind> kKinds[] = {
    {Kind::kTarget, "target", "the target during a synchronization run"},
    {Kind::kSource, "source", "the source during a synchronization run"},
    {Kind::kCommits, "commits", "the source while two clients commit"},
    {Kind::kDelete, "dm-delete", "datamanager -dr beside the running source"},
    {Kind::kGc, "dm-gc", "datamanager -gc beside the running source"},
    {Kind::kReadWrite, "dm-rrof", "datamanager -rrof beside the running target"},
    {Kind::kBundle, "bundle", "the target while it applies a bundle"},
};
const char* KindName(Kind k) { return InfoOf(kKinds, k).name; }
const char* KindWhat(Kind k) { return InfoOf(kKinds, k).what; }

struct Trial {
  Kind kind;
  int64_t kill_at_ms = 0;
  bool mid_operation = false;  // the killed work was still going at the kill
  int acknowledged = 0;        // commits a client got 201 for (commits kind)
  int lost = 0;                // of those, missing after the restart
  int failures = 0;            // checks that failed in this trial
  int64_t millis = 0;
};

// How long each kind's operation takes when nothing kills it: the kill window.
struct Windows {
  size_t link_rate = 0;  // bytes/s of the throttled link
  std::map<Kind, int64_t> ms;
};

// Uploads the bundle in 60,000-byte pieces; the upload id.
std::string Upload(ServerProcess& server, const std::string& bytes) {
  auto c = server.Client();
  auto created = PostJson(*c, "/api/v1/bundles/uploads", Json::object());
  EXPECT_TRUE(created && created->status == 201) << (created ? created->body : "no answer");
  std::string id = BodyJson(created).value("id", "");
  for (size_t at = 0; at < bytes.size(); at += 60'000) {
    auto put = c->Put("/api/v1/bundles/uploads/" + id + "?offset=" + std::to_string(at),
                      bytes.substr(at, 60'000), "application/octet-stream");
    EXPECT_TRUE(put && put->status == 200) << (put ? put->body : "no answer");
  }
  return id;
}

httplib::Result Apply(ServerProcess& server, const std::string& upload, bool wait) {
  return server.Client()->Post("/api/v1/bundles/uploads/" + upload + "/apply?wait=" +
                                   (wait ? "true" : "false") + "&targetCategory=" +
                                   CampaignWorld::Root(server),
                               "", "application/json");
}

class CrashCampaign {
 public:
  CrashCampaign() : world_({g_flags.commits}), bundle_(e2e::ReadFile(world_.bundle_path())) {}

  void Calibrate();
  Trial Run(Kind kind, int index, std::mt19937_64& rng);
  const Windows& windows() const { return windows_; }

 private:
  void KillDuringRun(Trial& t, const std::string& dir, bool kill_source);
  void KillDuringCommits(Trial& t, const std::string& dir);
  void KillDatamanager(Trial& t, const std::string& dir, Kind kind);
  void KillDuringBundleApply(Trial& t, const std::string& dir);
  // A fresh target on `dir`/target that synchronizes `source`'s Campaign and
  // must equal `oracle`.
  void ConvergeTo(const std::string& dir, ServerProcess& source, const Json& oracle);

  CampaignWorld world_;
  std::string bundle_;
  Windows windows_;
};

void CrashCampaign::Calibrate() {
  std::string dir = world_.NewTrialDir("calibration");
  auto source = world_.Start(dir + "/source");
  {
    e2e::FaultProxy open(source->port(), 0);
    auto target = world_.Start(dir + "/plain");
    std::string cfg = CampaignWorld::CreateConfig(*target, open.port(), {world_.campaign_id()});
    CampaignWorld::SyncUntilOk(*target, cfg);
    windows_.link_rate = std::max<size_t>(1, static_cast<size_t>(open.bytes_down() / g_flags.link_seconds));
  }
  {
    e2e::FaultProxy slow(source->port(), windows_.link_rate);
    auto target = world_.Start(dir + "/target");
    std::string cfg = CampaignWorld::CreateConfig(*target, slow.port(), {world_.campaign_id()});
    auto start = Clock::now();
    CampaignWorld::SyncUntilOk(*target, cfg);
    windows_.ms[Kind::kTarget] = windows_.ms[Kind::kSource] = MillisSince(start);
    auto rrof_start = Clock::now();
    auto rrof = CampaignWorld::Datamanager(dir + "/target", {"-rrof", "--resourceID=" + world_.campaign_id(), "--force"});
    windows_.ms[Kind::kReadWrite] = MillisSince(rrof_start);
    EXPECT_EQ(rrof.exit_code, 0) << rrof.out << rrof.err;
  }
  windows_.ms[Kind::kCommits] = 1500;
  auto dr_start = Clock::now();
  auto dr = CampaignWorld::Datamanager(dir + "/source", {"-dr", world_.spare_id()});
  windows_.ms[Kind::kDelete] = MillisSince(dr_start);
  EXPECT_EQ(dr.exit_code, 0) << dr.out << dr.err;
  auto gc_start = Clock::now();
  auto gc = CampaignWorld::Datamanager(dir + "/source", {"-gc"});
  windows_.ms[Kind::kGc] = MillisSince(gc_start);
  EXPECT_EQ(gc.exit_code, 0) << gc.out << gc.err;

  auto target = world_.Start(dir + "/bundled");
  std::string upload = Upload(*target, bundle_);
  auto apply_start = Clock::now();
  auto applied = Apply(*target, upload, true);
  windows_.ms[Kind::kBundle] = MillisSince(apply_start);
  EXPECT_TRUE(applied && applied->status == 200) << (applied ? applied->body : "no answer");
  for (auto& [kind, ms] : windows_.ms) ms = std::max<int64_t>(ms, 5);
}

Trial CrashCampaign::Run(Kind kind, int index, std::mt19937_64& rng) {
  Trial t{kind};
  const int failures_before = CampaignWorld::FailureCount();
  auto start = Clock::now();
  std::uniform_int_distribution<int64_t> moment(kind == Kind::kCommits ? 100 : 0, windows_.ms[kind]);
  t.kill_at_ms = moment(rng);
  SCOPED_TRACE("trial " + std::to_string(index) + " (" + KindName(kind) + ", kill at " +
               std::to_string(t.kill_at_ms) + " ms)");
  std::string dir = world_.NewTrialDir("trial-" + std::to_string(index));
  try {
    switch (kind) {
      case Kind::kTarget: KillDuringRun(t, dir, false); break;
      case Kind::kSource: KillDuringRun(t, dir, true); break;
      case Kind::kCommits: KillDuringCommits(t, dir); break;
      case Kind::kDelete:
      case Kind::kGc:
      case Kind::kReadWrite: KillDatamanager(t, dir, kind); break;
      case Kind::kBundle: KillDuringBundleApply(t, dir); break;
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "the trial stopped: " << e.what();
  }
  t.failures = CampaignWorld::FailureCount() - failures_before;
  CampaignWorld::EndTrial(dir, t.failures > 0, g_flags.keep_failed);
  t.millis = MillisSince(start);
  return t;
}

void CrashCampaign::KillDuringRun(Trial& t, const std::string& dir, bool kill_source) {
  auto source = world_.Start(dir + "/source");
  const int source_port = source->port();
  e2e::FaultProxy link(source_port, windows_.link_rate);
  auto target = world_.Start(dir + "/target");
  std::string cfg = CampaignWorld::CreateConfig(*target, link.port(), {world_.campaign_id()});
  auto started = target->Client()->Post("/api/v1/remote-configs/" + cfg + "/sync", "", "application/json");
  ASSERT_TRUE(started && started->status == 202) << (started ? started->body : "no answer");
  std::this_thread::sleep_for(milliseconds(t.kill_at_ms));
  t.mid_operation = CampaignWorld::State(*target, cfg) == "running";
  (kill_source ? source : target)->Kill();
  link.SetRate(0);
  if (kill_source) {
    CampaignWorld::Verify(dir + "/source");
    source = world_.Start(dir + "/source", source_port);
  } else {
    target = world_.Start(dir + "/target");
  }
  CampaignWorld::Verify(dir + "/target");  // what arrived before the kill is whole
  CampaignWorld::SyncUntilOk(*target, cfg);
  CampaignWorld::ExpectCopyEquals(*target, world_.campaign_id(), world_.campaign_oracle());
  CampaignWorld::Verify(dir + "/target");
}

void CrashCampaign::KillDuringCommits(Trial& t, const std::string& dir) {
  auto source = world_.Start(dir + "/source");
  const int port = source->port();
  const Json& model = e2e::RealModel()["change"];
  std::mutex mu;
  std::vector<std::string> acknowledged;
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w, client = source->Client()] {
      for (int n = 0;; ++n) {
        const Json& element = model[static_cast<size_t>(n * 7 + w) % model.size()];
        Json body = {{"change", Json::array({Json{{"identity", element["identity"]},
                                                  {"payload", {{"@type", element["payload"]["@type"]},
                                                               {"declaredName", "writer " + std::to_string(w) +
                                                                                    " #" + std::to_string(n)}}}}})}};
        auto r = PostJson(*client, "/sysml/v2/projects/" + world_.campaign_id() + "/commits", body);
        if (!r) return;  // the server is gone
        if (r->status == 201) {
          std::lock_guard lock(mu);
          acknowledged.push_back(BodyJson(r)["@id"]);
        }
      }
    });
  }
  std::this_thread::sleep_for(milliseconds(t.kill_at_ms));
  t.mid_operation = true;
  source->Kill();
  for (auto& w : writers) w.join();
  t.acknowledged = static_cast<int>(acknowledged.size());
  CampaignWorld::Verify(dir + "/source");
  source = world_.Start(dir + "/source", port);
  auto client = source->Client();
  for (const auto& id : acknowledged) {
    auto r = client->Get("/api/v1/resources/" + world_.campaign_id() + "/commits/" + id);
    if (!r || r->status != 200) ++t.lost;
  }
  EXPECT_EQ(t.lost, 0) << t.lost << " of " << t.acknowledged << " acknowledged commits are gone";
  ConvergeTo(dir, *source, CampaignWorld::Oracle(*client, world_.campaign_id()));
}

void CrashCampaign::KillDatamanager(Trial& t, const std::string& dir, Kind kind) {
  auto source = world_.Start(dir + "/source");
  std::unique_ptr<ServerProcess> target;
  std::string data_dir = dir + "/source";
  std::vector<std::string> command;
  switch (kind) {
    case Kind::kDelete: command = {"-dr", world_.spare_id()}; break;
    case Kind::kGc: {
      auto dr = CampaignWorld::Datamanager(data_dir, {"-dr", world_.spare_id()});
      ASSERT_EQ(dr.exit_code, 0) << dr.out << dr.err;
      command = {"-gc"};
      break;
    }
    default: {
      target = world_.Start(dir + "/target");
      std::string cfg = CampaignWorld::CreateConfig(*target, source->port(), {world_.campaign_id()});
      CampaignWorld::SyncUntilOk(*target, cfg);
      data_dir = dir + "/target";
      command = {"-rrof", "--resourceID=" + world_.campaign_id(), "--force"};
    }
  }
  std::vector<std::string> args = {e2e::BinaryPath("tools/datamanager/datamanager"), "--data-dir", data_dir};
  args.insert(args.end(), command.begin(), command.end());
  auto dm = e2e::BackgroundProcess::Start(args);
  std::this_thread::sleep_for(milliseconds(t.kill_at_ms));
  t.mid_operation = dm->Running();
  dm->Kill();
  CampaignWorld::Verify(data_dir);
  ServerProcess& server = target ? *target : *source;
  auto client = server.Client();
  if (kind == Kind::kDelete) {
    // All or nothing: the resource is gone, or whole.
    auto r = client->Get("/api/v1/resources/" + world_.spare_id());
    ASSERT_TRUE(r);
    if (r->status == 200) {
      EXPECT_TRUE(CampaignWorld::Oracle(*client, world_.spare_id()) == world_.spare_oracle())
          << "a deletion killed midway left part of the resource";
    } else {
      EXPECT_EQ(r->status, 404) << r->body;
    }
  }
  if (kind == Kind::kReadWrite) {
    Json resource = BodyJson(client->Get("/api/v1/resources/" + world_.campaign_id()));
    EXPECT_TRUE(resource["readOnly"].is_boolean()) << resource.dump();
  }
  // The command again, to completion, finishes the work.
  auto spare = client->Get("/api/v1/resources/" + world_.spare_id());
  ASSERT_TRUE(spare) << "the server did not answer";
  bool already_deleted = kind == Kind::kDelete && spare->status == 404;
  if (!already_deleted) {
    auto again = CampaignWorld::Datamanager(data_dir, command);
    EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  }
  CampaignWorld::Verify(data_dir);
  if (kind == Kind::kReadWrite) {
    EXPECT_EQ(BodyJson(client->Get("/api/v1/resources/" + world_.campaign_id()))["readOnly"], false);
    CampaignWorld::ExpectCopyEquals(*target, world_.campaign_id(), world_.campaign_oracle());
  } else {
    auto gone = client->Get("/api/v1/resources/" + world_.spare_id());
    EXPECT_TRUE(gone && gone->status == 404) << (gone ? gone->body : "no answer");
    CampaignWorld::ExpectCopyEquals(*source, world_.campaign_id(), world_.campaign_oracle());
    ConvergeTo(dir, *source, world_.campaign_oracle());
  }
}

void CrashCampaign::KillDuringBundleApply(Trial& t, const std::string& dir) {
  auto target = world_.Start(dir + "/target");
  std::string upload = Upload(*target, bundle_);
  auto started = Apply(*target, upload, false);
  ASSERT_TRUE(started && started->status == 202) << (started ? started->body : "no answer");
  std::this_thread::sleep_for(milliseconds(t.kill_at_ms));
  Json record = BodyJson(target->Client()->Get("/api/v1/bundles/uploads/" + upload));
  const std::string state = record.value("state", "");
  t.mid_operation = state == "checking" || state == "applying";
  target->Kill();
  target = world_.Start(dir + "/target");
  CampaignWorld::Verify(dir + "/target");
  auto applied = Apply(*target, Upload(*target, bundle_), true);
  EXPECT_TRUE(applied && applied->status == 200) << (applied ? applied->body : "no answer");
  CampaignWorld::ExpectCopyEquals(*target, world_.campaign_id(), world_.campaign_oracle());
  CampaignWorld::Verify(dir + "/target");
}

void CrashCampaign::ConvergeTo(const std::string& dir, ServerProcess& source, const Json& oracle) {
  auto target = world_.Start(dir + "/copy");
  std::string cfg = CampaignWorld::CreateConfig(*target, source.port(), {world_.campaign_id()});
  CampaignWorld::SyncUntilOk(*target, cfg);
  CampaignWorld::ExpectCopyEquals(*target, world_.campaign_id(), oracle);
  CampaignWorld::Verify(dir + "/copy");  // the oracle compares most commits by their state roots
}

void Report(const std::vector<Trial>& trials, const Windows& windows, int64_t total_ms) {
  struct Sum {
    int trials = 0, mid = 0, failed = 0, acknowledged = 0, lost = 0;
    int64_t ms = 0;
  };
  std::map<Kind, Sum> by_kind;
  Sum all;
  for (const auto& t : trials) {
    for (Sum* s : {&by_kind[t.kind], &all}) {
      s->trials += 1;
      s->mid += t.mid_operation;
      s->failed += t.failures > 0;
      s->acknowledged += t.acknowledged;
      s->lost += t.lost;
      s->ms += t.millis;
    }
  }
  std::printf("\ncrash campaign: %d trials, seed %llu, %.1f s in all\n", all.trials,
              static_cast<unsigned long long>(g_flags.seed), static_cast<double>(total_ms) / 1000);
  std::printf("%-10s %-46s %7s %9s %8s %7s %5s %9s %8s\n", "kind", "killed", "trials", "mid-work",
              "window", "failed", "acks", "lost-acks", "s/trial");
  Json report = {{"seed", g_flags.seed}, {"trials", all.trials}, {"seconds", static_cast<double>(total_ms) / 1000},
                 {"linkBytesPerSecond", windows.link_rate}, {"kinds", Json::array()}};
  for (auto& [kind, s] : by_kind) {
    int64_t window = windows.ms.count(kind) ? windows.ms.at(kind) : 0;
    std::printf("%-10s %-46s %7d %9d %6lldms %7d %5d %9d %8.1f\n", KindName(kind), KindWhat(kind), s.trials,
                s.mid, static_cast<long long>(window), s.failed, s.acknowledged, s.lost,
                static_cast<double>(s.ms) / 1000 / std::max(1, s.trials));
    report["kinds"].push_back({{"kind", KindName(kind)}, {"killed", KindWhat(kind)}, {"trials", s.trials},
                               {"killedMidWork", s.mid}, {"windowMs", window}, {"failed", s.failed},
                               {"acknowledgedCommits", s.acknowledged}, {"lostAcknowledgedCommits", s.lost}});
  }
  std::printf("%-10s %-46s %7d %9d %8s %7d %5d %9d\n", "all", "", all.trials, all.mid, "", all.failed,
              all.acknowledged, all.lost);
  report["failed"] = all.failed;
  report["killedMidWork"] = all.mid;
  report["lostAcknowledgedCommits"] = all.lost;
  CampaignWorld::PrintPhases(total_ms);
  if (!g_flags.report.empty()) std::ofstream(g_flags.report) << report.dump(2) << "\n";
}

TEST(CrashCampaign, EveryTrialConvergesWithNothingCorruptOrLost) {
  auto start = Clock::now();
  CrashCampaign campaign;
  campaign.Calibrate();
  ASSERT_FALSE(::testing::Test::HasFailure()) << "the calibration failed; no trial runs";
  std::printf("kill windows (ms):");
  for (auto& [kind, ms] : campaign.windows().ms) std::printf(" %s %lld", KindName(kind), static_cast<long long>(ms));
  std::printf("; link %zu bytes/s\n", campaign.windows().link_rate);
  std::vector<Kind> kinds = ChosenKinds(kKinds, g_flags.kinds);
  ASSERT_FALSE(kinds.empty()) << "--kinds names no kind";
  auto trials = RunTrials<Kind, Trial>(
      g_flags, kinds, [&](Kind kind, int number, std::mt19937_64& rng) { return campaign.Run(kind, number, rng); },
      [](const Trial& t) {
        char line[128];
        std::snprintf(line, sizeof line, "%-10s kill at %5lld ms %s", KindName(t.kind),
                      static_cast<long long>(t.kill_at_ms), t.mid_operation ? "mid-work" : "after the work");
        return std::string(line);
      });
  Report(trials, campaign.windows(), MillisSince(start));
}

}  // namespace
}  // namespace tandem::campaigns

int main(int argc, char** argv) {
  using tandem::campaigns::g_flags;
  CLI::App app{"The crash campaign: SIGKILL at random moments, then restart, converge and verify"};
  g_flags.trials = 200;
  app.add_option("--link-seconds", g_flags.link_seconds, "how long a throttled run takes")
      ->check(CLI::Range(0.1, 600.0));
  return tandem::campaigns::CampaignMain(argc, argv, app, g_flags, "kinds of kill (target,source,commits,dm-delete,dm-gc,dm-rrof,bundle)");
}
