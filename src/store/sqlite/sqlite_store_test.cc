#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <future>
#include <thread>

#include "common/ids.h"

namespace tandem {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem-store-" + RandomHex(6));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "tandem.db").string();
    auto s = SqliteStore::Open(path_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<WriteTransaction> Write() { return std::move(store_->BeginWrite()).value(); }
  std::unique_ptr<ReadTransaction> Read() { return std::move(store_->BeginRead()).value(); }

  Category Root() { return Category{NewUuid(), "root", std::nullopt, "", false, 1}; }

  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteStoreTest, WritesBecomeVisibleOnlyAtCommit) {
  Category c = Root();
  auto w = Write();
  ASSERT_TRUE(w->InsertCategory(c).ok());
  EXPECT_FALSE(Read()->GetCategory(c.id).value().has_value());
  ASSERT_TRUE(w->CommitTransaction().ok());
  auto got = Read()->GetCategory(c.id).value();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->name, "root");
}

TEST_F(SqliteStoreTest, AbandonedWriteRollsBack) {
  Category c = Root();
  {
    auto w = Write();
    ASSERT_TRUE(w->InsertCategory(c).ok());
  }
  EXPECT_FALSE(Read()->GetCategory(c.id).value().has_value());
}

TEST_F(SqliteStoreTest, ElementVersionsRoundTripCompressedOrNot) {
  std::string small = R"({"@id":"a"})";
  std::string large(5000, 'x');
  large = "{\"big\":\"" + large + "\"}";
  auto w = Write();
  ASSERT_TRUE(w->PutElementVersion(Sha256(small), small).ok());
  ASSERT_TRUE(w->PutElementVersion(Sha256(large), large).ok());
  ASSERT_TRUE(w->PutElementVersion(Sha256(large), large).ok());  // idempotent
  ASSERT_TRUE(w->CommitTransaction().ok());
  auto r = Read();
  EXPECT_EQ(r->GetElementVersion(Sha256(small)).value(), small);
  EXPECT_EQ(r->GetElementVersion(Sha256(large)).value(), large);
  EXPECT_EQ(r->GetElementVersion(Sha256("nope")).status().code(), StatusCode::kNotFound);
}

