// SyncEngine: the target side of synchronization. It keeps the remote
// resource configurations (passwords sealed by a CredentialBox) and, for each
// enabled one, a Worker that starts runs when asked (manual trigger,
// "synchronize now"), when the source's change feed reports a relevant change
// (commit and tag triggers), on a reconcile interval, and after a failure's
// backoff. Runs of one configuration never overlap; a request during a run
// queues exactly one more run.
//
// Worker lifecycle (docs/architecture.md, "Workers"): the engine owns every
// Worker; a Worker is never changed, only replaced. Create starts one; Update
// stops the old one and starts a new one; Delete and Stop stop it. Stopping
// cancels the Worker's Cancellation — its run ends within one read of the
// source (whole commits stay), its change-feed poll ends — and joins both of
// its threads before anything else happens to that configuration, so there is
// never more than one Worker per configuration. Changes to one configuration
// are serialized (`lifecycle_mu_`); none holds the store's writer or the
// engine's map lock while waiting for a thread or the network.
//
// Time comes from the injected Clock (reconcile, backoff, waits), so tests
// drive every timer with a FakeClock. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <thread>

#include "common/cancellation.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "repo/repository.h"
#include "sync/credential_box.h"
#include "sync/remote_config.h"
#include "sync/sync_runner.h"
#include "sync/sync_source.h"

namespace tandem {

struct SyncEngineOptions {
  std::chrono::seconds reconcile_interval{300};
  std::chrono::seconds max_backoff{300};
  std::chrono::seconds feed_wait{5};  // long-poll of the source's change feed
  PackLimits pack_limits;
  // Browsing a source for the wizard (BrowseSource): the whole listing's
  // time, and how many may run at once (each holds a request's worker).
  std::chrono::seconds browse_timeout{60};
  int max_browses = 2;
};

// What a worker is doing (the status endpoint's "state").
enum class WorkerState { kIdle, kRunning, kWaiting, kError, kCompleted, kPaused };
std::string_view WorkerStateName(WorkerState s);

// One configuration's runs since this server started (GET /metrics).
struct RunTotals {
  std::map<std::string, uint64_t> runs;  // by outcome: ok, partial, error, cancelled
  uint64_t commits = 0;                  // copied
  uint64_t bytes = 0;                    // of packs received
  double seconds = 0;                    // spent running
  // After the last run: the commits the source's catalogue had that are not
  // here (0 after an "ok" run).
  uint64_t commits_behind = 0;
};

class SyncEngine {
 public:
  SyncEngine(Repository& repo, CredentialBox box, Clock& clock, SourceFactory sources,
             SyncEngineOptions options = {});
  ~SyncEngine();

  // Starts workers for the stored configurations.
  Status Start() EXCLUDES(lifecycle_mu_, mu_);
  // Stops every worker (each within about a second, whatever its source
  // does) and refuses to start new ones.
  void Stop() EXCLUDES(lifecycle_mu_, mu_);

  // Validates (connecting to the source: address, credentials, protocol,
  // every selected id) and stores; starts the first run unless manual.
  Result<Json> Create(const Json& body) EXCLUDES(lifecycle_mu_, mu_);
  // A change of the source's url or user name needs the password again.
  Result<Json> Update(const std::string& id, const Json& body) EXCLUDES(lifecycle_mu_, mu_);
  // Stops the configuration; synchronized resources stay.
  Status Delete(const std::string& id) EXCLUDES(lifecycle_mu_, mu_);
  Result<Json> Get(const std::string& id);
  Result<Json> List();
  Result<Json> GetStatus(const std::string& id);
  Result<Json> Runs(const std::string& id, size_t limit);
  // Asks for a run; with `wait`, answers the report of the run that covers
  // this request (waiting at most `timeout`), or at once the last report of
  // a one-time configuration that has completed.
  Result<Json> RequestRun(const std::string& id, bool wait, std::chrono::seconds timeout);

  // Logs in to a source that is not configured yet and lists what it
  // offers (the web administration's wizard). Every failure, the source's
  // refusal of the credentials included, is InvalidArgument saying what to
  // check: the caller's own credentials were fine.
  // At most `max_browses` at once (Unavailable beyond), each ended after
  // `browse_timeout` whatever the source does.
  Result<SourceTree> BrowseSource(const SourceEndpoint& endpoint);

  // The target categories a configuration writes into (for permission checks).
  Result<std::string> TargetCategoryOf(const std::string& id);
  // Every configuration's run totals that ran since the start, by id.
  std::map<std::string, RunTotals> Totals() EXCLUDES(mu_);

 private:
  struct Worker;
  Result<RemoteConfig> Load(const std::string& id);
  Result<Json> Record(const RemoteConfig& c);
  Status Validate(const RemoteConfigSpec& spec, const std::string& password);
  void StartWorker(const RemoteConfig& c) REQUIRES(lifecycle_mu_) EXCLUDES(mu_);
  void StopWorker(const std::string& id) REQUIRES(lifecycle_mu_) EXCLUDES(mu_);
  // Starts the worker of `id` as stored (after a change that failed).
  void RestartFromStore(const std::string& id) REQUIRES(lifecycle_mu_) EXCLUDES(mu_);
  void WorkerLoop(Worker* w);
  void WatchFeed(Worker* w);
  // One run; `focus` names the source resources of a focused run (empty: all).
  void RunOnce(Worker* w, std::set<std::string> focus);
  // Ok when the configuration `config_id` may write to the existing `copy`.
  Status MayTakeOverCopy(const Resource& copy, const std::string& config_id,
                         const std::string& target_category_id);
  std::shared_ptr<Worker> FindWorker(const std::string& id) EXCLUDES(mu_);

  Repository& repo_;
  CredentialBox box_;
  Clock& clock_;
  SourceFactory sources_;
  SyncEngineOptions options_;
  Cancellation shutdown_;  // cancels source checks of Create/Update at Stop()
  Mutex lifecycle_mu_;  // serializes starting and stopping workers
  bool stopped_ GUARDED_BY(lifecycle_mu_) = false;
  Mutex mu_ ACQUIRED_AFTER(lifecycle_mu_);
  // shared_ptr: callers waiting on a worker keep it alive while it is stopped.
  std::map<std::string, std::shared_ptr<Worker>> workers_ GUARDED_BY(mu_);
  // By configuration id; outlives workers (a PATCH replaces the worker).
  std::map<std::string, RunTotals> totals_ GUARDED_BY(mu_);
  std::atomic<int> browses_{0};
};

}  // namespace tandem
