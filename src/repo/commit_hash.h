// The tamper-evident commit hash (docs/storage.md, "Commit hash"). A commit's
// hash covers its id, its resource, its parents' hashes, the root hash of the
// element state it produces and its metadata, so verifying the newest hash of
// a chain verifies every commit before it. Pure functions; thread-safe.
#pragma once

#include <vector>

#include "common/hash.h"
#include "common/status.h"
#include "store/records.h"

namespace tandem {

// `parent_hashes` in the commit's parent order.
Result<Hash> ComputeCommitHash(const Commit& commit, const std::vector<Hash>& parent_hashes);

}  // namespace tandem
