// BundleApplier: the target side of synchronization through files. It checks
// a whole bundle before anything is stored — framing, sizes, the trailing
// checksum, every element version hash, every pack record, and every commit
// hash by importing the commits in a trial transaction that is rolled back —
// refuses a bundle whose prerequisites this server lacks (naming them) or that
// is older than the copies here, and then applies it by running the ordinary
// SyncRunner over a SyncSource that reads the bundle file instead of a server, so
// ids, read-only copies, conflicts, metadata, dependencies and per-commit
// atomicity are those of a synchronization run. Not thread-safe; one per apply.
#pragma once

#include <atomic>
#include <string>

#include "common/cancellation.h"
#include "common/clock.h"
#include "repo/repository.h"
#include "sync/bundle_file.h"
#include "sync/pack_reader.h"
#include "sync/sync_runner.h"

namespace tandem {

// The remote-configuration name and id a bundle's copies record as their
// origin (their origin's serverId is the bundle's source server).
inline constexpr char kBundleOriginConfig[] = "bundle";

// Live progress of an apply, read by the upload's status while it runs.
struct BundleProgress {
  std::atomic<uint64_t> bytes_total{0};
  std::atomic<uint64_t> bytes_checked{0};
  std::atomic<bool> applying{false};  // every check passed; the run is under way
  RunProgress run;
  // Cancelled from another thread to stop early (server shutdown): checking
  // stops with nothing stored; applying stops before the next commit,
  // leaving whole commits, and the copies report "behind".
  Cancellation cancel;
};

class BundleApplier {
 public:
  BundleApplier(Repository& repo, Clock& clock, BundleLimits limits, PackLimits pack_limits = {})
      : repo_(repo), clock_(clock), limits_(limits), pack_limits_(pack_limits) {}

  // Verifies the bundle at `path`, then applies it into `target_category_id`.
  // Nothing is stored when verification fails: Corruption/TooLarge for a
  // damaged or hostile file, Conflict for missing prerequisites or a bundle
  // older than the copies here, NotFound for an unknown category. Per-resource
  // problems (uniqueness conflicts, detached copies, copies `copy_check`
  // refuses) are rows of the report.
  Result<RunReport> Apply(const std::string& path, const std::string& target_category_id,
                          BundleProgress& progress,
                          const SyncRunner::CopyCheck& copy_check = nullptr);

 private:
  Repository& repo_;
  Clock& clock_;
  BundleLimits limits_;
  PackLimits pack_limits_;
};

}  // namespace tandem
