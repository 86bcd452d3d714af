#include "store/merkle_trie.h"

#include <algorithm>
#include <set>

namespace tandem {
namespace {

constexpr uint8_t kLeafTag = 1;
constexpr uint8_t kInternalTag = 2;

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view& in, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in.empty()) return false;
    uint8_t b = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

bool GetBytes(std::string_view& in, std::string& out) {
  uint64_t n = 0;
  if (!GetVarint(in, n) || n > in.size()) return false;
  out.assign(in.substr(0, n));
  in.remove_prefix(n);
  return true;
}

// The nibble of `key` that selects the child at `depth`; -1 past the key's end.
int NibbleAt(std::string_view key, size_t depth) {
  size_t byte = depth / 2;
  if (byte >= key.size()) return -1;
  uint8_t b = static_cast<uint8_t>(key[byte]);
  return depth % 2 == 0 ? b >> 4 : b & 0x0f;
}

}  // namespace

std::string TrieNode::Encode() const {
  std::string out;
  if (leaf) {
    out.push_back(static_cast<char>(kLeafTag));
    PutVarint(out, entries.size());
    for (const auto& e : entries) {
      PutVarint(out, e.key.size());
      out += e.key;
      PutVarint(out, e.value.size());
      out += e.value;
    }
  } else {
    out.push_back(static_cast<char>(kInternalTag));
    PutVarint(out, count);
    out.push_back(static_cast<char>(bitmap >> 8));
    out.push_back(static_cast<char>(bitmap & 0xff));
    for (int i = 0; i < 16; ++i) {
      if (bitmap & (1u << i)) out += HashBytes(children[i]);
    }
  }
  return out;
}

Result<TrieNode> TrieNode::Decode(std::string_view in) {
  auto bad = [](const char* why) { return Status::Corruption(std::string("trie node: ") + why); };
  if (in.empty()) return bad("empty");
  TrieNode n;
  uint8_t tag = static_cast<uint8_t>(in.front());
  in.remove_prefix(1);
  if (tag == kLeafTag) {
    uint64_t count = 0;
    if (!GetVarint(in, count) || count > MerkleTrie::kMaxLeafEntries) return bad("bad leaf count");
    n.leaf = true;
    n.count = count;
    n.entries.resize(count);
    for (auto& e : n.entries) {
      if (!GetBytes(in, e.key) || !GetBytes(in, e.value)) return bad("truncated leaf entry");
    }
    for (size_t i = 1; i < n.entries.size(); ++i) {
      if (!(n.entries[i - 1].key < n.entries[i].key)) return bad("leaf keys out of order");
    }
  } else if (tag == kInternalTag) {
    n.leaf = false;
    if (!GetVarint(in, n.count) || in.size() < 2) return bad("truncated internal node");
    n.bitmap = static_cast<uint16_t>(static_cast<uint8_t>(in[0]) << 8 | static_cast<uint8_t>(in[1]));
    in.remove_prefix(2);
    for (int i = 0; i < 16; ++i) {
      if (!(n.bitmap & (1u << i))) continue;
      if (in.size() < 32) return bad("truncated child hash");
      n.children[i] = HashFromBytes(in.substr(0, 32));
      in.remove_prefix(32);
    }
  } else {
    return bad("unknown node tag");
  }
  if (!in.empty()) return bad("trailing bytes");
  return n;
}

const Hash& MerkleTrie::EmptyRoot() {
  static const Hash kEmpty = Sha256(TrieNode{}.Encode());
  return kEmpty;
}

Result<std::shared_ptr<const TrieNode>> MerkleTrie::Load(const Hash& hash) {
  if (hash == EmptyRoot()) {
    static const auto kEmptyNode = std::make_shared<const TrieNode>();
    return kEmptyNode;
  }
  // A collapse during Apply may read nodes that Apply itself just made.
  if (pending_) {
    auto it = pending_->find(hash);
    if (it != pending_->end()) {
      ASSIGN_OR_RETURN(TrieNode node, TrieNode::Decode(it->second));
      return std::make_shared<const TrieNode>(std::move(node));
    }
  }
  return source_.Load(hash);
}

