// ForgeCommit: what a hostile source (or a planted row) can present — a commit
// that sets one element to arbitrary text, with every hash correct (version
// hash, state roots, commit hash over its parents), so that only content
// checks can refuse it. For tests of the import and read paths; it uses the
// repository's own state code and skips every check a Repository makes.
// Thread-compatible (one call per transaction).
#pragma once

#include <optional>
#include <string>

#include "repo/repository.h"

namespace tandem::testing {

struct ForgedCommit {
  Repository::ImportedCommit imported;  // commit, its one change and the version text
  TrieNodeSink nodes;                   // the trie nodes of its state
};

// A commit with `base`'s id, author, time, name and description whose only
// change sets `element_id` to `text` on top of `parent` (nullopt: a first
// commit), read from `txn`. The element is indexed as a root.
Result<ForgedCommit> ForgeCommit(ReadTransaction& txn, const Commit& base,
                                 const std::optional<Commit>& parent,
                                 const std::string& element_id, const std::string& text);

// Stores `forged` into `txn` as the new head of `branch_id`, as a damaged or
// tampered store would hold it: trie nodes, commit and change list, but not
// the element version's row (which the caller plants, e.g. with SQL).
Status PlantCommit(WriteTransaction& txn, const ForgedCommit& forged,
                   const std::string& branch_id, const std::optional<std::string>& old_head);

}  // namespace tandem::testing
