#include "sync/sync_engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <set>

#include "common/ids.h"

namespace tandem {

std::string_view WorkerStateName(WorkerState s) {
  switch (s) {
    case WorkerState::kIdle: return "idle";
    case WorkerState::kRunning: return "running";
    case WorkerState::kWaiting: return "waiting";
    case WorkerState::kError: return "error";
    case WorkerState::kCompleted: return "completed";
    case WorkerState::kPaused: return "paused";
  }
  return "idle";
}

namespace {

// What to do about a failed run, by the kind of failure (shown beside the
// message in the status, the list of configurations and the web pages).
std::string RunErrorHint(const RunReport& report, const RemoteConfigSpec& spec) {
  // A TLS failure's message already says what to do; the hint points to the guide.
  if (report.error.find("TLS") != std::string::npos) {
    return "fix the TLS set-up as the message says; docs/tls.md explains each TLS error";
  }
  switch (report.error_code) {
    case StatusCode::kUnauthenticated:
      return "the source refused the account '" + spec.username +
             "': set its current password with Change password on the configuration's page, or "
             "PATCH the configuration with {\"source\": {\"password\": ...}}";
    case StatusCode::kPermissionDenied:
      return "the account '" + spec.username +
             "' may not read at the source: give it the role reader there";
    default:
      return "check that the source is running and reachable at " + spec.source_url +
             " and that the account can read there";
  }
}

}  // namespace

// One enabled configuration's background work: a run thread and, for the
// commit and tag triggers, a change-feed thread. Made by StartWorker, ended by
// StopWorker (cancel, wake, join), never reused.
struct SyncEngine::Worker {
  std::string id;
  RemoteConfigSpec spec;  // as stored when the worker started; a change replaces the worker
  Cancellation cancel;    // fired once, by StopWorker
  Mutex mu;  // guards what is marked so; the rest is fixed before the threads start
  std::condition_variable cv;
  uint64_t requested GUARDED_BY(mu) = 0;  // run requests so far
  uint64_t started GUARDED_BY(mu) = 0;    // requests covered by the run in progress or done
  uint64_t completed GUARDED_BY(mu) = 0;  // requests covered by finished runs
  // What the next run looks at: every selected resource when anything but the
  // watcher asked (a user, the reconcile timer, a retry, the first run) or
  // the watcher saw a change of placement; otherwise only the source
  // resources whose changes the watcher saw (a focused run).
  bool whole_run GUARDED_BY(mu) = true;
  std::set<std::string> focus GUARDED_BY(mu);
  bool stop GUARDED_BY(mu) = false;
  // Until the watcher has read the source's feed position once, no run
  // starts: a commit between a run's catalogue and that first read would
  // otherwise be missed by both. Set at once when there is no watcher.
  bool feed_ready GUARDED_BY(mu) = true;
  // The watcher's connection to the source's feed (the status's
  // "feedWatcher"): none, connecting, connected or disconnected.
  const char* feed GUARDED_BY(mu) = "none";
  WorkerState state GUARDED_BY(mu) = WorkerState::kIdle;
  int failures GUARDED_BY(mu) = 0;
  int64_t next_attempt GUARDED_BY(mu) = 0;       // wall micros of the retry (for the status); 0 = none
  int64_t next_attempt_mono GUARDED_BY(mu) = 0;  // monotonic micros of the retry
  int64_t next_reconcile GUARDED_BY(mu) = 0;     // monotonic micros
  // Source resource ids that changes are relevant for: the selected ones and
  // those the last run recorded (category selections). Updated before the
  // worker leaves kRunning, so the watcher never judges by an older run.
  std::set<std::string> watched GUARDED_BY(mu);
  RunProgress progress;  // atomics: the run writes them, a status request reads them
  // The last whole "ok" run's catalogue and feed positions (sync_runner.h);
  // used by the run thread only. A new worker (a PATCH, a restart) starts
  // without one, so its first run asks for the whole catalogue.
  std::shared_ptr<const CatalogueMemo> memo;
  // Set by StartWorker, joined by StopWorker, both under lifecycle_mu_.
  std::thread thread;
  std::thread watcher;

