#include "store/trie_node_cache.h"

namespace tandem {

Result<std::shared_ptr<const TrieNode>> StoreNodeSource::Load(const Hash& hash) {
  if (txn_local_) {
    if (auto hit = txn_local_->Find(hash)) return hit;
  }
  if (shared_) {
    if (auto hit = shared_->Find(hash)) return hit;
  }
  ASSIGN_OR_RETURN(std::string bytes, txn_.GetNode(hash));
  if (Sha256(bytes) != hash) {
    return Status::Corruption("trie node " + ToHex(hash) + " does not match its hash");
  }
  auto decoded = TrieNode::Decode(bytes);
  if (!decoded.ok()) return decoded.status().WithContext("node " + ToHex(hash));
  auto node = std::make_shared<const TrieNode>(std::move(decoded).value());
  if (txn_local_) {
    txn_local_->Insert(hash, node);
  } else if (shared_) {
    shared_->Insert(hash, node);
  }
  return node;
}

void StoreNodeSource::Wrote(const Hash& hash, const std::string& bytes) {
  if (!txn_local_) return;
  auto decoded = TrieNode::Decode(bytes);
  if (decoded.ok()) txn_local_->Insert(hash, std::make_shared<const TrieNode>(std::move(decoded).value()));
}

}  // namespace tandem