Result<Hash> MerkleTrie::Build(std::vector<TrieEntry> entries, size_t depth, TrieNodeSink& sink) {
  TrieNode node;
  // A leaf past the key's end cannot split further; fixed-length distinct keys
  // never get there, but a hostile caller must not send us into a loop.
  if (entries.size() <= kMaxLeafEntries || NibbleAt(entries.front().key, depth) < 0) {
    if (entries.size() > kMaxLeafEntries) {
      return Status::InvalidArgument("trie keys too short to hold this many entries");
    }
    node.leaf = true;
    node.count = entries.size();
    node.entries = std::move(entries);
  } else {
    node.leaf = false;
    node.count = entries.size();
    std::array<std::vector<TrieEntry>, 16> groups;
    for (auto& e : entries) {
      int nib = NibbleAt(e.key, depth);
      if (nib < 0) return Status::InvalidArgument("trie keys must all have the same length");
      groups[nib].push_back(std::move(e));
    }
    for (int i = 0; i < 16; ++i) {
      if (groups[i].empty()) continue;
      ASSIGN_OR_RETURN(node.children[i], Build(std::move(groups[i]), depth + 1, sink));
      node.bitmap = static_cast<uint16_t>(node.bitmap | (1u << i));
    }
  }
  std::string bytes = node.Encode();
  Hash h = Sha256(bytes);
  if (h != EmptyRoot()) sink.emplace(h, std::move(bytes));
  return h;
}

Status MerkleTrie::Collect(const Hash& hash, std::vector<TrieEntry>& out) {
  ASSIGN_OR_RETURN(auto node, Load(hash));
  if (node->leaf) {
    out.insert(out.end(), node->entries.begin(), node->entries.end());
    return Status::Ok();
  }
  for (int i = 0; i < 16; ++i) {
    if (node->bitmap & (1u << i)) RETURN_IF_ERROR(Collect(node->children[i], out));
  }
  return Status::Ok();
}

Result<MerkleTrie::Applied> MerkleTrie::ApplyAt(const Hash& hash, size_t depth,
                                                const TrieMutation* begin, const TrieMutation* end,
                                                TrieNodeSink& sink) {
  ASSIGN_OR_RETURN(auto node, Load(hash));
  if (node->leaf) {
    std::vector<TrieEntry> merged;
    merged.reserve(node->entries.size() + static_cast<size_t>(end - begin));
    auto it = node->entries.begin();
    for (const TrieMutation* m = begin; m != end; ++m) {
      while (it != node->entries.end() && it->key < m->key) merged.push_back(*it++);
      if (it != node->entries.end() && it->key == m->key) ++it;  // replaced or deleted
      if (m->value) merged.push_back({m->key, *m->value});
    }
    merged.insert(merged.end(), it, node->entries.end());
    auto same = [](const TrieEntry& a, const TrieEntry& b) { return a.key == b.key && a.value == b.value; };
    if (std::equal(merged.begin(), merged.end(), node->entries.begin(), node->entries.end(), same)) {
      return Applied{hash, node->count, node->count};  // nothing changed: no new node
    }
    uint64_t count = merged.size();
    if (merged.empty()) return Applied{EmptyRoot(), 0, node->count};
    ASSIGN_OR_RETURN(Hash h, Build(std::move(merged), depth, sink));
    return Applied{h, count, node->count};
  }

  TrieNode updated = *node;
  uint64_t total = node->count;
  bool changed = false;
  for (const TrieMutation* m = begin; m != end;) {
    int nib = NibbleAt(m->key, depth);
    if (nib < 0) return Status::InvalidArgument("trie key shorter than the trie's keys");
    const TrieMutation* group_end = m;
    while (group_end != end && NibbleAt(group_end->key, depth) == nib) ++group_end;
    bool present = updated.bitmap & (1u << nib);
    ASSIGN_OR_RETURN(Applied child, ApplyAt(present ? updated.children[nib] : EmptyRoot(),
                                            depth + 1, m, group_end, sink));
    total = total - child.old_count + child.count;
    changed = changed || child.count != child.old_count ||
              child.hash != (present ? updated.children[nib] : EmptyRoot());
    if (child.count == 0) {
      updated.bitmap = static_cast<uint16_t>(updated.bitmap & ~(1u << nib));
      updated.children[nib] = Hash{};
    } else {
      updated.bitmap = static_cast<uint16_t>(updated.bitmap | (1u << nib));
      updated.children[nib] = child.hash;
    }
    m = group_end;
  }
  if (!changed) return Applied{hash, node->count, node->count};
  if (total == 0) return Applied{EmptyRoot(), 0, node->count};
  if (total <= kMaxLeafEntries) {
    // The subtree shrank enough to be a leaf again (canonical shape).
    std::vector<TrieEntry> all;
    for (int i = 0; i < 16; ++i) {
      if (updated.bitmap & (1u << i)) RETURN_IF_ERROR(Collect(updated.children[i], all));
    }
    ASSIGN_OR_RETURN(Hash h, Build(std::move(all), depth, sink));
    return Applied{h, total, node->count};
  }
  updated.count = total;
  std::string bytes = updated.Encode();
  Hash h = Sha256(bytes);
  sink.emplace(h, std::move(bytes));
  return Applied{h, total, node->count};
}

