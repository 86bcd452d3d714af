#include "store/garbage_collector.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/ids.h"
#include "store/sqlite/sqlite_store.h"
#include "store/trie_node_cache.h"
#include "store/trie_walker.h"

namespace tandem {
namespace {

// Builds tries and commits straight through the store, as the repository
// would, to check what collection keeps and what it frees.
class GarbageCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem-gc-" + RandomHex(6));
    std::filesystem::create_directories(dir_);
    store_ = std::move(SqliteStore::Open((dir_ / "tandem.db").string())).value();
    auto w = store_->BeginWrite().value();
    ASSERT_TRUE(w->InsertCategory(Category{root_, "root", std::nullopt, "", false, 1}).ok());
    ASSERT_TRUE(w->CommitTransaction().ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // A resource with one commit whose element trie holds `n` entries named by
  // `prefix` (and references each entry's version through its change set).
  std::string AddResource(const std::string& name, const std::string& prefix, int n) {
    auto w = store_->BeginWrite().value();
    Resource r{NewUuid(), NewUuid(), name, std::nullopt, root_, false, "", 1, NewUuid()};
    EXPECT_TRUE(w->InsertResource(r).ok());
    StoreNodeSource source(*w, nullptr);
    MerkleTrie trie(source);
    std::vector<TrieMutation> mutations;
    std::vector<Change> changes;
    for (int i = 0; i < n; ++i) {
      std::string text = "{\"@id\":\"" + prefix + std::to_string(i) + "\"}";
      Hash v = Sha256(text);
      EXPECT_TRUE(w->PutElementVersion(v, text).ok());
      mutations.push_back({std::string(HashBytes(Sha256(prefix + std::to_string(i)))),
                           std::string(HashBytes(v))});
      changes.push_back({NewUuid(), prefix + std::to_string(i), v});
    }
    TrieNodeSink sink;
    Hash root = trie.Apply(MerkleTrie::EmptyRoot(), mutations, sink).value();
    for (const auto& [h, bytes] : sink) EXPECT_TRUE(w->PutNode(h, bytes).ok());
    Commit c;
    c.id = NewUuid();
    c.resource_id = r.id;
    c.author = "t";
    c.state_root = root;
    c.roots_root = MerkleTrie::EmptyRoot();
    c.edges_root = MerkleTrie::EmptyRoot();
    EXPECT_TRUE(w->InsertCommit(c, changes, {}).ok());
    EXPECT_TRUE(w->CommitTransaction().ok());
    return r.id;
  }
  ContentCounts Counts() { return store_->BeginRead().value()->CountContent().value(); }
  Status WalkAll() {
    auto txn = store_->BeginRead().value();
    TrieWalker walker;
    ASSIGN_OR_RETURN(auto commits, txn->ListCommitRoots(0));
    for (const auto& c : commits) RETURN_IF_ERROR(walker.Walk(*txn, c.elements));
    return commits.empty() ? Status::NotFound("no commits") : Status::Ok();
  }

  std::filesystem::path dir_;
  std::string root_ = NewUuid();
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(GarbageCollectorTest, FreesOnlyWhatNoRemainingCommitReferences) {
  std::string kept = AddResource("kept", "k", 100);
  std::string doomed = AddResource("doomed", "d", 200);
  ContentCounts full = Counts();
  auto none = CollectGarbage(*store_);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(none->freed.trie_nodes, 0u);
  EXPECT_EQ(none->freed.element_versions, 0u);
  EXPECT_EQ(none->commits_marked, 2u);

  {
    auto w = store_->BeginWrite().value();
    ASSERT_TRUE(w->DeleteResource(doomed).ok());
    ASSERT_TRUE(w->CommitTransaction().ok());
  }
  auto freed = CollectGarbage(*store_);
  ASSERT_TRUE(freed.ok()) << freed.status().ToString();
  EXPECT_EQ(freed->freed.element_versions, 200u);
  EXPECT_GT(freed->freed.trie_nodes, 0u);
  EXPECT_GT(freed->freed.trie_node_bytes, 0u);
  ContentCounts after = Counts();
  EXPECT_EQ(after.element_versions, full.element_versions - 200);
  EXPECT_EQ(after.trie_nodes, full.trie_nodes - freed->freed.trie_nodes);
  EXPECT_TRUE(WalkAll().ok());  // everything the kept commit reaches is still there
}

TEST_F(GarbageCollectorTest, ACommitLandingDuringTheMarkKeepsTheNodesItReferencesAgain) {
  AddResource("kept", "k", 50);
  std::string doomed = AddResource("doomed", "d", 150);
  {
    auto w = store_->BeginWrite().value();
    ASSERT_TRUE(w->DeleteResource(doomed).ok());
    ASSERT_TRUE(w->CommitTransaction().ok());
  }
  // After the snapshot's mark, a commit with the very same content arrives:
  // writing its nodes and versions is a no-op (the rows still exist), so only
  // the second mark inside the write transaction can save them.
  GcOptions options;
  options.after_snapshot_mark = [&] { AddResource("again", "d", 150); };
  auto report = CollectGarbage(*store_, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->freed.trie_nodes, 0u);
  EXPECT_EQ(report->freed.element_versions, 0u);
  EXPECT_EQ(report->commits_marked, 2u);
  { Status walk = WalkAll(); EXPECT_TRUE(walk.ok()) << walk.ToString(); }

  // Without that commit the same nodes are garbage.
  std::string doomed_again = AddResource("doomed-again", "e", 150);
  {
    auto w = store_->BeginWrite().value();
    ASSERT_TRUE(w->DeleteResource(doomed_again).ok());
    ASSERT_TRUE(w->CommitTransaction().ok());
  }
  auto freed = CollectGarbage(*store_);
  ASSERT_TRUE(freed.ok());
  EXPECT_GT(freed->freed.trie_nodes, 0u);
  EXPECT_EQ(freed->freed.element_versions, 150u);
  { Status walk = WalkAll(); EXPECT_TRUE(walk.ok()) << walk.ToString(); }
}

TEST_F(GarbageCollectorTest, WalkerReportsAMissingOrDamagedNodeAndStops) {
  AddResource("r", "x", 100);
  auto txn = store_->BeginRead().value();
  auto commits = txn->ListCommitRoots(0).value();
  ASSERT_EQ(commits.size(), 1u);
  TrieWalker walker;
  ASSERT_TRUE(walker.Walk(*txn, commits[0].elements).ok());
  size_t nodes = walker.visited();
  EXPECT_GT(nodes, 1u);
  // A second walk of the same trie reads nothing new.
  size_t entries = 0;
  ASSERT_TRUE(walker.Walk(*txn, commits[0].elements, nullptr, [&](const TrieEntry&) { ++entries; }).ok());
  EXPECT_EQ(entries, 0u);
  EXPECT_EQ(walker.visited(), nodes);
  EXPECT_EQ(walker.Entries(commits[0].elements), 100u);
  EXPECT_EQ(walker.Entries(MerkleTrie::EmptyRoot()), 0u);

  TrieWalker fresh;
  Hash unknown = Sha256("no such node");
  Status missing = fresh.Walk(*txn, unknown);
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_FALSE(fresh.Visited(unknown));
  EXPECT_FALSE(fresh.Entries(unknown).has_value());
}

}  // namespace
}  // namespace tandem
