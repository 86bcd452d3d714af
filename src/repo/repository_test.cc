#include "repo/repository.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "common/ids.h"
#include "repo/commit_hash.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/common/fake_clock.h"
#include "testing/repo/forged_commit.h"
#include "testing/repo/shared_model.h"

namespace tandem {
namespace {

using testing::LoadSharedModel;

CommitRequest FromSysml(const Json& body) { return testing::CommitRequestFrom(body); }

Json Element(const std::string& id, const std::string& type, Json extra = Json::object()) {
  Json e = extra;
  e["@id"] = id;
  e["@type"] = type;
  return e;
}

CommitRequest Changes(std::vector<Json> payloads) {
  CommitRequest req;
  for (auto& p : payloads) req.changes.push_back({p["@id"].get<std::string>(), p});
  return req;
}

class RepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem-repo-" + RandomHex(6));
    std::filesystem::create_directories(dir_);
    store_ = std::move(SqliteStore::Open((dir_ / "tandem.db").string()).value());
    repo_ = std::make_unique<Repository>(*store_, clock_);
    ASSERT_TRUE(repo_->Bootstrap().ok());
  }
  void TearDown() override {
    repo_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  Resource NewResource(const std::string& name) {
    auto r = repo_->CreateResource({name, std::nullopt, std::nullopt, std::nullopt});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.value();
  }
  template <typename T>
  std::vector<T> All(std::function<Result<Page<T>>(const PageRequest&)> list,
                     std::function<std::string(const T&)> id, size_t page_size) {
    std::vector<T> out;
    PageRequest page{std::nullopt, std::nullopt, page_size};
    while (true) {
      auto p = list(page);
      EXPECT_TRUE(p.ok()) << p.status().ToString();
      for (auto& x : p->items) out.push_back(x);
      if (!p->more_after) return out;
      page.after = id(p->items.back());
    }
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Repository> repo_;
};

TEST_F(RepositoryTest, RealModelCommitsAndReadsBackElementByElement) {
  Json model = LoadSharedModel();
  Resource r = NewResource("PartsTree");
  auto c = repo_->CreateCommit(r.id, FromSysml(model), "alice");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->element_count, 228u);

  auto elements = All<Json>([&](const PageRequest& p) { return repo_->ListElements(r.id, c->id, p); },
                            [](const Json& e) { return e["@id"].get<std::string>(); }, 50);
  ASSERT_EQ(elements.size(), 228u);
  std::map<std::string, Json> by_id;
  for (auto& e : elements) by_id[e["@id"].get<std::string>()] = e;
  for (const auto& ch : model["change"]) {
    Json expected = ch["payload"];
    std::string id = ch["identity"]["@id"].get<std::string>();
    expected["@id"] = id;
    EXPECT_EQ(by_id[id], expected) << id;
    EXPECT_EQ(repo_->GetElement(r.id, c->id, id).value(), expected);
  }
  auto roots = repo_->ListRoots(r.id, c->id, {std::nullopt, std::nullopt, 100}).value();
  EXPECT_EQ(roots.items.size(), 5u);
}

TEST_F(RepositoryTest, RelationshipsFollowSourceAndTarget) {
  Resource r = NewResource("rels");
  std::string a = NewUuid(), b = NewUuid(), rel = NewUuid();
  auto c = repo_->CreateCommit(
      r.id,
      Changes({Element(a, "PartDefinition"), Element(b, "PartDefinition"),
               Element(rel, "Subclassification",
                       {{"source", {{{"@id", a}}}}, {"target", {{{"@id", b}}}},
                        {"owningRelatedElement", {{"@id", a}}}})}),
      "alice");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto rel_of = [&](const std::string& id, RelationshipDirection d) {
    return repo_->ListRelationships(r.id, c->id, id, d, {std::nullopt, std::nullopt, 10}).value().items;
  };
  EXPECT_EQ(rel_of(a, RelationshipDirection::kOut).size(), 1u);
  EXPECT_EQ(rel_of(a, RelationshipDirection::kIn).size(), 0u);
  EXPECT_EQ(rel_of(b, RelationshipDirection::kIn).size(), 1u);
  EXPECT_EQ(rel_of(b, RelationshipDirection::kBoth)[0]["@id"], rel);
  // Deleting the relationship removes it from both ends.
  CommitRequest del;
  del.changes.push_back({rel, nullptr});
  auto c2 = repo_->CreateCommit(r.id, del, "alice");
  ASSERT_TRUE(c2.ok());
  EXPECT_TRUE(repo_->ListRelationships(r.id, c2->id, a, RelationshipDirection::kBoth,
                                       {std::nullopt, std::nullopt, 10})
                  .value().items.empty());
  auto roots = repo_->ListRoots(r.id, c2->id, {std::nullopt, std::nullopt, 10}).value();
  EXPECT_EQ(roots.items.size(), 2u);
}

TEST_F(RepositoryTest, ReferencesAreNormalizedAndMustBeUuids) {
  Resource r = NewResource("refs");
  std::string a = NewUuid(), b = NewUuid(), rel = NewUuid();
  std::string upper_a = a;
  for (char& c : upper_a) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto c = repo_->CreateCommit(
      r.id,
      Changes({Element(a, "Part"), Element(b, "Part"),
               Element(rel, "Dependency", {{"source", {{{"@id", upper_a}}}}, {"target", {{{"@id", b}}}}})}),
      "alice");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto out = repo_->ListRelationships(r.id, c->id, a, RelationshipDirection::kOut,
                                      {std::nullopt, std::nullopt, 10});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->items.size(), 1u);
  auto bad = repo_->CreateCommit(
      r.id, Changes({Element(NewUuid(), "Dependency", {{"source", {{{"@id", "not-a-uuid"}}}}})}), "alice");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RepositoryTest, AProjectInUseByAnotherCannotBeDeleted) {
  Resource lib = NewResource("library");
  auto lc = repo_->CreateCommit(lib.id, Changes({Element(NewUuid(), "Package")}), "alice").value();
  Resource app = NewResource("app");
  std::string u = NewUuid();
  ASSERT_TRUE(repo_->CreateCommit(app.id,
                                  Changes({Element(u, "ProjectUsage",
                                                   {{"usedProject", {{"@id", lib.id}}},
                                                    {"usedCommit", {{"@id", lc.id}}}})}),
                                  "alice").ok());
  Status st = repo_->DeleteResource(lib.id);
  EXPECT_EQ(st.code(), StatusCode::kConflict);
  EXPECT_NE(st.message().find(app.id), std::string::npos);
  EXPECT_TRUE(repo_->GetResource(lib.id).ok());
}