Result<Hash> MerkleTrie::Apply(const Hash& root, std::vector<TrieMutation> mutations,
                               TrieNodeSink& sink) {
  if (mutations.empty()) return root;
  std::stable_sort(mutations.begin(), mutations.end(),
                   [](const TrieMutation& a, const TrieMutation& b) { return a.key < b.key; });
  // Keep only the last mutation of each key.
  std::vector<TrieMutation> unique;
  unique.reserve(mutations.size());
  for (auto& m : mutations) {
    if (!unique.empty() && unique.back().key == m.key) {
      unique.back() = std::move(m);
    } else {
      unique.push_back(std::move(m));
    }
  }
  size_t key_size = unique.front().key.size();
  for (const auto& m : unique) {
    if (m.key.size() != key_size || key_size == 0) {
      return Status::InvalidArgument("trie keys must all have the same, non-zero length");
    }
  }
  pending_ = &sink;
  auto applied = ApplyAt(root, 0, unique.data(), unique.data() + unique.size(), sink);
  pending_ = nullptr;
  if (!applied.ok()) return applied.status();
  return applied->hash;
}

Result<std::optional<std::string>> MerkleTrie::Get(const Hash& root, std::string_view key) {
  Hash h = root;
  for (size_t depth = 0;; ++depth) {
    ASSIGN_OR_RETURN(auto node, Load(h));
    if (node->leaf) {
      auto it = std::lower_bound(
          node->entries.begin(), node->entries.end(), key,
          [](const TrieEntry& e, std::string_view k) { return std::string_view(e.key) < k; });
      if (it != node->entries.end() && it->key == key) return std::optional<std::string>(it->value);
      return std::optional<std::string>();
    }
    int nib = NibbleAt(key, depth);
    if (nib < 0 || !(node->bitmap & (1u << nib))) return std::optional<std::string>();
    h = node->children[nib];
  }
}

Result<uint64_t> MerkleTrie::Count(const Hash& root) {
  ASSIGN_OR_RETURN(auto node, Load(root));
  return node->count;
}

Result<bool> MerkleTrie::ScanAt(const Hash& hash, size_t depth,
                                const std::optional<std::string>& from, bool bounded, bool reverse,
                                const Visitor& visit) {
  ASSIGN_OR_RETURN(auto node, Load(hash));
  if (node->leaf) {
    auto visit_one = [&](const TrieEntry& e) -> bool {
      if (bounded && from) {
        if (!reverse && !(e.key > *from)) return true;
        if (reverse && !(e.key < *from)) return true;
      }
      return visit(e);
    };
    if (reverse) {
      for (auto it = node->entries.rbegin(); it != node->entries.rend(); ++it) {
        if (!visit_one(*it)) return false;
      }
    } else {
      for (const auto& e : node->entries) {
        if (!visit_one(e)) return false;
      }
    }
    return true;
  }
  int start = bounded && from ? NibbleAt(*from, depth) : (reverse ? 15 : 0);
  if (start < 0) start = reverse ? 15 : 0;
  for (int i = start; reverse ? i >= 0 : i < 16; i += reverse ? -1 : 1) {
    if (!(node->bitmap & (1u << i))) continue;
    bool child_bounded = bounded && from && i == NibbleAt(*from, depth);
    ASSIGN_OR_RETURN(bool go_on, ScanAt(node->children[i], depth + 1, from, child_bounded, reverse,
                                        visit));
    if (!go_on) return false;
  }
  return true;
}

Status MerkleTrie::Scan(const Hash& root, const std::optional<std::string>& from, bool reverse,
                        const Visitor& visit) {
  auto r = ScanAt(root, 0, from, from.has_value(), reverse, visit);
  return r.ok() ? Status::Ok() : r.status();
}

