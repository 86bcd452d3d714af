#include "store/trie_walker.h"

namespace tandem {

Status TrieWalker::Walk(ReadTransaction& txn, const Hash& root, const NodeVisitor& on_node,
                        const EntryVisitor& on_entry) {
  if (root == MerkleTrie::EmptyRoot()) return Status::Ok();  // never stored
  auto r = Visit(txn, root, on_node, on_entry);
  return r.ok() ? Status::Ok() : r.status();
}

std::optional<uint64_t> TrieWalker::Entries(const Hash& root) const {
  if (root == MerkleTrie::EmptyRoot()) return 0;
  auto it = counts_.find(root);
  if (it == counts_.end()) return std::nullopt;
  return it->second;
}

Result<uint64_t> TrieWalker::Visit(ReadTransaction& txn, const Hash& hash,
                                   const NodeVisitor& on_node, const EntryVisitor& on_entry) {
  if (auto it = counts_.find(hash); it != counts_.end()) return it->second;
  ASSIGN_OR_RETURN(std::string bytes, txn.GetNode(hash));
  if (Sha256(bytes) != hash) {
    return Status::Corruption("trie node " + ToHex(hash) + " does not match its hash");
  }
  auto decoded = TrieNode::Decode(bytes);
  if (!decoded.ok()) {
    return Status::Corruption("trie node " + ToHex(hash) + " does not decode: " +
                              decoded.status().message());
  }
  const TrieNode& node = *decoded;
  uint64_t total = 0;
  if (node.leaf) {
    total = node.entries.size();
  } else {
    for (int i = 0; i < 16; ++i) {
      if (!(node.bitmap & (1u << i))) continue;
      ASSIGN_OR_RETURN(uint64_t n, Visit(txn, node.children[i], on_node, on_entry));
      total += n;
    }
  }
  if (total != node.count) {
    return Status::Corruption("trie node " + ToHex(hash) + " claims " + std::to_string(node.count) +
                              " entries but holds " + std::to_string(total));
  }
  counts_.emplace(hash, total);
  if (on_node) on_node(hash);
  if (node.leaf && on_entry) {
    for (const auto& e : node.entries) on_entry(e);
  }
  return total;
}

}  // namespace tandem
