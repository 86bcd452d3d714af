// SyncEngine: the target side of synchronization. It keeps the remote
// resource configurations (passwords sealed by a CredentialBox), runs one
// worker thread per enabled configuration, and starts runs when asked
// (manual trigger, "synchronize now"), when the source's change feed reports a
// change (commit trigger), and periodically to reconcile anything missed.
// Runs of one configuration never overlap; a request during a run queues
// exactly one more run. Failures back off exponentially (injected Clock).
// Records are the JSON of /api/v1/remote-configs (docs/synchronization.md).
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "repo/repository.h"
#include "sync/credential_box.h"
#include "sync/remote_config.h"
#include "sync/source_client.h"
#include "sync/sync_runner.h"

namespace tandem {

struct SyncEngineOptions {
  std::chrono::seconds reconcile_interval{300};
  std::chrono::seconds max_backoff{300};
  std::chrono::seconds feed_wait{5};  // long-poll of the source's change feed
  PackLimits pack_limits;
};

class SyncEngine {
 public:
  SyncEngine(Repository& repo, CredentialBox box, Clock& clock, TransportFactory transports,
             SyncEngineOptions options = {});
  ~SyncEngine();

  // Starts workers for the stored configurations.
  Status Start();
  void Stop();

  // Validates (connecting to the source: address, credentials, protocol,
  // every selected id) and stores; starts the first run unless manual.
  Result<Json> Create(const Json& body);
  Result<Json> Update(const std::string& id, const Json& body);
  // Stops the configuration; synchronized resources stay.
  Status Delete(const std::string& id);
  Result<Json> Get(const std::string& id);
  Result<Json> List();
  Result<Json> GetStatus(const std::string& id);
  Result<Json> Runs(const std::string& id, size_t limit);
  // Asks for a run; with `wait`, answers the report of the run that follows
  // this request (waiting at most `timeout`).
  Result<Json> RequestRun(const std::string& id, bool wait, std::chrono::seconds timeout);

  // The target categories a configuration writes into (for permission checks).
  Result<std::string> TargetCategoryOf(const std::string& id);

 private:
  struct Worker;
  Result<RemoteConfig> Load(const std::string& id);
  Result<Json> Record(const RemoteConfig& c);
  Status Validate(const RemoteConfigSpec& spec, const std::string& password);
  void StartWorker(const RemoteConfig& c);
  void StopWorker(const std::string& id);
  void WorkerLoop(Worker* w);
  void WatchFeed(Worker* w);
  void RunOnce(Worker* w);
  // Ok when the configuration `config_id` may write to the existing `copy`.
  Status MayTakeOverCopy(const Resource& copy, const std::string& config_id,
                         const std::string& target_category_id);
  std::shared_ptr<Worker> FindWorker(const std::string& id);

  Repository& repo_;
  CredentialBox box_;
  Clock& clock_;
  TransportFactory transports_;
  SyncEngineOptions options_;
  std::mutex mu_;  // guards workers_
  // shared_ptr: callers waiting on a worker keep it alive while it is stopped.
  std::map<std::string, std::shared_ptr<Worker>> workers_;
};

}  // namespace tandem
