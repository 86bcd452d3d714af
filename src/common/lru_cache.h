// LruCache: a bounded, thread-safe map from keys to immutable values,
// evicting the least recently used entry. Meant for content-addressed data
// (a value is derived from its key and never goes stale): decoded trie nodes,
// the facts of an element version.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <unordered_map>
#include <utility>

#include "common/mutex.h"

namespace tandem {

template <typename Key, typename Value, typename Hasher = std::hash<Key>>
class LruCache {
 public:
  explicit LruCache(size_t capacity) : capacity_(capacity) {}

  // The value, or null; a hit makes the entry the most recent.
  std::shared_ptr<const Value> Find(const Key& key) {
    MutexLock lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }

  // Keeps the first value given for a key.
  void Insert(const Key& key, std::shared_ptr<const Value> value) {
    if (capacity_ == 0) return;
    MutexLock lock(mu_);
    if (index_.count(key)) return;
    lru_.emplace_front(key, std::move(value));
    index_[key] = lru_.begin();
    while (lru_.size() > capacity_) {
      index_.erase(lru_.back().first);
      lru_.pop_back();
    }
  }

 private:
  using Entry = std::pair<Key, std::shared_ptr<const Value>>;
  Mutex mu_;
  const size_t capacity_;
  std::list<Entry> lru_ GUARDED_BY(mu_);  // most recent first
  std::unordered_map<Key, typename std::list<Entry>::iterator, Hasher> index_ GUARDED_BY(mu_);
};

}  // namespace tandem