TEST_F(RepositoryTest, StalePreviousCommitIsAConflictAndChangesNothing) {
  Resource r = NewResource("m");
  std::string a = NewUuid();
  auto c1 = repo_->CreateCommit(r.id, Changes({Element(a, "Part")}), "alice").value();
  auto c2 = repo_->CreateCommit(r.id, Changes({Element(a, "Part", {{"name", "x"}})}), "bob").value();
  CommitRequest stale = Changes({Element(a, "Part", {{"name", "y"}})});
  stale.previous_commit = c1.id;
  auto res = repo_->CreateCommit(r.id, stale, "carol");
  EXPECT_EQ(res.status().code(), StatusCode::kConflict);
  EXPECT_EQ(repo_->GetBranch(r.id, r.default_branch_id)->head, c2.id);
  EXPECT_EQ(repo_->GetElement(r.id, c2.id, a).value()["name"], "x");
}

TEST_F(RepositoryTest, ReadOnlyResourceRefusesCommitsBranchesAndTags) {
  Resource r = NewResource("locked");
  auto c = repo_->CreateCommit(r.id, Changes({Element(NewUuid(), "Part")}), "alice").value();
  ResourcePatch lock;
  lock.read_only = true;
  ASSERT_TRUE(repo_->UpdateResource(r.id, lock).ok());
  auto commit = repo_->CreateCommit(r.id, Changes({Element(NewUuid(), "Part")}), "alice");
  EXPECT_EQ(commit.status().code(), StatusCode::kReadOnly);
  EXPECT_NE(commit.status().message().find("read-only"), std::string::npos);
  EXPECT_EQ(repo_->CreateBranch(r.id, "dev", c.id).status().code(), StatusCode::kReadOnly);
  EXPECT_EQ(repo_->CreateTag(r.id, "release", c.id, std::nullopt).status().code(),
            StatusCode::kReadOnly);
}

