// TrieNodeCache: a bounded, thread-safe LRU of decoded trie nodes (nodes are
// immutable, so a cached node never goes stale). StoreNodeSource: a
// TrieNodeSource reading from one store transaction through caches, checking
// each node's hash on the way in. Not thread-safe.
#pragma once

#include <memory>

#include "common/hash.h"
#include "common/lru_cache.h"
#include "store/merkle_trie.h"
#include "store/store.h"

namespace tandem {

using TrieNodeCache = LruCache<Hash, TrieNode, HashHasher>;

class StoreNodeSource final : public TrieNodeSource {
 public:
  // Reads through `shared` (the cache all requests share; may be null) and
  // fills it — unless `txn_local` is given: a write transaction reads nodes
  // it wrote itself and may still roll back, so those go only into its own
  // `txn_local` cache, which lives as long as the transaction.
  StoreNodeSource(ReadTransaction& txn, TrieNodeCache* shared, TrieNodeCache* txn_local = nullptr)
      : txn_(txn), shared_(shared), txn_local_(txn_local) {}
  Result<std::shared_ptr<const TrieNode>> Load(const Hash& hash) override;
  // A node this transaction wrote (the write transaction's own cache).
  void Wrote(const Hash& hash, const std::string& bytes);

 private:
  ReadTransaction& txn_;
  TrieNodeCache* shared_;
  TrieNodeCache* txn_local_;
};

}  // namespace tandem
