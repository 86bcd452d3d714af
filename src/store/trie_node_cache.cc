#include "store/trie_node_cache.h"

namespace tandem {

std::shared_ptr<const TrieNode> TrieNodeCache::Find(const Hash& hash) {
  std::lock_guard lock(mu_);
  auto it = index_.find(hash);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void TrieNodeCache::Insert(const Hash& hash, std::shared_ptr<const TrieNode> node) {
  if (capacity_ == 0) return;
  std::lock_guard lock(mu_);
  if (index_.count(hash)) return;
  lru_.emplace_front(hash, std::move(node));
  index_[hash] = lru_.begin();
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

Result<std::shared_ptr<const TrieNode>> StoreNodeSource::Load(const Hash& hash) {
  if (cache_) {
    if (auto hit = cache_->Find(hash)) return hit;
  }
  ASSIGN_OR_RETURN(std::string bytes, txn_.GetNode(hash));
  if (Sha256(bytes) != hash) {
    return Status::Corruption("trie node " + ToHex(hash) + " does not match its hash");
  }
  auto decoded = TrieNode::Decode(bytes);
  if (!decoded.ok()) return decoded.status().WithContext("node " + ToHex(hash));
  auto node = std::make_shared<const TrieNode>(std::move(decoded).value());
  if (cache_ && fill_cache_) cache_->Insert(hash, node);
  return node;
}

}  // namespace tandem