TEST_F(RepositoryTest, SynchronizedCopyNamesItsOriginAndCannotBeUnlockedByPatch) {
  Resource r = NewResource("copy");
  {
    auto txn = store_->BeginWrite().value();
    Resource sync = txn->GetResource(r.id).value().value();
    sync.read_only = true;
    sync.origin = R"({"server":"https://a.example:8111","configuration":"cfg-1"})";
    ASSERT_TRUE(txn->UpdateResource(sync).ok());
    ASSERT_TRUE(txn->CommitTransaction().ok());
  }
  auto commit = repo_->CreateCommit(r.id, Changes({Element(NewUuid(), "Part")}), "alice");
  ASSERT_EQ(commit.status().code(), StatusCode::kReadOnly);
  EXPECT_NE(commit.status().message().find("a.example"), std::string::npos);
  EXPECT_NE(commit.status().message().find("cfg-1"), std::string::npos);
  ResourcePatch unlock;
  unlock.read_only = false;
  EXPECT_EQ(repo_->UpdateResource(r.id, unlock).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RepositoryTest, ASynchronizedCopyIsPlacedByItsConfigurationNotByAPatch) {
  std::string root = repo_->RootCategoryId().value();
  Category elsewhere = repo_->CreateCategory({"elsewhere", std::nullopt, ""}).value();
  Resource source;
  source.id = NewUuid();
  source.project_id = "PROJECT-" + NewUuid();
  source.name = "copy";
  source.default_branch_id = NewUuid();
  Resource copy =
      repo_->CreateMirror(source, root, R"({"server":"https://a.example","configuration":"cfg-1"})")
          .value();
  ResourcePatch move;
  move.category_id = elsewhere.id;
  auto moved = repo_->UpdateResource(copy.id, move);
  ASSERT_EQ(moved.status().code(), StatusCode::kReadOnly) << moved.status().ToString();
  for (const char* needle : {"moving it refused", "cfg-1", "target category", "datamanager -rrof"}) {
    EXPECT_NE(moved.status().message().find(needle), std::string::npos) << moved.status().message();
  }
  ResourcePatch rename;
  rename.name = "hijacked";
  EXPECT_EQ(repo_->UpdateResource(copy.id, rename).status().code(), StatusCode::kReadOnly);
  ResourcePatch describe;
  describe.description = std::optional<std::string>("forged");
  EXPECT_EQ(repo_->UpdateResource(copy.id, describe).status().code(), StatusCode::kReadOnly);
  auto still = repo_->GetResource(copy.id).value();
  EXPECT_EQ(still.category_id, root);
  EXPECT_EQ(still.name, "copy");
  // A patch that changes nothing is no move; the engine's own update moves it.
  ResourcePatch same;
  same.name = "copy";
  same.category_id = root;
  EXPECT_TRUE(repo_->UpdateResource(copy.id, same).ok());
  auto synced = repo_->UpdateMirrorMetadata(copy.id, "renamed at source", std::nullopt,
                                            elsewhere.id, copy.origin);
  ASSERT_TRUE(synced.ok()) << synced.status().ToString();
  EXPECT_EQ(synced->category_id, elsewhere.id);
  // An administrator's lock (no origin) is no copy: it moves.
  Resource locked = NewResource("locked");
  ResourcePatch lock;
  lock.read_only = true;
  ASSERT_TRUE(repo_->UpdateResource(locked.id, lock).ok());
  EXPECT_TRUE(repo_->UpdateResource(locked.id, move).ok());
}

TEST_F(RepositoryTest, CommitHashesChainAndCoverMetadata) {
  Resource r = NewResource("chain");
  std::string a = NewUuid();
  auto c1 = repo_->CreateCommit(r.id, Changes({Element(a, "Part")}), "alice").value();
  auto c2 = repo_->CreateCommit(r.id, Changes({Element(a, "Part", {{"name", "n"}})}), "alice").value();
  EXPECT_EQ(c2.parents, std::vector<std::string>{c1.id});
  EXPECT_EQ(ComputeCommitHash(c2, {c1.hash}).value(), c2.hash);
  Commit tampered = c2;
  tampered.author = "mallory";
  EXPECT_NE(ComputeCommitHash(tampered, {c1.hash}).value(), c2.hash);
  EXPECT_NE(ComputeCommitHash(c2, {Sha256("other parent")}).value(), c2.hash);
}

// A frozen commit hash (docs/storage.md, "Canonical form"): the fields, their
// canonical rendering (escapes, non-ASCII, nulls) and the chaining over parent
// hashes must give these bytes in every release, or copies stop verifying.
TEST(CommitHashTest, CommitHashGoldenVector) {
  Commit c;
  c.id = "0f6b6c55-43a2-4b33-9b1e-6a3c2d1e0f01";
  c.resource_id = "5a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
  c.parents = {"11111111-2222-4333-8444-555555555555"};
  c.author = "Zoë \"ops\"\n";
  c.created = 1'764'153'405'123'456;  // 2025-11-26T10:36:45.123456Z
  c.name = "release/1.0";
  c.description = std::nullopt;
  c.state_root = Sha256("state");
  auto hash = ComputeCommitHash(c, {Sha256("parent")});
  ASSERT_TRUE(hash.ok());
  // Computed by an independent implementation of docs/storage.md (Python), not by this code.
  EXPECT_EQ(ToHex(*hash), "63b9933336368c99bc8a3075fcea4c16ec7cc61158bb214c6944e3c19c290c54");
}

TEST_F(RepositoryTest, DiffListsOnlyTheChangedElements) {
  Resource r = NewResource("diff");
  std::vector<Json> many;
  for (int i = 0; i < 300; ++i) many.push_back(Element(NewUuid(), "Part", {{"n", i}}));
  auto c1 = repo_->CreateCommit(r.id, Changes(many), "alice").value();
  std::string changed = many[10]["@id"], removed = many[20]["@id"], added = NewUuid();
  CommitRequest req = Changes({Element(changed, "Part", {{"n", -1}}), Element(added, "Part")});
  req.changes.push_back({removed, nullptr});
  auto c2 = repo_->CreateCommit(r.id, req, "alice").value();
  auto diff = repo_->Diff(r.id, c1.id, c2.id, {std::nullopt, std::nullopt, 100}).value();
  ASSERT_EQ(diff.items.size(), 3u);
  std::map<std::string, DataDifference> by_id;
  for (auto& d : diff.items) by_id[d.element_id] = d;
  EXPECT_EQ((*by_id[changed].compare)["n"], -1);
  EXPECT_FALSE(by_id[removed].compare.has_value());
  EXPECT_FALSE(by_id[added].base.has_value());
  // Changes of c2 list exactly what the request listed, in order.
  auto changes = repo_->ListChanges(r.id, c2.id, {std::nullopt, std::nullopt, 10}).value();
  ASSERT_EQ(changes.items.size(), 3u);
  EXPECT_EQ(changes.items[2].change.element_id, removed);
  EXPECT_FALSE(changes.items[2].payload.has_value());
}

TEST_F(RepositoryTest, BadChangesAreRefusedWithoutSideEffects) {
  Resource r = NewResource("bad");
  auto expect_invalid = [&](CommitRequest req, const std::string& needle) {
    auto res = repo_->CreateCommit(r.id, req, "alice");
    ASSERT_EQ(res.status().code(), StatusCode::kInvalidArgument) << res.status().ToString();
    EXPECT_NE(res.status().message().find(needle), std::string::npos) << res.status().message();
  };
  CommitRequest no_type;
  no_type.changes.push_back({NewUuid(), Json{{"name", "x"}}});
  expect_invalid(no_type, "@type");
  CommitRequest bad_id;
  bad_id.changes.push_back({std::string("not-a-uuid"), Element(NewUuid(), "Part")});
  expect_invalid(bad_id, "not a UUID");
  CommitRequest delete_missing;
  delete_missing.changes.push_back({NewUuid(), nullptr});
  expect_invalid(delete_missing, "does not exist");
  std::string dup = NewUuid();
  expect_invalid(Changes({Element(dup, "Part"), Element(dup, "Part")}), "second time");
  CommitRequest usage;
  std::string u = NewUuid();
  usage.changes.push_back({u, Element(u, "ProjectUsage", {{"usedProject", {{"@id", NewUuid()}}},
                                                            {"usedCommit", {{"@id", NewUuid()}}}})});
  expect_invalid(usage, "does not exist on this server");
  EXPECT_FALSE(repo_->GetBranch(r.id, r.default_branch_id)->head.has_value());
}

TEST_F(RepositoryTest, ElementsNestedDeeperThanTheLimitAreRefused) {
  Resource r = NewResource("deep");
  Json deep = Element(NewUuid(), "Part");
  Json* innermost = &deep["x"];
  for (int i = 0; i < 64; ++i) innermost = &innermost->emplace_back(Json::array());
  CommitRequest req;
  req.changes.push_back({deep["@id"].get<std::string>(), deep});
  auto res = repo_->CreateCommit(r.id, req, "alice");
  ASSERT_EQ(res.status().code(), StatusCode::kInvalidArgument) << res.status().ToString();
  EXPECT_NE(res.status().message().find("the limit is 64 (server.max-json-depth)"),
            std::string::npos)
      << res.status().message();
  EXPECT_NE(res.status().message().find(deep["@id"].get<std::string>()), std::string::npos);
  EXPECT_FALSE(repo_->GetBranch(r.id, r.default_branch_id)->head.has_value());
}

// A record nested 100 000 levels deep that got into the store anyway (an
// older server, a planted row): every read of it is a clean Corruption.
TEST_F(RepositoryTest, AStoredOverDeepElementVersionIsRefusedByEveryReader) {
  Resource r = NewResource("planted");
  std::string a = NewUuid();
  auto c1 = repo_->CreateCommit(r.id, Changes({Element(a, "Part")}), "alice").value();
  std::string text = R"({"@id":")" + a + R"(","@type":"Part","x":)" +
                     std::string(100'000, '[') + std::string(100'000, ']') + "}";
  Commit base = c1;
  base.id = NewUuid();
  {
    auto txn = store_->BeginWrite().value();
    auto forged = testing::ForgeCommit(*txn, base, c1, a, text).value();
    ASSERT_TRUE(txn->PutElementVersion(Sha256(text), text).ok());
    ASSERT_TRUE(testing::PlantCommit(*txn, forged, r.default_branch_id, c1.id).ok());
    ASSERT_TRUE(txn->CommitTransaction().ok());
  }
  PageRequest page{std::nullopt, std::nullopt, 10};
  auto expect_refused = [&](Status st, const char* what) {
    EXPECT_EQ(st.code(), StatusCode::kCorruption) << what << ": " << st.ToString();
    EXPECT_NE(st.message().find("nests deeper than the limit of 10000 levels"), std::string::npos)
        << what << ": " << st.ToString();
  };
  expect_refused(repo_->ListElements(r.id, base.id, page).status(), "elements");
  expect_refused(repo_->GetElement(r.id, base.id, a).status(), "element");
  expect_refused(repo_->ListRoots(r.id, base.id, page).status(), "roots");
  expect_refused(repo_->ListChanges(r.id, base.id, page).status(), "changes");
  expect_refused(repo_->Diff(r.id, c1.id, base.id, page).status(), "diff");
  // A query (the index still names the element a Part), also when served as stored text.
  QueryConstraint part;
  part.property = "@type";
  part.op = "=";
  part.values = {"Part"};
  for (bool as_text : {false, true}) {
    expect_refused(
        repo_->QueryElements(r.id, base.id, ElementQuery{part, {}, as_text}, page).status(),
        as_text ? "query served as text" : "query");
  }
  // A commit on top must read the old version to update the indexes.
  expect_refused(repo_->CreateCommit(r.id, Changes({Element(a, "Part")}), "alice").status(),
                 "commit");
  EXPECT_EQ(repo_->GetElement(r.id, c1.id, a)->value("@type", ""), "Part");
}

TEST_F(RepositoryTest, ProjectUsagesAreRecordedPerCommit) {
  Resource lib = NewResource("library");
  auto lc = repo_->CreateCommit(lib.id, Changes({Element(NewUuid(), "Package")}), "alice").value();
  Resource app = NewResource("app");
  std::string u = NewUuid();
  auto c1 = repo_->CreateCommit(
      app.id,
      Changes({Element(u, "ProjectUsage", {{"usedProject", {{"@id", lib.id}}},
                                           {"usedCommit", {{"@id", lc.id}}}})}),
      "alice").value();
  auto usages = repo_->ListProjectUsages(app.id, c1.id).value();
  ASSERT_EQ(usages.size(), 1u);
  EXPECT_EQ(usages[0].used_project, lib.id);
  EXPECT_EQ(usages[0].used_commit, lc.id);
  CommitRequest drop;
  drop.changes.push_back({u, nullptr});
  auto c2 = repo_->CreateCommit(app.id, drop, "alice").value();
  EXPECT_TRUE(repo_->ListProjectUsages(app.id, c2.id).value().empty());
}

TEST_F(RepositoryTest, AnElementsProjectUsageIsTheUsageThatBringsItInEvenThroughAnotherProject) {
  // base <- library <- app: app uses library, which uses base.
  Resource base = NewResource("base");
  std::string in_base = NewUuid();
  auto bc = repo_->CreateCommit(base.id, Changes({Element(in_base, "Package")}), "alice").value();
  auto usage_of = [](const std::string& id, const Resource& r, const Commit& c) {
    return Element(id, "ProjectUsage",
                   {{"usedProject", {{"@id", r.id}}}, {"usedCommit", {{"@id", c.id}}}});
  };
  Resource lib = NewResource("library");
  std::string in_lib = NewUuid();
  auto lc =
      repo_
          ->CreateCommit(
              lib.id, Changes({Element(in_lib, "Package"), usage_of(NewUuid(), base, bc)}), "alice")
          .value();
  Resource other = NewResource("other");
  auto oc =
      repo_->CreateCommit(other.id, Changes({Element(NewUuid(), "Package")}), "alice").value();
  Resource app = NewResource("app");
  std::string own = NewUuid(), via_lib = NewUuid(), via_other = NewUuid();
  auto ac = repo_
                ->CreateCommit(app.id,
                               Changes({Element(own, "Package"), usage_of(via_other, other, oc),
                                        usage_of(via_lib, lib, lc)}),
                               "alice")
                .value();

  auto direct = repo_->GetProjectUsage(app.id, ac.id, in_lib);
  ASSERT_TRUE(direct.ok()) << direct.status().ToString();
  EXPECT_EQ(direct->value("@id", ""), via_lib);
  EXPECT_EQ((*direct)["usedProject"]["@id"], lib.id);
  // base's element comes in through the usage of library, which uses base.
  auto transitive = repo_->GetProjectUsage(app.id, ac.id, in_base);
  ASSERT_TRUE(transitive.ok()) << transitive.status().ToString();
  EXPECT_EQ(transitive->value("@id", ""), via_lib);

  auto mine = repo_->GetProjectUsage(app.id, ac.id, own);
  EXPECT_EQ(mine.status().code(), StatusCode::kNotFound);
  EXPECT_NE(mine.status().message().find("belongs to project " + app.id + " itself"),
            std::string::npos);
  auto nowhere = repo_->GetProjectUsage(app.id, ac.id, NewUuid());
  EXPECT_EQ(nowhere.status().code(), StatusCode::kNotFound);
  EXPECT_NE(nowhere.status().message().find("nor in a project it uses"), std::string::npos);
  // The library's own element is not brought in by a usage there.
  EXPECT_EQ(repo_->GetProjectUsage(lib.id, lc.id, in_lib).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(repo_->GetProjectUsage(lib.id, lc.id, in_base)->value("@id", "").empty(), false);
  // A commit of another project is not one of app's.
  EXPECT_EQ(repo_->GetProjectUsage(app.id, lc.id, in_lib).status().code(), StatusCode::kNotFound);
}

TEST_F(RepositoryTest, NamesAreUniqueAndCategoriesNest) {
  auto cat = repo_->CreateCategory({"Libraries", std::nullopt, ""}).value();
  auto sub = repo_->CreateCategory({"Mechanical", cat.id, ""}).value();
  EXPECT_EQ(repo_->CreateCategory({"Libraries", std::nullopt, ""}).status().code(),
            StatusCode::kConflict);
  auto r1 = repo_->CreateResource({"Bolts", std::nullopt, sub.id, std::string("P-1")}).value();
  EXPECT_EQ(repo_->CreateResource({"Bolts", std::nullopt, sub.id, std::nullopt}).status().code(),
            StatusCode::kConflict);
  EXPECT_EQ(repo_->CreateResource({"Other", std::nullopt, sub.id, std::string("P-1")}).status().code(),
            StatusCode::kConflict);
  CategoryPatch cycle;
  cycle.parent_id = sub.id;
  EXPECT_EQ(repo_->UpdateCategory(cat.id, cycle).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(repo_->DeleteCategory(sub.id).code(), StatusCode::kConflict);
  ASSERT_TRUE(repo_->DeleteResource(r1.id).ok());
  EXPECT_TRUE(repo_->DeleteCategory(sub.id).ok());
}

TEST_F(RepositoryTest, ChangeFeedReportsEventsInOrderAndWaits) {
  auto before = repo_->Changes(0, 1000, std::chrono::milliseconds(0)).value();
  int64_t since = before.empty() ? 0 : before.back().seq;
  Resource r = NewResource("feed");
  ResourcePatch rename;
  rename.name = "feed2";
  ASSERT_TRUE(repo_->UpdateResource(r.id, rename).ok());
  auto events = repo_->Changes(since, 100, std::chrono::milliseconds(0)).value();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "resource.created");
  EXPECT_EQ(events[1].type, "resource.renamed");
  EXPECT_LT(events[0].seq, events[1].seq);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    (void)repo_->CreateCommit(r.id, Changes({Element(NewUuid(), "Part")}), "alice");
  });
  auto waited = repo_->Changes(events[1].seq, 100, std::chrono::seconds(10)).value();
  writer.join();
  ASSERT_EQ(waited.size(), 1u);
  EXPECT_EQ(waited[0].type, "commit.created");
}

TEST_F(RepositoryTest, CategoryLineageRunsFromTheCategoryToTheRoot) {
  Category a = repo_->CreateCategory({"a", std::nullopt, ""}).value();
  Category b = repo_->CreateCategory({"b", a.id, ""}).value();
  auto lineage = repo_->CategoryLineage(b.id);
  ASSERT_TRUE(lineage.ok()) << lineage.status().ToString();
  ASSERT_EQ(lineage->size(), 3u);
  EXPECT_EQ((*lineage)[0], b.id);
  EXPECT_EQ((*lineage)[1], a.id);
  EXPECT_EQ((*lineage)[2], *a.parent_id);  // the root
  EXPECT_EQ(repo_->CategoryLineage(NewUuid()).status().code(), StatusCode::kNotFound);
}

// ---- merge

// A project with four elements at `base` on main and a branch "feature" there.
struct MergeFixture {
  Resource r;
  Commit base;
  Branch feature;
  std::string a = NewUuid(), b = NewUuid(), c = NewUuid(), d = NewUuid();
};

class MergeTest : public RepositoryTest {
 protected:
  MergeFixture Start() {
    MergeFixture f;
    f.r = NewResource("merge");
    f.base = repo_
                 ->CreateCommit(f.r.id,
                                Changes({Element(f.a, "PartUsage", {{"name", "a"}}),
                                         Element(f.b, "PartUsage", {{"name", "b"}}),
                                         Element(f.c, "PartUsage", {{"name", "c"}}),
                                         Element(f.d, "PartUsage", {{"name", "d"}})}),
                                "alice")
                 .value();
    f.feature = repo_->CreateBranch(f.r.id, "feature", f.base.id).value();
    return f;
  }
  Commit On(const MergeFixture& f, const std::optional<std::string>& branch, CommitRequest req) {
    req.branch_id = branch;
    auto c = repo_->CreateCommit(f.r.id, req, "alice");
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.value();
  }
  Result<MergeOutcome> MergeInto(const MergeFixture& f, const std::string& source,
                                 std::vector<ElementChange> resolutions = {}) {
    MergeRequest req{f.r.default_branch_id, source, std::nullopt, std::move(resolutions)};
    return repo_->Merge(f.r.id, req, "bob");
  }
  std::optional<std::string> NameAt(const MergeFixture& f, const std::string& commit,
                                    const std::string& element) {
    auto e = repo_->GetElement(f.r.id, commit, element);
    if (!e.ok()) return std::nullopt;
    return e.value().value("name", "");
  }
  static CommitRequest Delete(const std::string& id) {
    CommitRequest req;
    req.changes.push_back({id, nullptr});
    return req;
  }
};

TEST_F(MergeTest, EachSidesChangesMeetInACommitWithTwoParents) {
  MergeFixture f = Start();
  std::string e = NewUuid();
  On(f, f.feature.id,
     Changes({Element(f.a, "PartUsage", {{"name", "a2"}}), Element(e, "PartUsage")}));
  Commit theirs = On(f, f.feature.id, Delete(f.b));
  Commit ours = On(f, std::nullopt, Changes({Element(f.c, "PartUsage", {{"name", "c2"}})}));

  auto merged = MergeInto(f, theirs.id);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  ASSERT_TRUE(merged->created);
  ASSERT_TRUE(merged->conflicts.empty());
  const Commit& m = *merged->commit;
  EXPECT_EQ(m.parents, (std::vector<std::string>{ours.id, theirs.id}));
  EXPECT_EQ(m.author, "bob");
  EXPECT_NE(m.description.value_or("").find(theirs.id), std::string::npos);
  EXPECT_EQ(repo_->GetBranch(f.r.id, f.r.default_branch_id)->head, m.id);
  EXPECT_EQ(NameAt(f, m.id, f.a), "a2");
  EXPECT_EQ(NameAt(f, m.id, f.b), std::nullopt);
  EXPECT_EQ(NameAt(f, m.id, f.c), "c2");
  EXPECT_EQ(NameAt(f, m.id, f.d), "d");
  EXPECT_TRUE(NameAt(f, m.id, e).has_value());
  EXPECT_EQ(m.element_count, 4u);
  // Its hash chains both parents; its change set is relative to the first.
  EXPECT_EQ(ComputeCommitHash(m, {ours.hash, theirs.hash}).value(), m.hash);
  auto changes = repo_->ListChanges(f.r.id, m.id, {std::nullopt, std::nullopt, 10}).value();
  std::set<std::string> changed;
  for (const auto& ch : changes.items) changed.insert(ch.change.element_id);
  EXPECT_EQ(changed, (std::set<std::string>{f.a, f.b, e}));
  // The feature branch is untouched; the merge shows in main's history.
  EXPECT_EQ(repo_->GetBranch(f.r.id, f.feature.id)->head, theirs.id);
  auto history = repo_->ListBranchCommits(f.r.id, f.r.default_branch_id, {}).value();
  EXPECT_EQ(history.items.size(), 5u);  // merge, ours, theirs, its parent, base

  // Merging it again has nothing to do and stores nothing.
  auto again = MergeInto(f, theirs.id);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->commit->id, m.id);
  EXPECT_EQ(repo_->CountCommits(f.r.id).value(), 5u);
}

TEST_F(MergeTest, TheBaseIsTheNewestCommonAncestorSoOnlyNewChangesCount) {
  MergeFixture f = Start();
  Commit t1 = On(f, f.feature.id, Changes({Element(f.a, "PartUsage", {{"name", "a2"}})}));
  On(f, std::nullopt, Changes({Element(f.c, "PartUsage", {{"name", "c2"}})}));
  ASSERT_TRUE(MergeInto(f, t1.id)->created);
  // Both lines went on: after the first merge, its source is the base, so
  // main's older copy of a2 is not a change of main's.
  Commit t2 = On(f, f.feature.id, Changes({Element(f.a, "PartUsage", {{"name", "a3"}})}));
  On(f, std::nullopt, Changes({Element(f.d, "PartUsage", {{"name", "d2"}})}));
  auto second = MergeInto(f, t2.id);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_TRUE(second->conflicts.empty());
  EXPECT_EQ(NameAt(f, second->commit->id, f.a), "a3");
  EXPECT_EQ(NameAt(f, second->commit->id, f.c), "c2");
  EXPECT_EQ(NameAt(f, second->commit->id, f.d), "d2");

  // Main merged into the feature branch: the feature head is then an
  // ancestor of main's, and the merge commit holds main's whole state.
  MergeRequest back{f.feature.id, second->commit->id, "catch up", {}};
  auto caught = repo_->Merge(f.r.id, back, "bob");
  ASSERT_TRUE(caught.ok()) << caught.status().ToString();
  ASSERT_TRUE(caught->created);
  EXPECT_EQ(caught->commit->description, "catch up");
  EXPECT_EQ(caught->commit->state_root, second->commit->state_root);
}

TEST_F(MergeTest, ConflictsAreListedAndStoreNothingUntilResolved) {
  MergeFixture f = Start();
  Commit theirs = On(f, f.feature.id,
                     Changes({Element(f.a, "PartUsage", {{"name", "a-theirs"}}),
                              Element(f.b, "PartUsage", {{"name", "b-theirs"}}),
                              Element(f.c, "PartUsage", {{"name", "same"}}),
                              Element(f.d, "PartUsage", {{"name", "d-theirs"}})}));
  On(f, std::nullopt,
     Changes({Element(f.a, "PartUsage", {{"name", "a-ours"}}),
              Element(f.c, "PartUsage", {{"name", "same"}})}));
  Commit ours = On(f, std::nullopt, Delete(f.b));
  uint64_t commits = repo_->CountCommits(f.r.id).value();

  auto merged = MergeInto(f, theirs.id);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_FALSE(merged->created);
  EXPECT_FALSE(merged->commit.has_value());
  std::vector<std::string> expected{f.a, f.b};  // c changed alike on both sides; d only theirs
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(merged->conflicts, expected);
  EXPECT_EQ(repo_->CountCommits(f.r.id).value(), commits);
  EXPECT_EQ(repo_->GetBranch(f.r.id, f.r.default_branch_id)->head, ours.id);

  // A resolution for an element that does not conflict is refused.
  auto stray = MergeInto(f, theirs.id, {{f.d, Element(f.d, "PartUsage", {{"name", "x"}})}});
  EXPECT_EQ(stray.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(stray.status().message().find(f.d), std::string::npos);
  // One resolved, one not: still a conflict, still nothing stored.
  auto half = MergeInto(f, theirs.id, {{f.a, Element(f.a, "PartUsage", {{"name", "a-merged"}})}});
  ASSERT_TRUE(half.ok());
  EXPECT_EQ(half->conflicts, std::vector<std::string>{f.b});
  EXPECT_EQ(repo_->CountCommits(f.r.id).value(), commits);

  // Both resolved: a keeps the merged version, b stays deleted.
  auto done = MergeInto(f, theirs.id,
                        {{f.a, Element(f.a, "PartUsage", {{"name", "a-merged"}})}, {f.b, nullptr}});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  ASSERT_TRUE(done->created);
  const std::string m = done->commit->id;
  EXPECT_EQ(NameAt(f, m, f.a), "a-merged");
  EXPECT_EQ(NameAt(f, m, f.b), std::nullopt);
  EXPECT_EQ(NameAt(f, m, f.c), "same");
  EXPECT_EQ(NameAt(f, m, f.d), "d-theirs");
}

TEST_F(MergeTest, RefusedOnReadOnlyCopiesAndForCommitsOfOtherProjects) {
  MergeFixture f = Start();
  Commit theirs = On(f, f.feature.id, Changes({Element(f.a, "PartUsage", {{"name", "a2"}})}));
  Resource other = NewResource("other");
  Commit foreign =
      repo_->CreateCommit(other.id, Changes({Element(NewUuid(), "Part")}), "alice").value();
  EXPECT_EQ(MergeInto(f, foreign.id).status().code(), StatusCode::kNotFound);
  MergeRequest unknown_branch{NewUuid(), theirs.id, std::nullopt, {}};
  EXPECT_EQ(repo_->Merge(f.r.id, unknown_branch, "bob").status().code(), StatusCode::kNotFound);
  MergeRequest bad_text{f.r.default_branch_id, theirs.id, std::string("\x1b[31mred"), {}};
  EXPECT_EQ(repo_->Merge(f.r.id, bad_text, "bob").status().code(), StatusCode::kInvalidArgument);

  ResourcePatch lock;
  lock.read_only = true;
  ASSERT_TRUE(repo_->UpdateResource(f.r.id, lock).ok());
  auto refused = MergeInto(f, theirs.id);
  EXPECT_EQ(refused.status().code(), StatusCode::kReadOnly);
  EXPECT_EQ(repo_->GetBranch(f.r.id, f.r.default_branch_id)->head, f.base.id);
}

}  // namespace
}  // namespace tandem
