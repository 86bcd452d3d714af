#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "common/ids.h"
#include "repo/repository.h"
#include "testing/repo/forged_commit.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/common/fake_clock.h"

namespace tandem {
namespace {

// Two servers' repositories in one process, to test export and import.
class RepositorySyncTest : public ::testing::Test {
 protected:
  struct Side {
    std::unique_ptr<SqliteStore> store;
    std::unique_ptr<Repository> repo;
  };
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem-sync-" + RandomHex(6));
    std::filesystem::create_directories(dir_);
    for (auto* side : {&source_, &target_}) {
      side->store = std::move(SqliteStore::Open((dir_ / RandomHex(4)).string()).value());
      side->repo = std::make_unique<Repository>(*side->store, clock_);
      ASSERT_TRUE(side->repo->Bootstrap().ok());
    }
  }
  void TearDown() override {
    source_ = {};
    target_ = {};
    std::filesystem::remove_all(dir_);
  }
  static CommitRequest Changes(std::vector<std::pair<std::string, Json>> items) {
    CommitRequest req;
    for (auto& [id, payload] : items) req.changes.push_back({id, payload});
    return req;
  }
  // Copies every commit the target lacks, as the sync engine does: one
  // transaction per commit, or (`batch`) all in one ImportCommits.
  Status Copy(const Resource& r, std::function<void(Repository::ImportedCommit&)> tamper = {},
              bool batch = false) {
    auto local = target_.repo->GetResource(r.id);
    if (!local.ok()) {
      ASSIGN_OR_RETURN(auto root, target_.repo->RootCategoryId());
      ASSIGN_OR_RETURN(auto created, target_.repo->CreateMirror(r, root, "{}"));
      (void)created;
    }
    std::vector<std::string> have;
    ASSIGN_OR_RETURN(auto branches, target_.repo->ListBranches(r.id, {std::nullopt, std::nullopt, 100}));
    for (const auto& b : branches.items) {
      if (b.head) have.push_back(*b.head);
    }
    ASSIGN_OR_RETURN(auto commits, source_.repo->CommitsNotIn(r.id, have));
    std::vector<Repository::ImportedCommit> received;
    RETURN_IF_ERROR(source_.repo->VisitCommitContents(
        commits, [&](const Commit& c, const std::vector<Change>& changes,
                     const Repository::VersionText& text) -> Status {
          Repository::ImportedCommit in;
          in.commit = c;
          in.changes = changes;
          for (const auto& ch : in.changes) {
            if (ch.version) {
              ASSIGN_OR_RETURN(in.versions[*ch.version], text(*ch.version));
            }
          }
          if (tamper) tamper(in);
          if (!batch) return target_.repo->ImportCommit(r.id, in);
          received.push_back(std::move(in));
          return Status::Ok();
        }));
    if (batch) {
      last_batch_ = target_.repo->ImportCommits(r.id, received);
      RETURN_IF_ERROR(last_batch_.status);
    }
    ASSIGN_OR_RETURN(auto src_branches, source_.repo->ListBranches(r.id, {std::nullopt, std::nullopt, 100}));
    ASSIGN_OR_RETURN(auto src_tags, source_.repo->ListTags(r.id, {std::nullopt, std::nullopt, 100}));
    return target_.repo->MirrorRefs(r.id, src_branches.items, src_tags.items);
  }