TEST_F(SqliteStoreTest, TamperedElementVersionIsCorruption) {
  std::string v = R"({"@id":"a","name":"x"})";
  {
    auto w = Write();
    ASSERT_TRUE(w->PutElementVersion(Sha256(v), v).ok());
    ASSERT_TRUE(w->CommitTransaction().ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE element_versions SET data = CAST('{\"@id\":\"b\"}' AS BLOB)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(Read()->GetElementVersion(Sha256(v)).status().code(), StatusCode::kCorruption);
}

TEST_F(SqliteStoreTest, BranchHeadMovesOnlyFromTheExpectedCommit) {
  Category c = Root();
  Resource r{NewUuid(), "P1", "model", std::nullopt, c.id, false, "", 1, NewUuid()};
  Branch b{r.default_branch_id, r.id, "main", std::nullopt, std::nullopt, 1};
  auto w = Write();
  ASSERT_TRUE(w->InsertCategory(c).ok());
  ASSERT_TRUE(w->InsertResource(r).ok());
  ASSERT_TRUE(w->InsertBranch(b).ok());
  ASSERT_TRUE(w->MoveBranchHead(b.id, std::nullopt, "c1").ok());
  EXPECT_EQ(w->MoveBranchHead(b.id, std::nullopt, "c2").code(), StatusCode::kConflict);
  ASSERT_TRUE(w->MoveBranchHead(b.id, std::string("c1"), "c2").ok());
  ASSERT_TRUE(w->CommitTransaction().ok());
  EXPECT_EQ(Read()->GetBranch(b.id).value()->head, "c2");
}

TEST_F(SqliteStoreTest, UniqueConstraintsAreConflicts) {
  Category c = Root();
  Resource r{NewUuid(), "P1", "model", std::nullopt, c.id, false, "", 1, NewUuid()};
  Resource same_name = r;
  same_name.id = NewUuid();
  same_name.project_id = "P2";
  auto w = Write();
  ASSERT_TRUE(w->InsertCategory(c).ok());
  ASSERT_TRUE(w->InsertResource(r).ok());
  EXPECT_EQ(w->InsertResource(same_name).code(), StatusCode::kConflict);
}

TEST_F(SqliteStoreTest, PagesWalkForwardAndBackward) {
  Category c = Root();
  auto w = Write();
  ASSERT_TRUE(w->InsertCategory(c).ok());
  for (int i = 0; i < 25; ++i) {
    ASSERT_TRUE(w->InsertResource({NewUuid(), "P" + std::to_string(i), "m" + std::to_string(i),
                                   std::nullopt, c.id, false, "", i, NewUuid()})
                    .ok());
  }
  ASSERT_TRUE(w->CommitTransaction().ok());
  auto r = Read();
  std::vector<std::string> seen;
  PageRequest page{std::nullopt, std::nullopt, 10};
  while (true) {
    auto p = r->ListResources({}, page).value();
    for (auto& x : p.items) seen.push_back(x.id);
    if (!p.more_after) break;
    EXPECT_TRUE(p.items.size() == 10);
    page.after = p.items.back().id;
  }
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  auto back = r->ListResources({}, {std::nullopt, seen[12], 5}).value();
  ASSERT_EQ(back.items.size(), 5u);
  EXPECT_EQ(back.items.front().id, seen[7]);
  EXPECT_EQ(back.items.back().id, seen[11]);
  EXPECT_TRUE(back.more_before);
  EXPECT_TRUE(back.more_after);
}

TEST_F(SqliteStoreTest, EventsGetIncreasingSequenceNumbers) {
  auto w = Write();
  int64_t a = w->AppendEvent({0, "x", std::nullopt, "{}", 1}).value();
  int64_t b = w->AppendEvent({0, "y", std::string("r"), "{}", 2}).value();
  ASSERT_TRUE(w->CommitTransaction().ok());
  EXPECT_LT(a, b);
  auto ev = Read()->ListEvents(a, 10).value();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, "y");
  EXPECT_EQ(Read()->LastEventSeq().value(), b);
}

TEST_F(SqliteStoreTest, ReadersRunBesideAWriter) {
  Category c = Root();
  auto w = Write();
  ASSERT_TRUE(w->InsertCategory(c).ok());
  std::thread reader([&] {
    auto r = Read();
    EXPECT_TRUE(r->ListCategories().ok());
  });
  reader.join();
  ASSERT_TRUE(w->CommitTransaction().ok());
}

TEST_F(SqliteStoreTest, RefusesAForeignSqliteFile) {
  std::string other = (dir_ / "other.db").string();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(other.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(SqliteStore::Open(other).status().code(), StatusCode::kCorruption);
}

TEST_F(SqliteStoreTest, WriteAheadLogShrinksAfterALargeTransaction) {
  std::string path = (dir_ / "wal-limit.db").string();
  SqliteOptions options;
  options.compress_threshold = 1 << 30;  // keep the blobs as large as written
  const uintmax_t kLimit = 256 << 10;
  options.wal_size_limit_bytes = kLimit;
  auto store = std::move(SqliteStore::Open(path, options)).value();
  auto wal_bytes = [&] { return std::filesystem::file_size(path + "-wal"); };
  {
    // About 8 MB in one transaction: the log grows past the limit.
    auto w = std::move(store->BeginWrite()).value();
    for (int i = 0; i < 64; ++i) {
      std::string v = "{\"n\":\"" + RandomHex(64 << 10) + "\"}";
      ASSERT_TRUE(w->PutElementVersion(Sha256(v), v).ok());
    }
    ASSERT_TRUE(w->CommitTransaction().ok());
  }
  ASSERT_GT(wal_bytes(), kLimit);
  // The commit checkpointed the log; the next writer starts it again from
  // the beginning and SQLite cuts the file down to the limit.
  {
    auto w = std::move(store->BeginWrite()).value();
    ASSERT_TRUE(w->InsertCategory(Root()).ok());
    ASSERT_TRUE(w->CommitTransaction().ok());
  }
  EXPECT_LE(wal_bytes(), kLimit);
}

// The single writer is waited for a bounded time: a write that holds it too
// long makes the next BeginWrite answer Unavailable instead of queuing it
// without a bound; once it ends, writes go on.
TEST_F(SqliteStoreTest, BeginWriteWaitsABoundedTimeForTheWriter) {
  store_.reset();
  SqliteOptions options;
  options.write_wait = std::chrono::milliseconds(100);
  store_ = std::move(SqliteStore::Open(path_, options)).value();
  auto held = Write();
  auto started = std::chrono::steady_clock::now();
  auto second = std::async(std::launch::async, [&] { return store_->BeginWrite(); }).get();
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("storage.write-wait-ms"), std::string::npos);
  EXPECT_GE(took, std::chrono::milliseconds(90));
  EXPECT_LT(took, std::chrono::seconds(2));
  held.reset();  // rolled back
  EXPECT_TRUE(store_->BeginWrite().ok());
}

}  // namespace
}  // namespace tandem