Result<bool> MerkleTrie::DiffAt(const Hash& base, const Hash& compare, size_t depth,
                                const std::optional<std::string>& from, bool bounded,
                                const DiffVisitor& visit) {
  if (base == compare) return true;
  ASSIGN_OR_RETURN(auto b, Load(base));
  ASSIGN_OR_RETURN(auto c, Load(compare));
  if (!b->leaf && !c->leaf) {
    int start = bounded && from ? std::max(0, NibbleAt(*from, depth)) : 0;
    for (int i = start; i < 16; ++i) {
      bool in_b = b->bitmap & (1u << i), in_c = c->bitmap & (1u << i);
      if (!in_b && !in_c) continue;
      bool child_bounded = bounded && from && i == NibbleAt(*from, depth);
      ASSIGN_OR_RETURN(bool go_on,
                       DiffAt(in_b ? b->children[i] : EmptyRoot(),
                              in_c ? c->children[i] : EmptyRoot(), depth + 1, from,
                              child_bounded, visit));
      if (!go_on) return false;
    }
    return true;
  }
  // One side is a small leaf: walk the other side nibble by nibble against the
  // leaf's entries, so the cursor prunes what a page does not need.
  if (b->leaf && c->leaf) return MergeDiff(b->entries, c->entries, from, visit);
  bool leaf_is_base = b->leaf;
  const TrieNode& leaf = leaf_is_base ? *b : *c;
  return DiffEntries(leaf.entries, leaf_is_base ? compare : base, leaf_is_base, depth, from,
                     bounded, visit);
}

Result<bool> MerkleTrie::MergeDiff(const std::vector<TrieEntry>& be,
                                   const std::vector<TrieEntry>& ce,
                                   const std::optional<std::string>& from,
                                   const DiffVisitor& visit) {
  size_t i = 0, j = 0;
  while (i < be.size() || j < ce.size()) {
    const TrieEntry* x = i < be.size() ? &be[i] : nullptr;
    const TrieEntry* y = j < ce.size() ? &ce[j] : nullptr;
    std::string_view key;
    const std::string *bv = nullptr, *cv = nullptr;
    if (x && (!y || x->key < y->key)) {
      key = x->key, bv = &x->value, ++i;
    } else if (y && (!x || y->key < x->key)) {
      key = y->key, cv = &y->value, ++j;
    } else {
      key = x->key, bv = &x->value, cv = &y->value, ++i, ++j;
      if (*bv == *cv) continue;
    }
    if (from && !(key > *from)) continue;
    if (!visit(key, bv, cv)) return false;
  }
  return true;
}

Result<bool> MerkleTrie::DiffEntries(const std::vector<TrieEntry>& entries, const Hash& other,
                                     bool entries_are_base, size_t depth,
                                     const std::optional<std::string>& from, bool bounded,
                                     const DiffVisitor& visit) {
  ASSIGN_OR_RETURN(auto node, Load(other));
  if (node->leaf) {
    return entries_are_base ? MergeDiff(entries, node->entries, from, visit)
                            : MergeDiff(node->entries, entries, from, visit);
  }
  std::array<std::vector<TrieEntry>, 16> groups;
  for (const auto& e : entries) {
    int nib = NibbleAt(e.key, depth);
    if (nib < 0) return Status::Corruption("trie key shorter than the trie's depth");
    groups[nib].push_back(e);
  }
  int start = bounded && from ? std::max(0, NibbleAt(*from, depth)) : 0;
  for (int i = start; i < 16; ++i) {
    bool present = node->bitmap & (1u << i);
    if (!present && groups[i].empty()) continue;
    bool child_bounded = bounded && from && i == NibbleAt(*from, depth);
    ASSIGN_OR_RETURN(bool go_on,
                     DiffEntries(groups[i], present ? node->children[i] : EmptyRoot(),
                                 entries_are_base, depth + 1, from, child_bounded, visit));
    if (!go_on) return false;
  }
  return true;
}

Status MerkleTrie::Diff(const Hash& base, const Hash& compare,
                        const std::optional<std::string>& from, const DiffVisitor& visit) {
  auto r = DiffAt(base, compare, 0, from, from.has_value(), visit);
  return r.ok() ? Status::Ok() : r.status();
}

Status MerkleTrie::Verify(const Hash& root, const std::function<void(const Hash&)>& on_node) {
  std::set<Hash> seen;
  std::function<Result<uint64_t>(const Hash&)> walk = [&](const Hash& h) -> Result<uint64_t> {
    ASSIGN_OR_RETURN(auto node, Load(h));
    if (seen.insert(h).second) on_node(h);
    if (node->leaf) return node->count;
    uint64_t total = 0;
    for (int i = 0; i < 16; ++i) {
      if (!(node->bitmap & (1u << i))) continue;
      ASSIGN_OR_RETURN(uint64_t n, walk(node->children[i]));
      total += n;
    }
    if (total != node->count) {
      return Status::Corruption("trie node " + ToHex(h) + " claims " + std::to_string(node->count) +
                                " entries but holds " + std::to_string(total));
    }
    return total;
  };
  auto r = walk(root);
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace tandem