  std::filesystem::path dir_;
  Repository::BatchImport last_batch_;
  FakeClock clock_;
  Side source_, target_;
};

TEST_F(RepositorySyncTest, CopyKeepsIdsHashesAndStateAndIsIncremental) {
  Resource r = source_.repo->CreateResource({"lib", std::nullopt, std::nullopt, std::nullopt}).value();
  std::string a = NewUuid(), b = NewUuid();
  auto c1 = source_.repo->CreateCommit(r.id, Changes({{a, Json{{"@type", "Part"}}}, {b, Json{{"@type", "Part"}}}}), "alice").value();
  auto c2 = source_.repo->CreateCommit(r.id, Changes({{b, nullptr}}), "bob").value();
  ASSERT_TRUE(source_.repo->CreateTag(r.id, "release", c1.id, std::nullopt).ok());
  ASSERT_TRUE(Copy(r).ok());

  auto copy = target_.repo->GetResource(r.id).value();
  EXPECT_TRUE(copy.read_only);
  EXPECT_EQ(copy.project_id, r.project_id);
  EXPECT_EQ(copy.default_branch_id, r.default_branch_id);
  auto t2 = target_.repo->GetCommit(r.id, c2.id).value();
  EXPECT_EQ(t2.hash, c2.hash);
  EXPECT_EQ(t2.state_root, c2.state_root);
  EXPECT_EQ(t2.author, "bob");
  EXPECT_EQ(target_.repo->GetBranch(r.id, r.default_branch_id)->head, c2.id);
  EXPECT_EQ(target_.repo->ListTags(r.id, {std::nullopt, std::nullopt, 10})->items.size(), 1u);
  EXPECT_EQ(target_.repo->GetElement(r.id, c1.id, b)->value("@type", ""), "Part");

  // Nothing new: nothing to send. One new commit: only it is sent.
  EXPECT_TRUE(source_.repo->CommitsNotIn(r.id, {c2.id})->empty());
  auto c3 = source_.repo->CreateCommit(r.id, Changes({{a, Json{{"@type", "Part"}, {"name", "x"}}}}), "alice").value();
  auto missing = source_.repo->CommitsNotIn(r.id, {c2.id}).value();
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].id, c3.id);
  ASSERT_TRUE(Copy(r).ok());
  EXPECT_EQ(target_.repo->GetBranch(r.id, r.default_branch_id)->head, c3.id);
  EXPECT_TRUE(Copy(r).ok());  // idempotent
}

// A copy's changes are events, so a further hop learns of them and an idle
// run there may trust a feed with nothing new (issue #11, W4): a tag the
// source dropped, a new description or origin; writing what is already
// there is none.
TEST_F(RepositorySyncTest, EveryChangeOfACopyIsAnEvent) {
  Resource r = source_.repo->CreateResource({"lib", std::nullopt, std::nullopt, std::nullopt}).value();
  auto c1 = source_.repo->CreateCommit(r.id, Changes({{NewUuid(), Json{{"@type", "Part"}}}}), "alice").value();
  Tag tag = source_.repo->CreateTag(r.id, "release", c1.id, std::nullopt).value();
  ASSERT_TRUE(Copy(r).ok());
  auto events_after = [&](int64_t since) {
    std::vector<std::string> types;
    auto events = target_.repo->Changes(since, 100, std::chrono::milliseconds(0));
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    if (!events.ok()) return types;
    for (const auto& e : *events) types.push_back(e.type);
    return types;
  };

  int64_t seq = target_.repo->LastEventSeq().value();
  ASSERT_TRUE(source_.repo->DeleteTag(r.id, tag.id).ok());
  ASSERT_TRUE(Copy(r).ok());
  EXPECT_EQ(events_after(seq), std::vector<std::string>{"tag.deleted"});

  Resource copy = target_.repo->GetResource(r.id).value();
  // The events of one metadata update of the copy.
  auto update = [&](const std::string& description, const std::string& origin) {
    int64_t before = target_.repo->LastEventSeq().value();
    EXPECT_TRUE(
        target_.repo->UpdateMirrorMetadata(r.id, copy.name, description, copy.category_id, origin).ok());
    return events_after(before);
  };
  EXPECT_EQ(update("new words", copy.origin), std::vector<std::string>{"resource.updated"});
  EXPECT_EQ(update("new words", R"({"serverId":"elsewhere"})"), std::vector<std::string>{"resource.updated"});
  EXPECT_TRUE(update("new words", R"({"serverId":"elsewhere"})").empty());
}

