// CollectGarbage: frees the content-addressed data (trie nodes, element
// versions) that no remaining commit references, after resources, branches or
// commits were deleted.
//
// It is safe while a server writes the same store (another process, or other
// threads of this one). Marking runs in a read snapshot so writers are not
// held up: every node reachable from a commit of the snapshot is live, every
// other node of the snapshot a candidate. Then one write transaction (which
// waits for, and then excludes, every other writer) marks again from the
// commits added since the snapshot — a new commit may reference an existing
// candidate node again, since writing an existing node is a no-op — and
// deletes the remaining candidates and every element version no change set
// references. Nodes written after the snapshot are never candidates. Commits
// write every node and version they create inside their own transaction, so
// nothing a commit references can be deleted under it.
//
// Memory: one hash-table entry per live trie node during the mark.
#pragma once

#include <functional>
#include <string>

#include "store/store.h"

namespace tandem {

struct GarbageReport {
  ContentCounts before;
  ContentCounts freed;
  uint64_t commits_marked = 0;
};

struct GcOptions {
  // Called now and then during the mark with commits done and commits in all.
  std::function<void(uint64_t done, uint64_t total)> progress;
  // Test seam: runs between the snapshot's mark and the write transaction,
  // where another writer's commits may land.
  std::function<void()> after_snapshot_mark;
};

// Corruption or NotFound when a commit's trie cannot be read (nothing is
// deleted then: a damaged store is verified and repaired first).
Result<GarbageReport> CollectGarbage(Store& store, const GcOptions& options = {});

}  // namespace tandem
