#include "store/merkle_trie.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace tandem {
namespace {

// An in-memory node source that also counts loads.
class MapNodeSource : public TrieNodeSource {
 public:
  Result<std::shared_ptr<const TrieNode>> Load(const Hash& hash) override {
    ++loads;
    auto it = nodes.find(hash);
    if (it == nodes.end()) return Status::NotFound("no node " + ToHex(hash));
    if (Sha256(it->second) != hash) return Status::Corruption("bad node");
    ASSIGN_OR_RETURN(TrieNode n, TrieNode::Decode(it->second));
    return std::make_shared<const TrieNode>(std::move(n));
  }
  void Absorb(TrieNodeSink& sink) {
    for (auto& [h, b] : sink) nodes[h] = b;
    sink.clear();
  }
  std::map<Hash, std::string> nodes;
  size_t loads = 0;
};

std::string Key(int i) { return std::string(reinterpret_cast<const char*>(Sha256(std::to_string(i)).data()), 32); }

class MerkleTrieTest : public ::testing::Test {
 protected:
  Hash ApplyAll(const Hash& root, std::vector<TrieMutation> muts) {
    TrieNodeSink sink;
    auto r = trie_.Apply(root, std::move(muts), sink);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    source_.Absorb(sink);
    return r.value();
  }
  std::map<std::string, std::string> Dump(const Hash& root) {
    std::map<std::string, std::string> out;
    std::string last;
    EXPECT_TRUE(trie_.Scan(root, std::nullopt, false, [&](const TrieEntry& e) {
      EXPECT_LT(last, e.key);
      last = e.key;
      out[e.key] = e.value;
      return true;
    }).ok());
    return out;
  }
  MapNodeSource source_;
  MerkleTrie trie_{source_};
};

TEST_F(MerkleTrieTest, EmptyTrieHasNoEntries) {
  EXPECT_EQ(trie_.Count(MerkleTrie::EmptyRoot()).value(), 0u);
  EXPECT_FALSE(trie_.Get(MerkleTrie::EmptyRoot(), Key(1)).value().has_value());
}

TEST_F(MerkleTrieTest, MatchesAReferenceMapUnderRandomMutations) {
  std::mt19937 rng(42);
  std::map<std::string, std::string> model;
  Hash root = MerkleTrie::EmptyRoot();
  for (int round = 0; round < 40; ++round) {
    std::vector<TrieMutation> muts;
    int n = 1 + static_cast<int>(rng() % 200);
    for (int i = 0; i < n; ++i) {
      std::string k = Key(static_cast<int>(rng() % 3000));
      if (rng() % 3 == 0) {
        muts.push_back({k, std::nullopt});
        model.erase(k);
      } else {
        std::string v = "v" + std::to_string(rng());
        muts.push_back({k, v});
        model[k] = v;
      }
    }
    root = ApplyAll(root, muts);
    ASSERT_EQ(trie_.Count(root).value(), model.size());
  }
  EXPECT_EQ(Dump(root), model);
  for (const auto& [k, v] : model) EXPECT_EQ(trie_.Get(root, k).value(), v);
  EXPECT_TRUE(trie_.Verify(root, [](const Hash&) {}).ok());
}

TEST_F(MerkleTrieTest, RootHashDependsOnlyOnContent) {
  std::vector<TrieMutation> forward, backward;
  for (int i = 0; i < 500; ++i) forward.push_back({Key(i), "x" + std::to_string(i)});
  backward.assign(forward.rbegin(), forward.rend());
  Hash a = ApplyAll(MerkleTrie::EmptyRoot(), forward);
  // Insert in two batches in the opposite order, plus extra keys that are removed again.
  std::vector<TrieMutation> first(backward.begin(), backward.begin() + 250);
  for (int i = 1000; i < 1100; ++i) first.push_back({Key(i), "temp"});
  Hash b = ApplyAll(MerkleTrie::EmptyRoot(), first);
  std::vector<TrieMutation> second(backward.begin() + 250, backward.end());
  for (int i = 1000; i < 1100; ++i) second.push_back({Key(i), std::nullopt});
  b = ApplyAll(b, second);
  EXPECT_EQ(a, b);
  // Deleting everything returns to the empty root.
  std::vector<TrieMutation> all_gone;
  for (int i = 0; i < 500; ++i) all_gone.push_back({Key(i), std::nullopt});
  EXPECT_EQ(ApplyAll(a, all_gone), MerkleTrie::EmptyRoot());
}

TEST_F(MerkleTrieTest, SmallChangeTouchesFewNodes) {
  std::vector<TrieMutation> muts;
  for (int i = 0; i < 20000; ++i) muts.push_back({Key(i), "v"});
  Hash root = ApplyAll(MerkleTrie::EmptyRoot(), muts);
  TrieNodeSink sink;
  source_.loads = 0;
  ASSERT_TRUE(trie_.Apply(root, {{Key(7), "changed"}}, sink).ok());
  EXPECT_LE(sink.size(), 5u);  // one path from leaf to root
  EXPECT_LE(source_.loads, 5u);
}

// Rewriting values that are already there, or deleting absent keys, keeps
// the root and creates no node (the roots index of an edited element).
TEST_F(MerkleTrieTest, MutationsThatChangeNothingWriteNoNode) {
  std::vector<TrieMutation> muts;
  for (int i = 0; i < 2000; ++i) muts.push_back({Key(i), "v" + std::to_string(i)});
  Hash root = ApplyAll(MerkleTrie::EmptyRoot(), muts);
  TrieNodeSink sink;
  auto same = trie_.Apply(root, {{Key(7), "v7"}, {Key(1500), "v1500"}, {Key(99999), std::nullopt}}, sink);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(*same, root);
  EXPECT_TRUE(sink.empty());
  // One real change among them writes only its own path.
  auto changed = trie_.Apply(root, {{Key(7), "v7"}, {Key(8), "new"}}, sink);
  ASSERT_TRUE(changed.ok());
  EXPECT_NE(*changed, root);
  EXPECT_LE(sink.size(), 4u);
}

TEST_F(MerkleTrieTest, ScanResumesAfterAndBeforeACursor) {
  std::vector<TrieMutation> muts;
  for (int i = 0; i < 300; ++i) muts.push_back({Key(i), std::to_string(i)});
  Hash root = ApplyAll(MerkleTrie::EmptyRoot(), muts);
  auto all = Dump(root);
  std::vector<std::string> keys;
  for (auto& [k, v] : all) keys.push_back(k);
  std::vector<std::string> after, before;
  ASSERT_TRUE(trie_.Scan(root, keys[100], false, [&](const TrieEntry& e) {
    after.push_back(e.key);
    return after.size() < 10;
  }).ok());
  ASSERT_TRUE(trie_.Scan(root, keys[100], true, [&](const TrieEntry& e) {
    before.push_back(e.key);
    return before.size() < 10;
  }).ok());
  ASSERT_EQ(after.size(), 10u);
  ASSERT_EQ(before.size(), 10u);
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(after[i], keys[101 + i]);
    EXPECT_EQ(before[i], keys[99 - i]);
  }
}

