// TrieNodeCache: a bounded, thread-safe LRU of decoded trie nodes shared by
// all requests (nodes are immutable, so a cached node never goes stale).
// StoreNodeSource: a TrieNodeSource reading through the cache from one store
// transaction, checking each node's hash on the way in. Not thread-safe.
#pragma once

#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "store/merkle_trie.h"
#include "store/store.h"

namespace tandem {

struct HashHasher {
  size_t operator()(const Hash& h) const {
    size_t v;
    std::memcpy(&v, h.data(), sizeof v);
    return v;
  }
};

class TrieNodeCache {
 public:
  explicit TrieNodeCache(size_t capacity) : capacity_(capacity) {}
  std::shared_ptr<const TrieNode> Find(const Hash& hash);
  void Insert(const Hash& hash, std::shared_ptr<const TrieNode> node);

 private:
  using Entry = std::pair<Hash, std::shared_ptr<const TrieNode>>;
  std::mutex mu_;
  size_t capacity_;
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<Hash, std::list<Entry>::iterator, HashHasher> index_;
};

class StoreNodeSource final : public TrieNodeSource {
 public:
  // `fill_cache` false for write transactions: a node read there might be one
  // the transaction itself wrote and may still roll back.
  StoreNodeSource(ReadTransaction& txn, TrieNodeCache* cache, bool fill_cache = true)
      : txn_(txn), cache_(cache), fill_cache_(fill_cache) {}
  Result<std::shared_ptr<const TrieNode>> Load(const Hash& hash) override;

 private:
  ReadTransaction& txn_;
  TrieNodeCache* cache_;  // may be null
  bool fill_cache_;
};

}  // namespace tandem
