// SyncRunner: one synchronization run of one remote configuration on the
// target. It reads the source's catalogue, and for each selected resource
// checks uniqueness (Resource ID, Project ID, name in the target category),
// refuses cycles, creates the read-only copy, restores the source's metadata
// and the configured category, pulls the commits the copy lacks through a
// verified pack, and mirrors branches and tags. A problem with one resource
// is reported for it and the others go on. Not thread-safe; one per run.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "repo/repository.h"
#include "sync/pack_reader.h"
#include "sync/remote_config.h"
#include "common/cancellation.h"
#include "sync/sync_source.h"

namespace tandem {

// Live progress of a run, read by the status endpoint while it runs.
struct RunProgress {
  std::atomic<uint64_t> resources_total{0};
  std::atomic<uint64_t> resources_done{0};
  std::atomic<uint64_t> commits_done{0};
  std::atomic<uint64_t> commits_total{0};  // estimate from the catalogue's commit counts
  std::atomic<uint64_t> bytes_done{0};
  std::atomic<int64_t> started{0};
  void Reset(int64_t now) {
    resources_total = resources_done = commits_done = commits_total = bytes_done = 0;
    started = now;
  }
};

struct RunReport {
  int64_t started = 0;
  int64_t finished = 0;
  // "ok": every resource synced; "partial": some not; "error": the run failed;
  // "cancelled": stopped (DELETE, PATCH, shutdown) after whole commits.
  std::string outcome;
  std::string error;    // for "error": what failed, and what to do
  StatusCode error_code = StatusCode::kOk;  // for "error": its kind, to choose the hint
  uint64_t commits = 0;
  uint64_t bytes = 0;
  Json resources = Json::array();  // one row per resource (docs/synchronization.md)
  // A focused run's source resources (its rows are theirs only); empty for a whole run.
  std::vector<std::string> focused_on;
};

// The report as the API and the run history show it (docs/synchronization.md).
Json RunReportToJson(const RunReport& report);

// What a whole run that ended "ok" worked from, kept by its worker for the
// next run: the catalogue (after selection and dependencies), the source's
// feed position it was built at and this server's feed position when the run
// began checking copies. While both positions stand, a run has nothing to do
// (the idle run: one small catalogue answer, no work per resource); while only
// the source's does, the run checks each copy against the remembered
// catalogue without fetching it again. So a run that wrote anything here is
// followed by one such check before runs become idle.
struct CatalogueMemo {
  std::string source_server_id;
  std::string source_position;
  std::string local_position;
  Catalogue catalogue;
};

class SyncRunner {
 public:
  SyncRunner(Repository& repo, Clock& clock, std::string config_id, RemoteConfigSpec spec,
             Json previous_resources, RunProgress& progress)
      : repo_(repo),
        clock_(clock),
        config_id_(std::move(config_id)),
        spec_(std::move(spec)),
        previous_(std::move(previous_resources)),
        progress_(progress) {}

  // Bounds of each pack stream this run reads (default: PackLimits{}).
  void set_pack_limits(const PackLimits& limits) { pack_limits_ = limits; }

  // Asked before an existing copy is written to; a failure leaves that copy
  // untouched (its row is a conflict carrying the message). Bundles use it
  // so that whoever applies one can only change copies within their scopes.
  using CopyCheck = std::function<Status(const Resource& copy)>;
  void set_copy_check(CopyCheck check) { copy_check_ = std::move(check); }

  // A focused run (a trigger naming the resources that changed at the
  // source): only these previously synchronized source resources (and what
  // they use) are looked at, so its cost follows the change, not the size of
  // the configuration; the report holds their rows only. A focused resource
  // the source no longer has makes it a whole run. Empty: the whole run.
  void set_focus(std::set<std::string> source_ids) { focus_ = std::move(source_ids); }

  // The memo of the worker's last whole "ok" run, or null. After Run, memo()
  // is what the next run may use: the new one of a whole run that ended "ok",
  // null after any other whole run, the given one after a focused run.
  void set_memo(std::shared_ptr<const CatalogueMemo> memo) { memo_ = std::move(memo); }
  std::shared_ptr<const CatalogueMemo> memo() const { return memo_; }

  // Never fails as a whole for one resource's problem; a failure to reach the
  // source or read its catalogue makes the report's outcome "error". Once
  // `cancel` fires, the run stops within one read: commits imported so far
  // stay (each is whole), and the outcome is "cancelled".
  RunReport Run(SyncSource& source, const Cancellation& cancel);

 private:
  Json SyncResource(SyncSource& source, const SourceInfo& info, const CatalogueEntry& entry,
                    const Cancellation& cancel);
  // A status row; `clash`, for a conflict with a resource of this server,
  // names it (conflictWith), so a page can offer to rename or remove it.
  Json Row(const CatalogueEntry& e, const std::string& state, const std::string& message,
           const Resource* clash = nullptr);
  // Adds the projects the selected ones use (recursively) and orders every
  // resource after the ones it uses.
  Status AddDependencies(SyncSource& source, Catalogue& catalogue, const Cancellation& cancel);
  // Drops entries the configuration did not select (a source may offer
  // more than it was asked for; only the selection is copied) and repeats.
  void KeepSelected(Catalogue& catalogue);
  // The same for a focused run: only the focused resources (a source may
  // answer more than the ids it was asked for), with their recorded selection.
  void KeepFocused(Catalogue& catalogue);

  Repository& repo_;
  Clock& clock_;
  std::string config_id_;
  RemoteConfigSpec spec_;
  Json previous_;  // resource rows of the last run, by source id
  RunProgress& progress_;
  PackLimits pack_limits_;
  CopyCheck copy_check_;
  std::set<std::string> focus_;
  std::shared_ptr<const CatalogueMemo> memo_;
  uint64_t commits_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace tandem