TEST_F(RepositorySyncTest, TamperedCommitsAreRefusedAndNothingIsStored) {
  Resource r = source_.repo->CreateResource({"lib", std::nullopt, std::nullopt, std::nullopt}).value();
  std::string a = NewUuid();
  auto c1 = source_.repo->CreateCommit(r.id, Changes({{a, Json{{"@type", "Part"}, {"name", "good"}}}}), "alice").value();
  // An element version whose text does not match its hash.
  Status bad_version = Copy(r, [](Repository::ImportedCommit& in) {
    for (auto& [h, text] : in.versions) text.replace(text.find("good"), 4, "evil");
  });
  EXPECT_EQ(bad_version.code(), StatusCode::kCorruption) << bad_version.ToString();
  // Metadata changed in transit: the commit hash no longer matches.
  Status bad_author = Copy(r, [](Repository::ImportedCommit& in) { in.commit.author = "mallory"; });
  EXPECT_EQ(bad_author.code(), StatusCode::kCorruption) << bad_author.ToString();
  // A consistent-looking version swapped for another element's: the state differs.
  Status bad_state = Copy(r, [&](Repository::ImportedCommit& in) {
    Json other = {{"@id", a}, {"@type", "Part"}, {"name", "other"}};
    std::string text = other.dump();
    in.versions.clear();
    in.versions[Sha256(text)] = text;
    in.changes[0].version = Sha256(text);
  });
  EXPECT_EQ(bad_state.code(), StatusCode::kCorruption) << bad_state.ToString();
  EXPECT_EQ(target_.repo->GetCommit(r.id, c1.id).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(Copy(r).ok());
  EXPECT_EQ(target_.repo->GetCommit(r.id, c1.id)->hash, c1.hash);
}

// Group commit: a refused commit in the middle of a batch keeps the commits
// before it (they verified) and stores nothing of it or after it.
TEST_F(RepositorySyncTest, ABatchImportKeepsTheVerifiedCommitsBeforeARefusedOne) {
  Resource r = source_.repo->CreateResource({"lib", std::nullopt, std::nullopt, std::nullopt}).value();
  std::string a = NewUuid(), b = NewUuid();
  std::vector<Commit> made;
  for (int i = 0; i < 5; ++i) {
    made.push_back(source_.repo
                       ->CreateCommit(r.id,
                                      Changes({{i % 2 ? a : b, Json{{"@type", "Part"}, {"n", i}}}}),
                                      "alice")
                       .value());
  }
  Status refused = Copy(r, [&](Repository::ImportedCommit& in) {
    if (in.commit.id == made[3].id) in.commit.author = "mallory";
  }, /*batch=*/true);
  EXPECT_EQ(refused.code(), StatusCode::kCorruption) << refused.ToString();
  EXPECT_EQ(last_batch_.imported, 3u);
  EXPECT_EQ(target_.repo->CountCommits(r.id).value(), 3u);
  EXPECT_EQ(target_.repo->GetCommit(r.id, made[2].id)->hash, made[2].hash);
  EXPECT_EQ(target_.repo->GetCommit(r.id, made[3].id).status().code(), StatusCode::kNotFound);
  // The next run (no head was moved, so it sends all five again) stores the
  // rest; the three already there are no-ops.
  ASSERT_TRUE(Copy(r, {}, /*batch=*/true).ok());
  EXPECT_EQ(last_batch_.imported, 5u);
  EXPECT_EQ(target_.repo->CountCommits(r.id).value(), 5u);
  EXPECT_EQ(target_.repo->GetCommit(r.id, made[4].id)->state_root, made[4].state_root);
  EXPECT_EQ(target_.repo->GetElement(r.id, made[4].id, b)->value("n", -1), 4);
}

// An element nested 100 000 levels deep (or not in canonical form), with every
// hash correct: once stored, the first reader's JSON dump overflowed the stack.
TEST_F(RepositorySyncTest, DeepOrNonCanonicalElementVersionsAreRefusedOnImport) {
  Resource r = source_.repo->CreateResource({"lib", std::nullopt, std::nullopt, std::nullopt}).value();
  std::string a = NewUuid();
  auto c1 = source_.repo->CreateCommit(r.id, Changes({{a, Json{{"@type", "Part"}}}}), "alice").value();
  auto forge = [&](const std::string& text) {
    return [&, text](Repository::ImportedCommit& in) {
      auto txn = source_.store->BeginRead().value();
      in = testing::ForgeCommit(*txn, c1, std::nullopt, a, text).value().imported;
    };
  };
  std::string deep = R"({"@id":")" + a + R"(","@type":"Part","x":)" + std::string(100'000, '[') +
                     std::string(100'000, ']') + "}";
  Status st = Copy(r, forge(deep));
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.ToString();
  EXPECT_NE(st.message().find("of element " + a + " nests deeper than the limit of 64 levels"),
            std::string::npos)
      << st.ToString();

  for (const std::string& text : {R"({"@type":"Part","@id":")" + a + R"("})",
                                  R"({"@id":")" + a + R"(", "@type":"Part"})"}) {
    st = Copy(r, forge(text));
    EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.ToString();
    EXPECT_NE(st.message().find("not in canonical form"), std::string::npos) << st.ToString();
  }
  EXPECT_EQ(target_.repo->GetCommit(r.id, c1.id).status().code(), StatusCode::kNotFound);
  // A forged commit within the limits is what the real one is: accepted.
  ASSERT_TRUE(Copy(r).ok());
  EXPECT_EQ(target_.repo->GetCommit(r.id, c1.id)->hash, c1.hash);
}

// What an attack campaign's source put in its catalogue: names with ESC, CR/LF
// and BEL, an empty Project ID and one with NUL, an OSC sequence in a
// description. Each is refused for that resource, with nothing stored.
TEST_F(RepositorySyncTest, HostileCatalogueMetadataIsRefusedAndNothingIsStored) {
  Repository& repo = *target_.repo;
  std::string root = repo.RootCategoryId().value();
  auto entry = [] {
    Resource r;
    r.id = NewUuid();
    r.project_id = "PRJ-" + RandomHex(4);
    r.name = "fine";
    r.description = "a description\nwith two lines";
    r.default_branch_id = NewUuid();
    return r;
  };
  struct Case {
    std::function<void(Resource&)> spoil;
    const char* reason;
  };
  std::vector<Case> cases = {
      {[](Resource& r) { r.name = "x\x1b[2Jcleared"; }, "name must not contain control characters"},
      {[](Resource& r) { r.name = "row\r\nfake  row"; }, "name must not contain control characters"},
      {[](Resource& r) { r.name = "bell\x07"; }, "name must not contain control characters"},
      {[](Resource& r) { r.name = "csi\xc2\x9b" "2J"; }, "name must not contain control characters"},
      {[](Resource& r) { r.project_id = ""; }, "Project ID name must not be empty"},
      {[](Resource& r) { r.project_id = std::string("PRJ\0x", 5); }, "Project ID name must not contain"},
      {[](Resource& r) { r.description = "see \x1b]0;owned\x07 here"; },
       "description must not contain control characters"},
      {[](Resource& r) { r.id = "not-a-uuid"; }, "Resource ID 'not-a-uuid' is not a UUID"},
  };
  int64_t before = repo.LastEventSeq().value();
  for (const auto& c : cases) {
    Resource r = entry();
    c.spoil(r);
    auto created = repo.CreateMirror(r, root, "{}");
    ASSERT_EQ(created.status().code(), StatusCode::kInvalidArgument) << c.reason;
    EXPECT_NE(created.status().message().find(c.reason), std::string::npos)
        << created.status().message();
    EXPECT_NE(created.status().message().find("nothing of it is stored"), std::string::npos);
  }
  EXPECT_EQ(repo.LastEventSeq().value(), before);
  EXPECT_TRUE(repo.ListResources(ResourceFilter{}, {std::nullopt, std::nullopt, 10})->items.empty());

  // An existing copy keeps its metadata when the source's turns hostile.
  Resource good = entry();
  ASSERT_TRUE(repo.CreateMirror(good, root, "{}").ok());
  auto renamed = repo.UpdateMirrorMetadata(good.id, "x\r\ny", std::nullopt, root, "{}");
  EXPECT_EQ(renamed.status().code(), StatusCode::kInvalidArgument);
  auto described = repo.UpdateMirrorMetadata(good.id, "fine", "\x1b[31mred", root, "{}");
  EXPECT_EQ(described.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(repo.GetResource(good.id)->name, "fine");
  EXPECT_EQ(repo.GetResource(good.id)->description, good.description);
  Branch bad_branch{NewUuid(), good.id, "main\x1b[2J", std::nullopt, std::nullopt, 0};
  Status refs = repo.MirrorRefs(good.id, {bad_branch}, {});
  EXPECT_EQ(refs.code(), StatusCode::kInvalidArgument) << refs.ToString();
  EXPECT_NE(refs.message().find("branch name must not contain control characters"), std::string::npos);
  EXPECT_EQ(repo.ListBranches(good.id, {std::nullopt, std::nullopt, 10})->items.size(), 1u);
}

TEST_F(RepositorySyncTest, CopyOfACopyHasTheOriginsHashes) {
  Resource r = source_.repo->CreateResource({"lib", std::nullopt, std::nullopt, std::nullopt}).value();
  auto c1 = source_.repo->CreateCommit(r.id, Changes({{NewUuid(), Json{{"@type", "Part"}}}}), "alice").value();
  ASSERT_TRUE(Copy(r).ok());
  // The target now serves as a source for a third server.
  Side third;
  third.store = std::move(SqliteStore::Open((dir_ / "third").string()).value());
  third.repo = std::make_unique<Repository>(*third.store, clock_);
  ASSERT_TRUE(third.repo->Bootstrap().ok());
  std::swap(source_, target_);
  std::swap(target_, third);
  ASSERT_TRUE(Copy(r).ok());
  EXPECT_EQ(target_.repo->GetCommit(r.id, c1.id)->hash, c1.hash);
  std::swap(target_, third);
  std::swap(source_, target_);
}

}  // namespace
}  // namespace tandem
