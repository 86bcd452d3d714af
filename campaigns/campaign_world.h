// CampaignWorld: what the reliability campaigns share. It builds, once per
// campaign, a source data directory holding a history large enough for a kill
// or a fault to land mid-run (the "Campaign" resource: commits that each
// rewrite the real 228-element model, a tag and a second branch; the "Spare"
// resource: a few commits, for deletions), records that history's oracle, and
// writes a bundle of it. Each trial copies the template directory, so trials
// are independent and cheap. It also starts servers and runs the checks every
// trial ends with: `datamanager --verify` on a data directory, a run that
// converges, and the history oracle (tests/e2e/e2e_util.h).
//
// Failures are reported through GoogleTest (EXPECT_*), so a campaign is one
// test whose failures name the trial. Not thread-safe.
#pragma once

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iterator>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"

namespace tandem::campaigns {

using e2e::Json;
using e2e::ServerProcess;

class CampaignWorld {
 public:
  struct Options {
    int commits = 20;  // of the Campaign resource
  };
  explicit CampaignWorld(const Options& options);

  const std::string& campaign_id() const { return campaign_id_; }
  const std::string& spare_id() const { return spare_id_; }
  const Json& campaign_oracle() const { return campaign_oracle_; }
  const Json& spare_oracle() const { return spare_oracle_; }
  const std::string& bundle_path() const { return bundle_path_; }
  int commits() const { return options_.commits; }

  // A new directory for one trial, holding a copy of the template source at
  // "<dir>/source".
  std::string NewTrialDir(const std::string& name);
  // A server on `data_dir` (port 0 picks one), reconcile runs off, with
  // `conf` (application.conf lines) besides.
  std::unique_ptr<ServerProcess> Start(const std::string& data_dir, int port = 0,
                                       const std::string& conf = "") const;

  // A manual configuration on `target` for `resources` of the source at
  // `source_port` (directly, or through a proxy's port), into the root category.
  static std::string CreateConfig(ServerProcess& target, int source_port,
                                  const std::vector<std::string>& resources);
  // Synchronize now, waiting, up to `attempts` times until a run is "ok";
  // the last run record.
  static Json SyncUntilOk(ServerProcess& target, const std::string& config, int attempts = 4);
  // `datamanager --data-dir DIR args...`, to completion.
  static e2e::ProcessResult Datamanager(const std::string& data_dir, std::vector<std::string> args);
  // `datamanager --verify` on `data_dir` succeeds; on failure its report is
  // in the test's failure message.
  static bool Verify(const std::string& data_dir);
  static std::string Root(ServerProcess& server);
  // The history oracle the campaigns compare (elements of branch heads and
  // tagged commits; every other commit by hash and state root, which
  // `datamanager --verify` checks against its stored elements).
  static Json Oracle(httplib::Client& client, const std::string& rid);
  // The history of `rid` on `server` equals `oracle`.
  static bool ExpectCopyEquals(ServerProcess& server, const std::string& rid, const Json& oracle);
  // The state of a configuration's status ("running", "idle", ...).
  static std::string State(ServerProcess& target, const std::string& config);
  // Removes a trial's directory; a failed one is first copied under
  // `keep_failed` when that is set (its path is printed).
  static void EndTrial(const std::string& dir, bool failed, const std::string& keep_failed);
  // Failed checks so far in the running test (a trial's share is the difference).
  static int FailureCount();

  // Where a campaign's time went, summed over its trials: starting servers,
  // `datamanager --verify`, runs to convergence, history oracles.
  struct Phases {
    int64_t start_ms = 0, verify_ms = 0, sync_ms = 0, oracle_ms = 0;
  };
  static Phases& phases();
  static void PrintPhases(int64_t total_ms);

 private:
  Options options_;
  e2e::TempDir dir_;
  std::string template_dir_;
  std::string campaign_id_, spare_id_;
  Json campaign_oracle_, spare_oracle_;
  std::string bundle_path_;
};

// The options every trial campaign takes (crash, network faults).
struct CampaignFlags {
  int trials = 0;
  uint64_t seed = 0;  // 0: from the clock
  int commits = 20;
  std::vector<std::string> kinds;  // empty: all
  std::string report;
  std::string keep_failed;
};
// The main of a campaign program: GoogleTest's flags, then `app`'s own
// options and the common ones (`kinds_help` lists the kinds), a seed from the
// clock when none is given; then the campaign's test runs.
int CampaignMain(int argc, char** argv, CLI::App& app, CampaignFlags& flags, const std::string& kinds_help);

// Runs `flags.trials` trials, rotating through `kinds`: `run(kind, number,
// rng)` makes each trial (a record with `failures` and `millis`), and
// `describe(trial)` says on its line of output what it did.
template <typename Kind, typename Trial>
std::vector<Trial> RunTrials(const CampaignFlags& flags, const std::vector<Kind>& kinds,
                             const std::function<Trial(Kind, int, std::mt19937_64&)>& run,
                             const std::function<std::string(const Trial&)>& describe) {
  std::mt19937_64 rng(flags.seed);
  std::vector<Trial> trials;
  for (int i = 0; i < flags.trials; ++i) {
    Trial t = run(kinds[static_cast<size_t>(i) % kinds.size()], i + 1, rng);
    std::printf("trial %4d/%d %s: %s (%.1f s)\n", i + 1, flags.trials, describe(t).c_str(),
                t.failures ? "FAILED" : "converged, verified", static_cast<double>(t.millis) / 1000);
    std::fflush(stdout);
    trials.push_back(t);
  }
  return trials;
}

// A campaign's kinds of trial, as a table: the kind, its name on the command
// line and in the figures, and what it does.
template <typename Kind>
struct KindInfo {
  Kind kind;
  const char* name;
  const char* what;
};

template <typename Kind, size_t N>
const KindInfo<Kind>& InfoOf(const KindInfo<Kind> (&table)[N], Kind kind) {
  return *std::find_if(std::begin(table), std::end(table), [&](const auto& i) { return i.kind == kind; });
}

// The kinds of `table` that `names` lists (all of them when `names` is
// empty), in the order of the table.
template <typename Kind, size_t N>
std::vector<Kind> ChosenKinds(const KindInfo<Kind> (&table)[N], const std::vector<std::string>& names) {
  std::vector<Kind> out;
  for (const auto& info : table) {
    if (names.empty() || std::find(names.begin(), names.end(), info.name) != names.end()) out.push_back(info.kind);
  }
  return out;
}

// Milliseconds since `start`, for the figures.
inline int64_t MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace tandem::campaigns