TEST_F(MerkleTrieTest, DiffListsExactlyTheChangedKeys) {
  std::vector<TrieMutation> muts;
  for (int i = 0; i < 2000; ++i) muts.push_back({Key(i), "a"});
  Hash base = ApplyAll(MerkleTrie::EmptyRoot(), muts);
  Hash compare = ApplyAll(base, {{Key(5), "b"}, {Key(6), std::nullopt}, {Key(5000), "new"}});
  std::map<std::string, std::pair<std::string, std::string>> diff;
  source_.loads = 0;
  ASSERT_TRUE(trie_.Diff(base, compare, std::nullopt,
                         [&](std::string_view k, const std::string* b, const std::string* c) {
                           diff[std::string(k)] = {b ? *b : "-", c ? *c : "-"};
                           return true;
                         }).ok());
  EXPECT_LT(source_.loads, 40u);  // only the differing paths are read
  ASSERT_EQ(diff.size(), 3u);
  EXPECT_EQ(diff[Key(5)], std::make_pair(std::string("a"), std::string("b")));
  EXPECT_EQ(diff[Key(6)], std::make_pair(std::string("a"), std::string("-")));
  EXPECT_EQ(diff[Key(5000)], std::make_pair(std::string("-"), std::string("new")));
}

TEST_F(MerkleTrieTest, DiffOfALeafAgainstALargeTreePagesCheaply) {
  std::vector<TrieMutation> muts;
  for (int i = 0; i < 20000; ++i) muts.push_back({Key(i), "a"});
  Hash big = ApplyAll(MerkleTrie::EmptyRoot(), muts);
  Hash small = ApplyAll(MerkleTrie::EmptyRoot(), {{Key(3), "a"}, {Key(4), "changed"}});
  // Page through the diff ten entries at a time; each page reads few nodes.
  std::optional<std::string> from;
  size_t total = 0, max_loads = 0;
  while (true) {
    source_.loads = 0;
    size_t page = 0;
    std::string last;
    ASSERT_TRUE(trie_.Diff(small, big, from, [&](std::string_view k, const std::string*, const std::string*) {
      last = std::string(k);
      return ++page < 10;
    }).ok());
    max_loads = std::max(max_loads, source_.loads);
    total += page;
    if (page < 10) break;
    from = last;
  }
  EXPECT_EQ(total, 19999u);  // every key but the unchanged Key(3)
  EXPECT_LT(max_loads, 40u);
}

TEST_F(MerkleTrieTest, CorruptNodeIsReportedAsCorruption) {
  std::vector<TrieMutation> muts;
  for (int i = 0; i < 100; ++i) muts.push_back({Key(i), "v"});
  Hash root = ApplyAll(MerkleTrie::EmptyRoot(), muts);
  for (auto& [h, bytes] : source_.nodes) {
    if (h != root) bytes[bytes.size() / 2] ^= 0x1;
  }
  Status st = trie_.Verify(root, [](const Hash&) {});
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
}

TEST(TrieNodeTest, DecodeRejectsGarbage) {
  EXPECT_EQ(TrieNode::Decode("").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(TrieNode::Decode("\x07").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(TrieNode::Decode(std::string("\x01\x05", 2)).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace tandem
