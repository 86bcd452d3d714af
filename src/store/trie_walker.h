// TrieWalker: visits the stored nodes of Merkle tries, each distinct node
// once however many tries share it, checking on the way that every node's
// bytes hash to its name and that its entry counts add up. Garbage
// collection uses it to mark what is reachable; `datamanager --verify` to
// check a whole history without re-reading shared subtrees. Reads through a
// transaction and no cache, so a cached copy cannot hide a damaged row.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>

#include "store/merkle_trie.h"
#include "store/store.h"
#include "store/trie_node_cache.h"

namespace tandem {

class TrieWalker {
 public:
  // Called for each entry of each leaf visited for the first time.
  using EntryVisitor = std::function<void(const TrieEntry&)>;
  // Called for each node visited for the first time.
  using NodeVisitor = std::function<void(const Hash&)>;

  // Walks the trie at `root`, skipping subtrees already visited by this
  // walker. NotFound names a missing node, Corruption a node whose bytes do
  // not match its hash, do not decode or whose counts disagree; the walk
  // stops at the first such node and does not mark it visited.
  Status Walk(ReadTransaction& txn, const Hash& root, const NodeVisitor& on_node = nullptr,
              const EntryVisitor& on_entry = nullptr);

  bool Visited(const Hash& hash) const { return counts_.count(hash) > 0; }
  // Entries in the trie at `root` if it was walked without error (0 for the empty trie).
  std::optional<uint64_t> Entries(const Hash& root) const;
  size_t visited() const { return counts_.size(); }

 private:
  Result<uint64_t> Visit(ReadTransaction& txn, const Hash& hash, const NodeVisitor& on_node,
                         const EntryVisitor& on_entry);
  std::unordered_map<Hash, uint64_t, HashHasher> counts_;  // verified node -> entries below it
};

}  // namespace tandem