  // The live part of a status record (progress, next attempt) into `out`;
  // returns the state.
  WorkerState Describe(Clock& clock, Json& out) const REQUIRES(mu);
};

SyncEngine::SyncEngine(Repository& repo, CredentialBox box, Clock& clock, SourceFactory sources,
                       SyncEngineOptions options)
    : repo_(repo),
      box_(std::move(box)),
      clock_(clock),
      sources_(std::move(sources)),
      options_(options) {
  // spdlog (a shared library not built with TSan) makes its default logger on
  // first use; made here, before any worker exists, the workers' first log
  // lines cannot race on making it (docs/reliability.md, "Data races").
  spdlog::default_logger_raw();
}

SyncEngine::~SyncEngine() { Stop(); }

Status SyncEngine::Start() {
  ASSIGN_OR_RETURN(auto txn, repo_.store().BeginRead());
  ASSIGN_OR_RETURN(auto configs, txn->ListRemoteConfigs());
  txn.reset();
  MutexLock life(lifecycle_mu_);
  for (const auto& c : configs) StartWorker(c);
  return Status::Ok();
}

void SyncEngine::Stop() {
  shutdown_.Cancel();
  MutexLock life(lifecycle_mu_);
  stopped_ = true;
  std::vector<std::string> ids;
  {
    MutexLock lock(mu_);
    for (const auto& [id, w] : workers_) ids.push_back(id);
  }
  // Cancel all first, then join: every run winds down at once, not in turn.
  for (const auto& id : ids) {
    if (auto w = FindWorker(id)) w->cancel.Cancel();
  }
  for (const auto& id : ids) StopWorker(id);
}

Result<RemoteConfig> SyncEngine::Load(const std::string& id) {
  ASSIGN_OR_RETURN(auto txn, repo_.store().BeginRead());
  ASSIGN_OR_RETURN(auto c, txn->GetRemoteConfig(id));
  if (!c) return Status::NotFound("remote configuration " + id + " does not exist");
  return *c;
}

Result<Json> SyncEngine::Record(const RemoteConfig& c) {
  ASSIGN_OR_RETURN(RemoteConfigSpec spec, SpecFromStored(c.spec));
  Json j = SpecToJson(spec);
  j["id"] = c.id;
  j["created"] = FormatTimestamp(c.created);
  return j;
}

Status SyncEngine::Validate(const RemoteConfigSpec& spec, const std::string& password) {
  ASSIGN_OR_RETURN(auto cat, repo_.GetCategory(spec.target_category_id));
  (void)cat;
  std::unique_ptr<SyncSource> source = sources_({spec.source_url, spec.username, password});
  auto connected = source->Info(shutdown_);
  if (!connected.ok()) {
    // The caller's request is fine; what failed is the source check. Say so
    // with a 4xx that cannot be mistaken for the caller's own credentials.
    return Status::InvalidArgument("checking the source failed: " + connected.status().message());
  }
  SourceInfo info = std::move(connected).value();
  ASSIGN_OR_RETURN(std::string own, repo_.ServerId());
  if (info.server_id == own) {
    return Status::InvalidArgument("the source " + spec.source_url + " is this server itself");
  }
  auto fetched = source->FetchCatalogue({spec.resources, spec.categories, std::nullopt, std::nullopt}, shutdown_);
  if (!fetched.ok()) {
    return Status::InvalidArgument("checking the source failed: " + fetched.status().message());
  }
  Catalogue catalogue = std::move(fetched).value();
  if (!catalogue.missing_resources.empty() || !catalogue.missing_categories.empty()) {
    std::string list;
    for (const auto& id : catalogue.missing_resources) list += " resource " + id;
    for (const auto& id : catalogue.missing_categories) list += " category " + id;
    return Status::InvalidArgument("the source " + spec.source_url + " has no" + list);
  }
  return Status::Ok();
}

Result<SourceTree> SyncEngine::BrowseSource(const SourceEndpoint& endpoint) {
  if (browses_.fetch_add(1) >= options_.max_browses) {
    browses_.fetch_sub(1);
    return Status::Unavailable(std::to_string(options_.max_browses) +
                               " sources are being browsed already; try again in a moment");
  }
  struct Release {
    std::atomic<int>& n;
    ~Release() { n.fetch_sub(1); }
  } release{browses_};
  // Its own cancellation: at shutdown, or when the whole listing takes too long.
  Cancellation cancel;
  auto at_shutdown = shutdown_.OnCancel([&cancel] { cancel.Cancel(); });
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  std::thread timer([&] {
    std::unique_lock lock(mu);
    if (!done_cv.wait_for(lock, options_.browse_timeout, [&] { return done; })) cancel.Cancel();
  });
  std::unique_ptr<SyncSource> source = sources_(endpoint);
  auto tree = source->Browse(cancel);
  {
    std::lock_guard lock(mu);
    done = true;
  }
  done_cv.notify_all();
  timer.join();
  if (!tree.ok() && cancel.cancelled() && !shutdown_.cancelled()) {
    return Status::InvalidArgument("browsing the source failed: " + endpoint.url +
                                   " did not list its categories and resources within " +
                                   std::to_string(options_.browse_timeout.count()) +
                                   " s; check the link, or give the ids to the API instead");
  }
  if (!tree.ok()) {
    return Status::InvalidArgument("browsing the source failed: " + tree.status().message());
  }
  ASSIGN_OR_RETURN(std::string own, repo_.ServerId());
  if (tree->info.server_id == own) {
    return Status::InvalidArgument("the source " + endpoint.url + " is this server itself");
  }
  return tree;
}

Result<Json> SyncEngine::Create(const Json& body) {
  std::optional<std::string> password;
  ASSIGN_OR_RETURN(RemoteConfigSpec spec, ParseRemoteConfigSpec(body, false, {}, password));
  RETURN_IF_ERROR(Validate(spec, *password));
  RemoteConfig c{NewUuid(), spec.name, SpecToJson(spec).dump(), box_.Seal(*password),
                 Json{{"resources", Json::object()}}.dump(), clock_.NowMicros()};
  {
    ASSIGN_OR_RETURN(auto txn, repo_.store().BeginWrite());
    ASSIGN_OR_RETURN(auto existing, txn->ListRemoteConfigs());
    for (const auto& other : existing) {
      if (other.name == spec.name) {
        return Status::Conflict("a remote configuration named '" + spec.name + "' exists (" + other.id + ")");
      }
    }
    RETURN_IF_ERROR(txn->InsertRemoteConfig(c));
    RETURN_IF_ERROR(txn->CommitTransaction());
  }
  {
    MutexLock life(lifecycle_mu_);
    StartWorker(c);
  }
  // The first run; a server that is stopping starts it at its next start.
  if (spec.enabled && spec.trigger != TriggerType::kManual && FindWorker(c.id)) {
    ASSIGN_OR_RETURN(Json ignored, RequestRun(c.id, false, std::chrono::seconds(0)));
    (void)ignored;
  }
  return Record(c);
}

Result<Json> SyncEngine::Update(const std::string& id, const Json& body) {
  ASSIGN_OR_RETURN(RemoteConfig c, Load(id));
  ASSIGN_OR_RETURN(RemoteConfigSpec base, SpecFromStored(c.spec));
  std::optional<std::string> password;
  ASSIGN_OR_RETURN(RemoteConfigSpec spec, ParseRemoteConfigSpec(body, true, base, password));
  if (!password && (spec.source_url != base.source_url || spec.username != base.username)) {
    // The stored password belongs to the old source and account: it must
    // never be sent anywhere else.
    return Status::InvalidArgument(
        "changing the source's url or user name needs its password again: give 'source.password'");
  }
  std::string current_password;
  if (password) {
    current_password = *password;
  } else {
    ASSIGN_OR_RETURN(current_password, box_.Unseal(c.secret));
  }
  // Only a change of what is fetched, from where, or into where needs the source.
  bool reaches_source = password || spec.source_url != base.source_url ||
                        spec.username != base.username || spec.resources != base.resources ||
                        spec.categories != base.categories ||
                        spec.target_category_id != base.target_category_id;
  if (reaches_source) RETURN_IF_ERROR(Validate(spec, current_password));
  MutexLock life(lifecycle_mu_);
  if (stopped_) return Status::Unavailable("the server is stopping; try again after it restarts");
  StopWorker(id);
  Status stored = [&]() -> Status {
    // Re-read inside the transaction: a run that ended while the worker
    // stopped has recorded its state, which this change must keep.
    ASSIGN_OR_RETURN(auto txn, repo_.store().BeginWrite());
    ASSIGN_OR_RETURN(auto current, txn->GetRemoteConfig(id));
    if (!current) return Status::NotFound("remote configuration " + id + " was deleted meanwhile");
    c = *current;
    c.name = spec.name;
    c.spec = SpecToJson(spec).dump();
    if (password) c.secret = box_.Seal(*password);
    RETURN_IF_ERROR(txn->UpdateRemoteConfig(c));
    return txn->CommitTransaction();
  }();
  if (!stored.ok()) {
    RestartFromStore(id);  // the change failed; the configuration goes on as it was
    return stored;
  }
  StartWorker(c);
  return Record(c);
}

void SyncEngine::RestartFromStore(const std::string& id) {
  auto current = Load(id);
  if (current.ok()) StartWorker(*current);
}

Status SyncEngine::Delete(const std::string& id) {
  ASSIGN_OR_RETURN(RemoteConfig c, Load(id));
  MutexLock life(lifecycle_mu_);
  StopWorker(c.id);
  Status deleted = [&]() -> Status {
    ASSIGN_OR_RETURN(auto txn, repo_.store().BeginWrite());
    RETURN_IF_ERROR(txn->DeleteRemoteConfig(id));
    return txn->CommitTransaction();
  }();
  if (!deleted.ok()) {
    RestartFromStore(id);  // still stored: it keeps running
  } else {
    MutexLock lock(mu_);
    totals_.erase(id);
  }
  return deleted;
}

std::map<std::string, RunTotals> SyncEngine::Totals() {
  MutexLock lock(mu_);
  return totals_;
}

Result<Json> SyncEngine::Get(const std::string& id) {
  ASSIGN_OR_RETURN(RemoteConfig c, Load(id));
  return Record(c);
}

Result<Json> SyncEngine::List() {
  ASSIGN_OR_RETURN(auto txn, repo_.store().BeginRead());
  ASSIGN_OR_RETURN(auto configs, txn->ListRemoteConfigs());
  Json out = Json::array();
  for (const auto& c : configs) {
    ASSIGN_OR_RETURN(Json j, Record(c));
    out.push_back(std::move(j));
  }
  return out;
}

Result<std::string> SyncEngine::TargetCategoryOf(const std::string& id) {
  ASSIGN_OR_RETURN(RemoteConfig c, Load(id));
  ASSIGN_OR_RETURN(RemoteConfigSpec spec, SpecFromStored(c.spec));
  return spec.target_category_id;
}

WorkerState SyncEngine::Worker::Describe(Clock& clock, Json& out) const {
  if (state == WorkerState::kRunning) {
    int64_t elapsed = clock.NowMicros() - progress.started;
    uint64_t bytes = progress.bytes_done;
    uint64_t done = progress.commits_done, total = progress.commits_total;
    Json eta = nullptr;
    if (done > 0 && total > done && elapsed > 0) {
      eta = static_cast<double>(total - done) * static_cast<double>(elapsed) /
            static_cast<double>(done) / 1e6;
    }
    double per_second = elapsed > 0 ? static_cast<double>(done) * 1e6 / static_cast<double>(elapsed) : 0.0;
    out["progress"] = {{"resourcesDone", progress.resources_done.load()},
                       {"resourcesTotal", progress.resources_total.load()},
                       {"commitsDone", done},
                       {"commitsTotal", total},
                       {"bytesDone", bytes},
                       {"bytesPerSecond", elapsed > 0 ? bytes * 1'000'000 / elapsed : 0},
                       {"commitsPerSecond", per_second},
                       {"secondsLeft", eta}};
  }
  if (state == WorkerState::kWaiting) out["nextAttempt"] = FormatTimestamp(next_attempt);
  out["feedWatcher"] = feed;
  return state;
}

Result<Json> SyncEngine::GetStatus(const std::string& id) {
  // The worker records a run in the store before it leaves "running", so the
  // stored record is read under the worker's lock: both parts then agree.
  std::shared_ptr<Worker> w = FindWorker(id);
  std::optional<Result<RemoteConfig>> loaded;
  std::optional<WorkerState> live_state;
  Json out = Json::object();
  if (w) {
    MutexLock wl(w->mu);
    loaded = Load(id);
    live_state = w->Describe(clock_, out);
  } else {
    loaded = Load(id);
  }
  ASSIGN_OR_RETURN(RemoteConfig c, std::move(*loaded));
  ASSIGN_OR_RETURN(RemoteConfigSpec spec, SpecFromStored(c.spec));
  Json stored = ParseJsonOrDiscarded(c.state);
  if (!stored.is_object()) stored = Json::object();
  out["id"] = c.id;
  out["name"] = c.name;
  WorkerState state = spec.enabled ? WorkerState::kIdle : WorkerState::kPaused;
  if (live_state) state = *live_state;
  if (JsonBool(stored, "completed", false)) state = WorkerState::kCompleted;
  out["state"] = WorkerStateName(state);
  if (!out.contains("feedWatcher")) out["feedWatcher"] = "none";
  for (const char* key : {"lastRun", "lastSuccess", "lastError", "consecutiveFailures"}) {
    out[key] = stored.contains(key) ? stored[key] : Json(nullptr);
  }
  Json rows = Json::array();
  if (stored.contains("resources") && stored["resources"].is_object()) {
    for (const auto& [rid, row] : stored["resources"].items()) rows.push_back(row);
  }
  out["resources"] = rows;
  return out;
}

Result<Json> SyncEngine::Runs(const std::string& id, size_t limit) {
  ASSIGN_OR_RETURN(RemoteConfig c, Load(id));
  ASSIGN_OR_RETURN(auto txn, repo_.store().BeginRead());
  ASSIGN_OR_RETURN(auto runs, txn->ListSyncRuns(c.id, limit));
  Json out = Json::array();
  for (const auto& r : runs) {
    Json report = ParseJsonOrDiscarded(r.report);
    out.push_back({{"started", FormatTimestamp(r.started)},
                   {"finished", FormatTimestamp(r.finished)},
                   {"outcome", r.outcome},
                   {"report", report.is_discarded() ? Json(nullptr) : report}});
  }
  return out;
}

Result<Json> SyncEngine::RequestRun(const std::string& id, bool wait, std::chrono::seconds timeout) {
  ASSIGN_OR_RETURN(RemoteConfig c, Load(id));
  ASSIGN_OR_RETURN(RemoteConfigSpec spec, SpecFromStored(c.spec));
  if (!spec.enabled) return Status::Conflict("remote configuration '" + c.name + "' is disabled; enable it first");
  std::shared_ptr<Worker> w = FindWorker(id);
  if (!w) return Status::Unavailable("remote configuration " + id + " is stopping");
  Worker& worker = *w;
  MutexLock wl(worker.mu);
  // The stored state is recorded before the worker's own: a status read in
  // between already says "completed", and so must this.
  if (worker.state == WorkerState::kCompleted || JsonBool(ParseJsonOrDiscarded(c.state), "completed", false)) {
    return Status::Conflict("one-time configuration '" + c.name + "' has completed; create a new one to run again");
  }
  uint64_t ticket = ++worker.requested;
  worker.whole_run = true;
  worker.cv.notify_all();
  if (!wait) return Json{{"queued", true}};
  // A one-time configuration whose run (started before this request) ends it
  // never runs again: that run's report is the answer.
  bool done = clock_.WaitFor(wl.native(), worker.cv, timeout, [&]() REQUIRES(worker.mu) {
    return worker.completed >= ticket || worker.stop || worker.state == WorkerState::kCompleted;
  });
  if (!done) {
    return Status::Unavailable("the run has not finished within " + std::to_string(timeout.count()) +
                               " s; follow it at /api/v1/remote-configs/" + id + "/status");
  }
  if (worker.stop && worker.completed < ticket && worker.state != WorkerState::kCompleted) {
    return Status::Unavailable("the run was stopped: the configuration was changed or deleted, or the "
                               "server is stopping; see /api/v1/remote-configs/" + id + "/runs");
  }
  wl.Unlock();
  ASSIGN_OR_RETURN(Json runs, Runs(id, 1));
  return runs.empty() ? Json(nullptr) : runs[0];
}

std::shared_ptr<SyncEngine::Worker> SyncEngine::FindWorker(const std::string& id) {
  MutexLock lock(mu_);
  auto it = workers_.find(id);
  return it == workers_.end() ? nullptr : it->second;
}

void SyncEngine::StartWorker(const RemoteConfig& c) {
  if (stopped_) return;
  auto spec = SpecFromStored(c.spec);
  if (!spec.ok()) {
    spdlog::error("remote configuration {} is unreadable and does not run: {}", c.id,
                  spec.status().message());
    return;
  }
  if (!spec->enabled) return;
  auto w = std::make_shared<Worker>();
  w->id = c.id;
  w->spec = *spec;
  const bool watches = spec->trigger != TriggerType::kManual && !spec->once;
  {
    MutexLock init(w->mu);  // nothing else sees the worker yet; this is for the analysis
    w->next_reconcile = clock_.MonotonicMicros() +
                        std::chrono::microseconds(options_.reconcile_interval).count();
    w->watched.insert(spec->resources.begin(), spec->resources.end());
    Json stored = ParseJsonOrDiscarded(c.state);
    if (JsonBool(stored, "completed", false)) w->state = WorkerState::kCompleted;
    if (stored.is_object() && stored.contains("resources") && stored["resources"].is_object()) {
      for (const auto& [rid, row] : stored["resources"].items()) w->watched.insert(rid);
    }
    w->feed_ready = !watches;
    w->feed = watches ? "connecting" : "none";
  }
  Worker* raw = w.get();
  {
    MutexLock lock(mu_);
    // lifecycle_mu_ is held and StopWorker ran first: there is no other worker.
    workers_[c.id] = w;
  }
  raw->thread = std::thread([this, raw] { WorkerLoop(raw); });
  if (watches) {
    raw->watcher = std::thread([this, raw] {
      try {
        WatchFeed(raw);
      } catch (const std::exception& e) {
        {
          MutexLock wl(raw->mu);
          raw->feed_ready = true;
          raw->cv.notify_all();
        }
        // As in WorkerLoop: the periodic reconciliation still runs without it.
        spdlog::error("change-feed watcher of {} stopped by an unexpected error: {}; the "
                      "configuration is still reconciled every {} s",
                      raw->id, e.what(), options_.reconcile_interval.count());
      }
    });
  }
}

void SyncEngine::StopWorker(const std::string& id) {
  std::shared_ptr<Worker> w;
  {
    MutexLock lock(mu_);
    auto it = workers_.find(id);
    if (it == workers_.end()) return;
    w = std::move(it->second);
    workers_.erase(it);
  }
  {
    MutexLock wl(w->mu);
    w->stop = true;
  }
  w->cancel.Cancel();  // ends a run's reads and the feed's long poll
  w->cv.notify_all();
  if (w->thread.joinable()) w->thread.join();
  if (w->watcher.joinable()) w->watcher.join();
}

void SyncEngine::WorkerLoop(Worker* w) {
  const bool periodic = w->spec.trigger != TriggerType::kManual && !w->spec.once;
  while (true) {
    MutexLock wl(w->mu);
    auto due = [&]() REQUIRES(w->mu) {
      if (w->stop) return true;
      if (w->state == WorkerState::kCompleted || !w->feed_ready) return false;
      // "Synchronize now" runs now, even while backing off after an error.
      if (w->requested > w->started) return true;
      int64_t now = clock_.MonotonicMicros();
      if (w->state == WorkerState::kWaiting) return now >= w->next_attempt_mono;
      return periodic && now >= w->next_reconcile;
    };
    while (!due()) {
      // Sleep until the next timer of this worker, or until a request wakes it.
      int64_t deadline = clock_.MonotonicMicros() + 3'600'000'000;
      if (w->state == WorkerState::kWaiting) {
        deadline = w->next_attempt_mono;
      } else if (periodic && w->state != WorkerState::kCompleted) {
        deadline = w->next_reconcile;
      }
      clock_.WaitUntil(wl.native(), w->cv, deadline, due);
    }
    if (w->stop) return;
    if (w->requested <= w->started) ++w->requested;  // a reconcile or retry counts as a request
    // A due retry or reconcile is a whole run even when the watcher asked too.
    const int64_t now = clock_.MonotonicMicros();
    if (w->state == WorkerState::kWaiting || (periodic && now >= w->next_reconcile)) {
      w->whole_run = true;
    }
    w->started = w->requested;
    std::set<std::string> focus;
    if (!w->whole_run) focus = std::move(w->focus);
    w->focus.clear();
    w->whole_run = false;
    w->state = WorkerState::kRunning;
    wl.Unlock();
    try {
      RunOnce(w, std::move(focus));
    } catch (const std::exception& e) {
      // Bad input from a source becomes a Status in the sync code; this is the
      // last line, so that a defect ends one run and not the whole server.
      spdlog::error("synchronization {} stopped by an unexpected error: {}; retrying in a minute",
                    w->id, e.what());
      MutexLock ew(w->mu);
      w->state = WorkerState::kWaiting;
      w->next_attempt = clock_.NowMicros() + 60'000'000;
      w->next_attempt_mono = clock_.MonotonicMicros() + 60'000'000;
    }
    wl.Lock();
    w->completed = w->started;
    w->next_reconcile = clock_.MonotonicMicros() +
                        std::chrono::microseconds(options_.reconcile_interval).count();
    w->cv.notify_all();
  }
}

// A configuration writes to the copies it made, and to copies within its own
// target category (or below it), which whoever may manage the configuration
// may manage too. Another configuration's copy elsewhere is not taken over
// just because this source claims the same server id: a source that lies
// about who it is could otherwise rewrite copies outside its manager's scopes.
Status SyncEngine::MayTakeOverCopy(const Resource& copy, const std::string& config_id,
                                   const std::string& target_category_id) {
  auto origin = ParseJsonOrDiscarded(copy.origin);
  if (JsonString(origin, "configuration") == config_id) return Status::Ok();
  auto lineage = repo_.CategoryLineage(copy.category_id);
  if (lineage.ok() &&
      std::find(lineage->begin(), lineage->end(), target_category_id) != lineage->end()) {
    return Status::Ok();
  }
  return Status::PermissionDenied(
      "project '" + copy.name + "' (" + copy.id + ") here is a copy made by another configuration (" +
      JsonString(origin, "configurationName", "?") + ") and lies outside this configuration's target "
      "category; it is not changed (move it into the target category, or delete the other configuration, to let this one take it over)");
}

void SyncEngine::RunOnce(Worker* w, std::set<std::string> focus) {
  auto finish = [&](WorkerState state) {
    MutexLock wl(w->mu);
    w->state = state;
  };
  auto config = Load(w->id);
  if (!config.ok()) return finish(WorkerState::kError);
  auto spec = SpecFromStored(config->spec);
  auto password = box_.Unseal(config->secret);
  if (!spec.ok() || !password.ok()) {
    spdlog::error("remote configuration {}: {}", w->id,
                  (!spec.ok() ? spec.status() : password.status()).message());
    return finish(WorkerState::kError);
  }
  Json state = ParseJsonOrDiscarded(config->state);
  if (!state.is_object()) state = Json::object();
  Json previous = state.contains("resources") && state["resources"].is_object() ? state["resources"]
                                                                               : Json::object();

  std::unique_ptr<SyncSource> source = sources_({spec->source_url, spec->username, *password});
  SyncRunner runner(repo_, clock_, w->id, *spec, previous, w->progress);
  runner.set_pack_limits(options_.pack_limits);
  runner.set_focus(std::move(focus));
  runner.set_memo(w->memo);
  runner.set_copy_check([this, id = w->id, target = spec->target_category_id](const Resource& copy) {
    return MayTakeOverCopy(copy, id, target);
  });
  RunReport report = runner.Run(*source, w->cancel);
  w->memo = runner.memo();
  {
    MutexLock lock(mu_);
    RunTotals& totals = totals_[w->id];
    ++totals.runs[report.outcome];
    totals.commits += report.commits;
    totals.bytes += report.bytes;
    totals.seconds += static_cast<double>(report.finished - report.started) / 1e6;
    uint64_t total = w->progress.commits_total, done = w->progress.commits_done;
    totals.commits_behind = report.outcome == "ok" || done >= total ? 0 : total - done;
  }
  const bool cancelled = report.outcome == "cancelled";

  Json report_json = RunReportToJson(report);
  // A stopped run knows only the resources it reached, a focused one only
  // its own: the others keep their rows.
  Json rows = cancelled || !report.focused_on.empty() ? previous : Json::object();
  for (const auto& row : report.resources) {
    if (row.contains("sourceId") && row["sourceId"].is_string()) rows[row["sourceId"].get<std::string>()] = row;
  }
  if (report.outcome != "error") state["resources"] = rows;
  state["lastRun"] = {{"finished", FormatTimestamp(report.finished)}, {"outcome", report.outcome}};
  int failures = 0;
  WorkerState next_state = WorkerState::kIdle;
  int64_t next_attempt = 0;
  int64_t backoff_micros = 0;
  if (report.outcome == "error") {
    {
      MutexLock wl(w->mu);
      failures = ++w->failures;
    }
    state["lastError"] = {{"time", FormatTimestamp(report.finished)},
                          {"message", report.error},
                          {"hint", RunErrorHint(report, *spec)}};
    if (spec->trigger != TriggerType::kManual) {
      auto backoff = std::min<int64_t>(int64_t{1} << std::min(failures, 20),
                                       options_.max_backoff.count());
      backoff_micros = backoff * 1'000'000;
      next_attempt = clock_.NowMicros() + backoff_micros;
      next_state = WorkerState::kWaiting;
    } else {
      next_state = WorkerState::kError;
    }
  } else if (!cancelled) {
    MutexLock wl(w->mu);
    failures = w->failures = 0;
    state["lastSuccess"] = FormatTimestamp(report.finished);
    if (spec->once && report.outcome == "ok") {
      state["completed"] = true;
      next_state = WorkerState::kCompleted;
    }
  } else {
    MutexLock wl(w->mu);
    failures = w->failures;
  }
  state["consecutiveFailures"] = failures;
  auto txn = repo_.store().BeginWrite();
  if (!txn.ok()) {
    spdlog::error("remote configuration {}: cannot record run: {}", w->id, txn.status().message());
  } else {
    RemoteConfig updated = *config;
    updated.state = state.dump();
    Status st = (*txn)->UpdateRemoteConfig(updated);
    if (st.ok()) {
      auto seq = (*txn)->InsertSyncRun(SyncRun{0, w->id, report.started, report.finished,
                                               report.outcome, report_json.dump()});
      st = seq.ok() ? (*txn)->CommitTransaction() : seq.status();
    }
    if (!st.ok()) spdlog::error("remote configuration {}: cannot record run: {}", w->id, st.message());
  }
  spdlog::info("remote configuration '{}': run {} ({} commits)", spec->name, report.outcome,
               report.commits);
  MutexLock wl(w->mu);
  if (state.contains("resources") && state["resources"].is_object()) {
    for (const auto& [rid, row] : state["resources"].items()) w->watched.insert(rid);
  }
  w->state = next_state;
  w->next_attempt = next_attempt;
  w->next_attempt_mono = clock_.MonotonicMicros() + backoff_micros;
}

void SyncEngine::WatchFeed(Worker* w) {
  // Follows the source's change feed; a change to a resource of this
  // configuration, to categories or to resource placement asks for a run.
  const RemoteConfigSpec& spec = w->spec;
  std::unique_ptr<SyncSource> source;
  int64_t since = -1;
  int failures = 0;
  auto pause = [&](int64_t micros) {
    MutexLock wl(w->mu);
    clock_.WaitFor(wl.native(), w->cv, std::chrono::microseconds(micros),
                   [&]() REQUIRES(w->mu) { return w->stop; });
  };
  // `changed`: the source resources a focused run may look at; empty: all.
  auto request_run = [&](const std::set<std::string>& changed = {}) {
    MutexLock wl(w->mu);
    ++w->requested;
    if (changed.empty()) w->whole_run = true;
    w->focus.insert(changed.begin(), changed.end());
    w->cv.notify_all();
  };
  // `feed`: the watcher's connection after this answer (Worker::feed).
  auto ready = [&](const char* feed) {
    MutexLock wl(w->mu);
    w->feed_ready = true;
    w->feed = feed;
    w->cv.notify_all();
  };
  while (true) {
    {
      MutexLock wl(w->mu);
      if (w->stop || w->state == WorkerState::kCompleted) return;
    }
    if (!source) {
      auto config = Load(w->id);
      auto password = config.ok() ? box_.Unseal(config->secret) : Result<std::string>(config.status());
      if (!password.ok()) {
        // Stored data can be unreadable for a while (datamanager beside the
        // server, a full disk): retry, and say so, rather than end for good.
        ++failures;
        spdlog::warn("change-feed watcher of remote configuration {}: cannot read its configuration "
                     "({}); retrying", w->id, password.status().message());
        pause(int64_t{1'000'000} << std::min(failures, 6));
        continue;
      }
      source = sources_({spec.source_url, spec.username, *password});
    }
    auto page = source->Changes(since < 0 ? -1 : since, options_.feed_wait, w->cancel);
    if (w->cancel.cancelled()) return;
    // Runs wait for the first answer (or failure: then the reconcile after
    // reconnecting covers what a run could miss).
    ready(page.ok()                                             ? "connected"
          : page.status().code() == StatusCode::kNotImplemented ? "none"
                                                                : "disconnected");
    if (!page.ok()) {
      if (page.status().code() == StatusCode::kNotImplemented) return;  // a source without a feed
      ++failures;
      if (failures == 1 || failures % 10 == 0) {
        spdlog::warn("change-feed watcher of remote configuration '{}': {} (attempt {}); the "
                     "trigger resumes when the source answers again",
                     spec.name, page.status().message(), failures);
      }
      source.reset();
      pause(std::min<int64_t>(int64_t{1'000'000} << std::min(failures, 6), 60'000'000));
      continue;
    }
    bool reconnected = failures > 0;
    if (reconnected) spdlog::info("change-feed watcher of remote configuration '{}' follows the source again", spec.name);
    failures = 0;
    if (since < 0 || reconnected) {
      // (Re)connected: changes may have been missed meanwhile, so reconcile.
      if (reconnected) request_run();
      if (since < 0 || since > page->head_seq) since = page->head_seq;
      if (!reconnected) continue;
    }
    bool relevant = false, whole = false;
    std::set<std::string> changed;
    {
      // Judged now, by the worker's current knowledge: a run in progress may
      // not have recorded a category's resources yet, so it reruns.
      MutexLock wl(w->mu);
      bool running = w->state == WorkerState::kRunning;
      for (const auto& e : page->events) {
        if (spec.trigger == TriggerType::kTag) {
          // Adding the tag is what triggers.
          if (e.type == "tag.created" && e.name == spec.trigger_tag) relevant = whole = true;
        } else if (e.type.rfind("category.", 0) == 0 || e.type == "resource.created" ||
                   e.type == "resource.moved" || (running && !spec.categories.empty())) {
          relevant = whole = true;  // what the selection holds may have changed
        } else if (w->watched.count(e.resource_id)) {
          relevant = true;
          changed.insert(e.resource_id);
        }
      }
    }
    since = std::max(since, page->last_seq);
    if (relevant) request_run(whole ? std::set<std::string>{} : changed);
  }
}

}  // namespace tandem
