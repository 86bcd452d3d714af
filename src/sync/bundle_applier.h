// BundleApplier: the target side of synchronization through files. It checks
// a whole bundle before anything is stored — framing, sizes, the trailing
// checksum, every element version hash, every pack record, and every commit
// hash by importing the commits in a trial transaction that is rolled back —
// refuses a bundle whose prerequisites this server lacks (naming them) or that
// is older than the copies here, and then applies it by running the ordinary
// SyncRunner over a transport that reads the bundle file instead of HTTP, so
// ids, read-only copies, conflicts, metadata, dependencies and per-commit
// atomicity are those of a synchronization run. Not thread-safe; one per apply.
#pragma once

#include <string>

#include "common/clock.h"
#include "repo/repository.h"
#include "sync/bundle_file.h"
#include "sync/pack_reader.h"
#include "sync/sync_runner.h"

namespace tandem {

// The remote-configuration name and id a bundle's copies record as their
// origin (their origin's serverId is the bundle's source server).
inline constexpr char kBundleOriginConfig[] = "bundle";

class BundleApplier {
 public:
  BundleApplier(Repository& repo, Clock& clock, BundleLimits limits, PackLimits pack_limits = {})
      : repo_(repo), clock_(clock), limits_(limits), pack_limits_(pack_limits) {}

  // Verifies the bundle at `path`, then applies it into `target_category_id`.
  // Nothing is stored when verification fails: Corruption/TooLarge for a
  // damaged or hostile file, Conflict for missing prerequisites or a bundle
  // older than the copies here, NotFound for an unknown category. Per-resource
  // problems (uniqueness conflicts, detached copies) are rows of the report.
  Result<RunReport> Apply(const std::string& path, const std::string& target_category_id,
                          RunProgress& progress);

 private:
  Repository& repo_;
  Clock& clock_;
  BundleLimits limits_;
  PackLimits pack_limits_;
};

}  // namespace tandem
