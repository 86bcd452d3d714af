// MerkleTrie: a persistent, content-addressed radix trie (16-way, one nibble
// of the key per level) mapping fixed-length byte keys to byte values.
//
// Every node is stored under the SHA-256 of its encoding, so a root hash names
// one exact set of entries, and two versions that share a subtree share its
// nodes (structural sharing). The shape is canonical: a subtree holding at most
// kMaxLeafEntries entries is one leaf, a larger one an internal node split on
// the next nibble. The same entries therefore always give the same root hash,
// whatever sequence of mutations produced them. Applying k mutations to a trie
// of n entries touches O(k log n) nodes; a point lookup reads O(log n) nodes;
// a diff reads only the subtrees whose hashes differ. docs/storage.md gives the
// byte format.
//
// A MerkleTrie is not thread-safe (it keeps Apply's pending nodes); use one
// per transaction, like its TrieNodeSource.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/hash.h"
#include "common/status.h"

namespace tandem {

struct TrieEntry {
  std::string key;
  std::string value;
};

struct TrieMutation {
  std::string key;
  std::optional<std::string> value;  // nullopt deletes the key
};

// A decoded node.
struct TrieNode {
  bool leaf = true;
  uint64_t count = 0;              // entries in this subtree
  std::vector<TrieEntry> entries;  // leaf only, sorted by key
  uint16_t bitmap = 0;             // internal only: which children exist
  std::array<Hash, 16> children{};

  std::string Encode() const;
  static Result<TrieNode> Decode(std::string_view bytes);
};

// Where the trie reads nodes from (a store transaction, usually through a cache).
class TrieNodeSource {
 public:
  virtual ~TrieNodeSource() = default;
  // NotFound if no node has that hash; Corruption if its bytes do not match it.
  virtual Result<std::shared_ptr<const TrieNode>> Load(const Hash& hash) = 0;
};

// New nodes produced by Apply, keyed by hash, to be written by the caller.
using TrieNodeSink = std::map<Hash, std::string>;

class MerkleTrie {
 public:
  static constexpr size_t kMaxLeafEntries = 32;

  explicit MerkleTrie(TrieNodeSource& source) : source_(source) {}

  // The root of the trie with no entries (an empty leaf; never needs storing).
  static const Hash& EmptyRoot();

  // Applies `mutations` (later ones win for equal keys) to the trie at `root`
  // and returns the new root; every node it created is added to `sink`.
  Result<Hash> Apply(const Hash& root, std::vector<TrieMutation> mutations, TrieNodeSink& sink);

  Result<std::optional<std::string>> Get(const Hash& root, std::string_view key);
  Result<uint64_t> Count(const Hash& root);

  // Visits entries in key order (descending if `reverse`), starting strictly
  // after `from` (strictly before it when reverse). `visit` returns false to stop.
  using Visitor = std::function<bool(const TrieEntry&)>;
  Status Scan(const Hash& root, const std::optional<std::string>& from, bool reverse,
              const Visitor& visit);

  // Visits every key whose value differs between `base` and `compare`, in key
  // order, strictly after `from`. A null value means absent on that side.
  using DiffVisitor = std::function<bool(std::string_view key, const std::string* base_value,
                                         const std::string* compare_value)>;
  Status Diff(const Hash& base, const Hash& compare, const std::optional<std::string>& from,
              const DiffVisitor& visit);

  // Loads every node reachable from `root`, checking each hash and the counts.
  // Calls `on_node` for each distinct node (for reachability/GC accounting).
  Status Verify(const Hash& root, const std::function<void(const Hash&)>& on_node);

 private:
  struct Applied {
    Hash hash;
    uint64_t count;
    uint64_t old_count;
  };
  Result<std::shared_ptr<const TrieNode>> Load(const Hash& hash);
  Result<Applied> ApplyAt(const Hash& hash, size_t depth, const TrieMutation* begin,
                          const TrieMutation* end, TrieNodeSink& sink);
  Result<Hash> Build(std::vector<TrieEntry> entries, size_t depth, TrieNodeSink& sink);
  Status Collect(const Hash& hash, std::vector<TrieEntry>& out);
  // Returns false from the callback path when the visitor asked to stop.
  Result<bool> ScanAt(const Hash& hash, size_t depth, const std::optional<std::string>& from,
                      bool bounded, bool reverse, const Visitor& visit);
  Result<bool> DiffAt(const Hash& base, const Hash& compare, size_t depth,
                      const std::optional<std::string>& from, bool bounded,
                      const DiffVisitor& visit);
  // A leaf's entries against a subtree at the same depth.
  Result<bool> DiffEntries(const std::vector<TrieEntry>& entries, const Hash& other,
                           bool entries_are_base, size_t depth,
                           const std::optional<std::string>& from, bool bounded,
                           const DiffVisitor& visit);
  static Result<bool> MergeDiff(const std::vector<TrieEntry>& base,
                                const std::vector<TrieEntry>& compare,
                                const std::optional<std::string>& from, const DiffVisitor& visit);

  TrieNodeSource& source_;
  TrieNodeSink* pending_ = nullptr;  // set while Apply runs
};

}  // namespace tandem
