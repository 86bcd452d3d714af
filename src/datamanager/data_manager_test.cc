#include "datamanager/data_manager.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "auth/authenticator.h"
#include "common/ids.h"
#include "datamanager/command_log.h"
#include "repo/repository.h"
#include "store/sqlite/sqlite_store.h"
#include "sync/remote_config.h"
#include "testing/common/fake_clock.h"

namespace tandem::datamanager {
namespace {

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

Json Element(const std::string& id, const std::string& type, Json extra = Json::object()) {
  Json e = std::move(extra);
  e["@id"] = id;
  e["@type"] = type;
  return e;
}

CommitRequest Changes(std::vector<Json> payloads, std::optional<std::string> branch = std::nullopt) {
  CommitRequest req;
  req.branch_id = std::move(branch);
  for (auto& p : payloads) req.changes.push_back({p["@id"].get<std::string>(), p});
  return req;
}

// Elements with enough text that each version is stored on its own.
std::vector<Json> Parts(const std::string& prefix, int n) {
  std::vector<Json> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(Element(DerivedUuid(prefix + std::to_string(i)), "PartDefinition",
                          {{"declaredName", prefix + " part " + std::to_string(i)},
                           {"documentation", std::string(200, static_cast<char>('a' + i % 26))}}));
  }
  return out;
}

class DataManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem-dm-" + RandomHex(6));
    std::filesystem::create_directories(dir_);
    Open();
    ASSERT_TRUE(repo_->Bootstrap().ok());
    ASSERT_TRUE(auth_->BootstrapAdmin(std::string("admin-password-1")).ok());
  }
  void TearDown() override {
    Close();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    store_ = std::move(SqliteStore::Open(Db()).value());
    repo_ = std::make_unique<Repository>(*store_, clock_);
    auth_ = std::make_unique<Authenticator>(*store_, clock_);
  }
  void Close() {
    auth_.reset();
    repo_.reset();
    store_.reset();
  }
  std::string Db() const { return (dir_ / "tandem.db").string(); }

  Outcome Run(std::vector<std::string> args, bool with_store = true) {
    if (with_store) args.insert(args.begin(), {"--data-dir", dir_.string()});
    std::ostringstream out, err;
    Environment env = SystemEnvironment();
    env.err_is_terminal = false;
    int code = RunDataManager(args, out, err, env);
    return {code, out.str(), err.str()};
  }

  Resource NewResource(const std::string& name, std::optional<std::string> category = std::nullopt) {
    auto r = repo_->CreateResource({name, std::nullopt, std::move(category), std::nullopt});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.value();
  }
  Commit CommitTo(const Resource& r, std::vector<Json> payloads,
                  std::optional<std::string> branch = std::nullopt) {
    auto c = repo_->CreateCommit(r.id, Changes(std::move(payloads), std::move(branch)), "admin");
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.value();
  }
  // Branches and commits one second apart: a commit counts as made on a branch
  // (for -drb --includeChildBranch) only when it is newer than the branch.
  Branch ForkLater(const Resource& r, const std::string& name, const Commit& at) {
    clock_.Advance(std::chrono::seconds(1));
    auto b = repo_->CreateBranch(r.id, name, at.id);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.value();
  }
  Commit CommitLater(const Resource& r, std::vector<Json> payloads, const Branch& branch) {
    clock_.Advance(std::chrono::seconds(1));
    return CommitTo(r, std::move(payloads), branch.id);
  }
  ContentCounts Counts() {
    auto txn = store_->BeginRead().value();
    return txn->CountContent().value();
  }
  void SetReadOnly(const Resource& r) {
    ResourcePatch patch;
    patch.read_only = true;
    ASSERT_TRUE(repo_->UpdateResource(r.id, patch).ok());
  }
  bool IsReadOnly(const std::string& id) { return repo_->GetResource(id)->read_only; }
  // A remote configuration record as the sync engine stores it.
  std::string AddConfig(const std::string& name, std::vector<std::string> resources,
                        std::vector<std::string> categories, bool once, bool enabled,
                        const std::string& state = "{}") {
    RemoteConfigSpec spec;
    spec.name = name;
    spec.source_url = "http://127.0.0.1:9";
    spec.username = "puller";
    spec.resources = std::move(resources);
    spec.categories = std::move(categories);
    spec.target_category_id = repo_->RootCategoryId().value();
    spec.trigger = TriggerType::kCommit;
    spec.once = once;
    spec.enabled = enabled;
    std::string id = NewUuid();
    auto txn = store_->BeginWrite().value();
    EXPECT_TRUE(txn->InsertRemoteConfig(RemoteConfig{id, name, SpecToJson(spec).dump(), "sealed",
                                                     state, clock_.NowMicros()})
                    .ok());
    EXPECT_TRUE(txn->CommitTransaction().ok());
    return id;
  }
  // Changes one byte of a stored row, as disk damage would.
  void Damage(const std::string& sql_select, const std::string& table, const std::string& column,
              const std::string& key_column) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(Db().c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, sql_select.c_str(), -1, &s, nullptr), SQLITE_OK) << sql_select;
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    std::string key(static_cast<const char*>(sqlite3_column_blob(s, 0)), sqlite3_column_bytes(s, 0));
    std::string value(static_cast<const char*>(sqlite3_column_blob(s, 1)), sqlite3_column_bytes(s, 1));
    sqlite3_finalize(s);
    value[value.size() / 2] ^= 0x01;
    std::string update = "UPDATE " + table + " SET " + column + " = ? WHERE " + key_column + " = ?";
    ASSERT_EQ(sqlite3_prepare_v2(db, update.c_str(), -1, &s, nullptr), SQLITE_OK);
    sqlite3_bind_blob(s, 1, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    if (key_column == "id") {
      sqlite3_bind_text(s, 2, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_blob(s, 2, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
    }
    ASSERT_EQ(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    sqlite3_close(db);
  }
  std::string Log() {
    std::ifstream in(dir_ / "datamanager.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Repository> repo_;
  std::unique_ptr<Authenticator> auth_;
};

TEST_F(DataManagerTest, HelpAndVersionNeedNoStore) {
  for (const char* help : {"-help", "--help"}) {
    auto r = Run({help}, false);
    EXPECT_EQ(r.code, kExitOk);
    EXPECT_NE(r.out.find("-rrof, --remove-read-only-flag"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Exit codes"), std::string::npos);
  }
  auto v = Run({"-version"}, false);
  EXPECT_EQ(v.code, kExitOk);
  EXPECT_EQ(v.out.rfind("datamanager ", 0), 0u) << v.out;
}

TEST_F(DataManagerTest, BadCommandLinesAndUnreadableStoresChangeNothing) {
  Resource r = NewResource("keep");
  auto unknown = Run({"-xyz"});
  EXPECT_EQ(unknown.code, kExitUsage);
  EXPECT_NE(unknown.err.find("unknown command or option '-xyz'"), std::string::npos) << unknown.err;
  EXPECT_EQ(Run({}).code, kExitUsage);  // no command
  EXPECT_EQ(Run({"-lr", "-lu"}).code, kExitUsage);
  auto misplaced = Run({"-lr", "--force"});
  EXPECT_EQ(misplaced.code, kExitUsage);
  EXPECT_NE(misplaced.err.find("--force does not apply to --list-resources"), std::string::npos);
  auto bad_id = Run({"-dr", "not-an-id"});
  EXPECT_EQ(bad_id.code, kExitUsage);
  EXPECT_NE(bad_id.err.find("'not-an-id' is not an id"), std::string::npos) << bad_id.err;
  EXPECT_NE(bad_id.err.find("nothing was changed"), std::string::npos);
  // One unknown id among good ones: nothing is deleted.
  auto unknown_id = Run({"-dr", r.id, NewUuid()});
  EXPECT_EQ(unknown_id.code, kExitRefused);
  EXPECT_NE(unknown_id.err.find("does not exist"), std::string::npos) << unknown_id.err;
  EXPECT_TRUE(repo_->GetResource(r.id).ok());
  EXPECT_EQ(Run({"--resourceID=,x", "-rrof"}).code, kExitUsage);

  auto nowhere = Run({"--data-dir", (dir_ / "nowhere").string(), "-lr"}, false);
  EXPECT_EQ(nowhere.code, kExitNoStore);
  EXPECT_NE(nowhere.err.find("no Tandem store at"), std::string::npos) << nowhere.err;
  auto no_location = Run({"-lr"}, false);
  EXPECT_EQ(no_location.code, kExitUsage);
  EXPECT_NE(no_location.err.find("--config application.conf or --data-dir"), std::string::npos);

  std::filesystem::create_directories(dir_ / "junk");
  std::ofstream(dir_ / "junk" / "tandem.db") << "this is not a database, just some text......";
  auto junk = Run({"--data-dir", (dir_ / "junk").string(), "-lr"}, false);
  EXPECT_EQ(junk.code, kExitNoStore);
  EXPECT_NE(junk.err.find("cannot open the store"), std::string::npos) << junk.err;
}

TEST_F(DataManagerTest, FindsTheStoreThroughTheConfigurationFile) {
  std::string conf = (dir_ / "application.conf").string();
  std::ofstream(conf) << "server.data-dir = \"" << dir_.string() << "\"\n";
  NewResource("via-config");
  auto r = Run({"--config", conf, "--list-resources"}, false);
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("via-config"), std::string::npos) << r.out;
  auto missing = Run({"--config", (dir_ / "none.conf").string(), "-lr"}, false);
  EXPECT_EQ(missing.code, kExitNoStore);
}

TEST_F(DataManagerTest, ListsResourcesWithOriginSizeAndLastCommit) {
  Resource local = NewResource("local-model");
  CommitTo(local, Parts("a", 3));
  Commit last = CommitTo(local, Parts("b", 2));
  Resource src{NewUuid(), NewUuid(), "copied-model", std::nullopt, "", false, "", clock_.NowMicros(),
               NewUuid()};
  Json origin = {{"server", "http://source:8111"}, {"serverId", NewUuid()},
                 {"configuration", NewUuid()}, {"configurationName", "nightly"}, {"chain", Json::array()}};
  ASSERT_TRUE(repo_->CreateMirror(src, repo_->RootCategoryId().value(), origin.dump()).ok());

  auto json = Run({"-lr", "--json"});
  ASSERT_EQ(json.code, kExitOk) << json.err;
  Json list = Json::parse(json.out);
  ASSERT_EQ(list.size(), 2u);
  for (const auto& r : list) {
    if (r["id"] == local.id) {
      EXPECT_EQ(r["projectId"], local.project_id);
      EXPECT_EQ(r["name"], "local-model");
      EXPECT_EQ(r["category"], "/");
      EXPECT_EQ(r["readOnly"], false);
      EXPECT_TRUE(r["origin"].is_null());
      EXPECT_EQ(r["size"]["commits"], 2);
      EXPECT_EQ(r["size"]["elementVersions"], 5);
      EXPECT_GT(r["size"]["bytes"].get<uint64_t>(), 5u * 200);
      EXPECT_EQ(r["lastCommit"]["id"], last.id);
      EXPECT_EQ(r["lastCommit"]["hash"], ToHex(last.hash));
    } else {
      EXPECT_EQ(r["id"], src.id);
      EXPECT_EQ(r["readOnly"], true);
      EXPECT_EQ(r["origin"]["configurationName"], "nightly");
      EXPECT_TRUE(r["lastCommit"].is_null());
    }
  }
  auto text = Run({"--list-resources"});
  ASSERT_EQ(text.code, kExitOk);
  EXPECT_NE(text.out.find("PROJECT ID"), std::string::npos);
  EXPECT_NE(text.out.find("copy from http://source:8111 (nightly)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(last.id), std::string::npos);
}

// Metadata an older server stored from a hostile source: the table shows
// escapes, never the raw ESC, CR or LF that cleared the screen or faked rows.
TEST_F(DataManagerTest, ListResourcesEscapesControlCharactersInNamesAndIds) {
  Resource r = NewResource("plain");
  {
    auto txn = store_->BeginWrite().value();
    Resource hostile = txn->GetResource(r.id).value().value();
    hostile.name = "Drone\x1b[2J\r\nfake-row\x07";
    hostile.project_id = std::string("PRJ\0\x1b]0;owned\x07", 14);
    ASSERT_TRUE(txn->UpdateResource(hostile).ok());
    ASSERT_TRUE(txn->CommitTransaction().ok());
  }
  auto text = Run({"-lr"});
  ASSERT_EQ(text.code, kExitOk) << text.err;
  EXPECT_NE(text.out.find("Drone\\x1b[2J\\x0d\\x0afake-row\\x07"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("PRJ\\x00\\x1b]0;owned\\x07"), std::string::npos) << text.out;
  for (char c : {'\x1b', '\r', '\x07', '\0'}) {
    EXPECT_EQ(text.out.find(c), std::string::npos) << static_cast<int>(c) << " in " << text.out;
  }
  // Two lines: the header and the one resource.
  EXPECT_EQ(std::count(text.out.begin(), text.out.end(), '\n'), 2) << text.out;
}

TEST_F(DataManagerTest, DeleteResourceRemovesItsHistoryAndFreesWhatNothingElseUses) {
  Resource doomed = NewResource("doomed");
  Resource kept = NewResource("kept");
  std::vector<Json> shared = Parts("shared", 2);  // the same versions in both resources
  std::vector<Json> first = Parts("doomed", 40);
  first.insert(first.end(), shared.begin(), shared.end());
  CommitTo(doomed, first);
  CommitTo(doomed, Parts("doomed-2", 10));
  Commit kept_head = CommitTo(kept, shared);
  ContentCounts before = Counts();

  auto r = Run({"-dr", doomed.id});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("deleted 1 resource(s): 'doomed'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("freed 50 element versions"), std::string::npos) << r.out;
  EXPECT_EQ(repo_->GetResource(doomed.id).status().code(), StatusCode::kNotFound);
  ContentCounts after = Counts();
  EXPECT_EQ(after.element_versions, before.element_versions - 50);
  EXPECT_LT(after.trie_nodes, before.trie_nodes);
  EXPECT_LT(after.element_version_bytes + after.trie_node_bytes,
            before.element_version_bytes + before.trie_node_bytes);
  // What the kept resource uses is intact, and a second collection finds nothing.
  auto elements = repo_->ListElements(kept.id, kept_head.id, PageRequest{});
  ASSERT_TRUE(elements.ok()) << elements.status().ToString();
  EXPECT_EQ(elements->items.size(), 2u);
  EXPECT_EQ(Run({"--verify"}).code, kExitOk);
  auto again = Run({"-gc"});
  EXPECT_EQ(again.code, kExitOk);
  EXPECT_NE(again.out.find("freed 0 element versions (0 B) and 0 trie nodes"), std::string::npos)
      << again.out;
  EXPECT_NE(Log().find("args=[--data-dir " + dir_.string() + " -dr " + doomed.id + "] exit=0"),
            std::string::npos)
      << Log();
}

TEST_F(DataManagerTest, AResourceOthersUseIsDeletedOnlyWithThemOrByForce) {
  Resource lib = NewResource("lib");
  Commit lib_commit = CommitTo(lib, Parts("lib", 2));
  Resource app = NewResource("app");
  std::string usage = NewUuid();
  CommitTo(app, {Element(usage, "ProjectUsage", {{"usedProject", {{"@id", lib.id}}},
                                                  {"usedCommit", {{"@id", lib_commit.id}}}})});
  auto refused = Run({"--delete-resource", lib.id});
  EXPECT_EQ(refused.code, kExitRefused);
  EXPECT_NE(refused.err.find("is used (ProjectUsage) by project(s) " + app.id), std::string::npos)
      << refused.err;
  EXPECT_TRUE(repo_->GetResource(lib.id).ok());
  auto together = Run({"-dr", lib.id, app.id});
  EXPECT_EQ(together.code, kExitOk) << together.err;
  EXPECT_EQ(repo_->GetResource(app.id).status().code(), StatusCode::kNotFound);

  Resource lib2 = NewResource("lib2");
  Commit lib2_commit = CommitTo(lib2, Parts("lib2", 1));
  Resource app2 = NewResource("app2");
  CommitTo(app2, {Element(NewUuid(), "ProjectUsage", {{"usedProject", {{"@id", lib2.id}}},
                                                       {"usedCommit", {{"@id", lib2_commit.id}}}})});
  EXPECT_EQ(Run({"-dr", lib2.id, "--force"}).code, kExitOk);
  EXPECT_EQ(repo_->GetResource(lib2.id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(repo_->GetResource(app2.id).ok());
}

TEST_F(DataManagerTest, DeleteBranchTakesItsOwnCommitsAndOptionallyItsChildren) {
  Resource r = NewResource("branched");
  Commit c1 = CommitTo(r, Parts("base", 3));
  auto build = [&](const std::string& tag) {
    Branch feature = ForkLater(r, "feature" + tag, c1);
    Commit c2 = CommitLater(r, Parts("feature" + tag, 2), feature);
    Branch child = ForkLater(r, "child" + tag, c2);
    CommitLater(r, Parts("child" + tag, 2), child);
    Branch sibling = repo_->CreateBranch(r.id, "sibling" + tag, c1.id).value();
    return std::vector<Branch>{feature, child, sibling};
  };
  auto one = build("1");
  auto alone = Run({"-drb", "--resourceID=" + r.id, "--branchID=" + one[0].id});
  ASSERT_EQ(alone.code, kExitOk) << alone.err;
  EXPECT_NE(alone.out.find("deleted 1 branch(es)"), std::string::npos) << alone.out;
  EXPECT_NE(alone.out.find("and 0 commit(s)"), std::string::npos) << alone.out;  // the child keeps them
  EXPECT_TRUE(repo_->GetBranch(r.id, one[1].id).ok());

  auto two = build("2");
  uint64_t commits_before = repo_->CountCommits(r.id).value();
  auto with_children = Run({"--delete-branch", "--resourceID", r.id, "--branchID=" + two[0].id,
                            "--includeChildBranch"});
  ASSERT_EQ(with_children.code, kExitOk) << with_children.err;
  EXPECT_NE(with_children.out.find("deleted 2 branch(es)"), std::string::npos) << with_children.out;
  EXPECT_NE(with_children.out.find("and 2 commit(s)"), std::string::npos) << with_children.out;
  EXPECT_EQ(repo_->CountCommits(r.id).value(), commits_before - 2);
  EXPECT_EQ(repo_->GetBranch(r.id, two[1].id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(repo_->GetBranch(r.id, two[2].id).ok());  // a sibling is not a child
  EXPECT_EQ(Run({"--verify"}).code, kExitOk);

  auto main_branch = Run({"-drb", "--resourceID=" + r.id, "--branchID=" + r.default_branch_id});
  EXPECT_EQ(main_branch.code, kExitRefused);
  EXPECT_NE(main_branch.err.find("is the default branch"), std::string::npos);
  EXPECT_EQ(Run({"-drb", "--branchID=" + two[2].id}).code, kExitUsage);  // no resource
}

// Branch names of the resource, sorted.
std::vector<std::string> BranchNames(Repository& repo, const std::string& resource_id) {
  std::vector<std::string> names;
  auto page = repo.ListBranches(resource_id, PageRequest{}).value();  // kept alive for the loop
  for (const auto& b : page.items) {
    names.push_back(b.name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST_F(DataManagerTest, IncludeChildBranchNeverTakesTheBranchFeatureWasForkedFrom) {
  Resource r = NewResource("forks");
  Commit c1 = CommitTo(r, Parts("main", 2));
  Branch develop = ForkLater(r, "develop", c1);
  Commit d1 = CommitLater(r, Parts("d1-", 2), develop);
  // Forked from develop after develop's own commit d1, which the default branch lacks.
  Branch feature = ForkLater(r, "feature", d1);
  Branch sibling = ForkLater(r, "sibling", d1);  // same fork as feature
  Commit f1 = CommitLater(r, Parts("f1-", 2), feature);
  Commit d2 = CommitLater(r, Parts("d2-", 2), develop);
  Commit s1 = CommitLater(r, Parts("s1-", 1), sibling);
  Branch at_head = ForkLater(r, "at-head", f1);  // no commit of its own
  Branch child = ForkLater(r, "child", f1);
  Commit ch1 = CommitLater(r, Parts("ch1-", 1), child);
  Branch grandchild = ForkLater(r, "grandchild", ch1);
  Commit g1 = CommitLater(r, Parts("g1-", 1), grandchild);
  Commit f2 = CommitLater(r, Parts("f2-", 1), feature);  // after child was forked
  ASSERT_EQ(repo_->CountCommits(r.id).value(), 8u);

  auto run = Run({"-drb", "--resourceID=" + r.id, "--branchID=" + feature.id,
                  "--includeChildBranch"});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_NE(run.out.find("deleted 4 branch(es)"), std::string::npos) << run.out;
  // f1, f2, ch1, g1: feature's own commits and its children's; nothing of develop's.
  EXPECT_NE(run.out.find("and 4 commit(s)"), std::string::npos) << run.out;
  EXPECT_EQ(BranchNames(*repo_, r.id), (std::vector<std::string>{"develop", "main", "sibling"}));
  for (const Commit* gone : {&f1, &f2, &ch1, &g1}) {
    EXPECT_EQ(repo_->GetCommit(r.id, gone->id).status().code(), StatusCode::kNotFound) << gone->id;
  }
  for (const Commit* kept : {&c1, &d1, &d2, &s1}) {
    EXPECT_TRUE(repo_->GetCommit(r.id, kept->id).ok()) << kept->id;
  }
  EXPECT_EQ(repo_->GetBranch(r.id, develop.id).value().head, d2.id);
  auto develop_elements = repo_->ListElements(r.id, d2.id, PageRequest{});
  ASSERT_TRUE(develop_elements.ok()) << develop_elements.status().ToString();
  EXPECT_EQ(develop_elements->items.size(), 6u);  // main's 2, d1's 2, d2's 2
  auto sibling_elements = repo_->ListElements(r.id, s1.id, PageRequest{});
  ASSERT_TRUE(sibling_elements.ok()) << sibling_elements.status().ToString();
  EXPECT_EQ(sibling_elements->items.size(), 5u);
  EXPECT_EQ(repo_->GetBranch(r.id, at_head.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Run({"--verify"}).code, kExitOk);
  EXPECT_EQ(Run({"-gc"}).code, kExitOk);
  EXPECT_EQ(Run({"--verify"}).code, kExitOk);
}

TEST_F(DataManagerTest, IncludeChildBranchTakesNothingElseWhenTheBranchHasNoCommitOfItsOwn) {
  Resource r = NewResource("pointer");
  Commit c1 = CommitTo(r, Parts("main", 1));
  Branch develop = ForkLater(r, "develop", c1);
  Commit d1 = CommitLater(r, Parts("d1-", 1), develop);
  Commit d2 = CommitLater(r, Parts("d2-", 1), develop);
  // Both point into develop's history and made no commit: the graph looks as if
  // develop had been forked from them, but develop is older than d1 and d2.
  Branch old_point = ForkLater(r, "old-point", d1);
  Branch at_head = ForkLater(r, "at-head", d2);

  for (const Branch* b : {&old_point, &at_head}) {
    auto run = Run({"-drb", "--resourceID=" + r.id, "--branchID=" + b->id, "--includeChildBranch"});
    ASSERT_EQ(run.code, kExitOk) << run.err;
    EXPECT_NE(run.out.find("deleted 1 branch(es)"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("and 0 commit(s)"), std::string::npos) << run.out;
  }
  EXPECT_EQ(BranchNames(*repo_, r.id), (std::vector<std::string>{"develop", "main"}));
  EXPECT_EQ(repo_->GetBranch(r.id, develop.id).value().head, d2.id);
  EXPECT_EQ(repo_->CountCommits(r.id).value(), 3u);
  auto elements = repo_->ListElements(r.id, d2.id, PageRequest{});
  ASSERT_TRUE(elements.ok()) << elements.status().ToString();
  EXPECT_EQ(elements->items.size(), 3u);
  EXPECT_EQ(Run({"--verify"}).code, kExitOk);
}

TEST_F(DataManagerTest, ListsAndDeletesUsersButNeverTheLastAdministrator) {
  ASSERT_TRUE(auth_->CreateUser("bob", "bob-password", Role::kWriter).ok());
  ASSERT_TRUE(auth_->CreateUser("carol", "carol-password", Role::kReader).ok());
  auto list = Run({"-lu", "--json"});
  ASSERT_EQ(list.code, kExitOk);
  Json users = Json::parse(list.out);
  ASSERT_EQ(users.size(), 3u);
  EXPECT_EQ(users[0]["name"], "admin");
  EXPECT_EQ(users[0]["role"], "admin");
  EXPECT_EQ(list.out.find("argon2"), std::string::npos);  // no password hashes

  auto unknown = Run({"-du", "bob", "nobody"});
  EXPECT_EQ(unknown.code, kExitRefused);
  EXPECT_TRUE(auth_->CheckPassword("bob", "bob-password").ok());  // nothing deleted
  auto deleted = Run({"--delete-user", "bob", "carol"});
  EXPECT_EQ(deleted.code, kExitOk) << deleted.err;
  EXPECT_EQ(auth_->CheckPassword("bob", "bob-password").status().code(),
            StatusCode::kUnauthenticated);
  auto last_admin = Run({"-du", "admin"});
  EXPECT_EQ(last_admin.code, kExitRefused);
  EXPECT_NE(last_admin.err.find("no administrator"), std::string::npos);
}

TEST_F(DataManagerTest, RemoveReadOnlyFlagRefusesWhatAnActiveConfigurationStillSynchronizes) {
  Resource synced = NewResource("synced");
  Resource offloaded = NewResource("offloaded");
  SetReadOnly(synced);
  SetReadOnly(offloaded);
  std::string ongoing = AddConfig("nightly-from-plant", {synced.id}, {}, false, true);
  AddConfig("finished-offload", {offloaded.id}, {}, true, true, R"({"completed": true})");
  AddConfig("switched-off", {synced.id, offloaded.id}, {}, false, false);

  auto refused = Run({"-rrof", "--resourceID=" + synced.id + "," + offloaded.id});
  EXPECT_EQ(refused.code, kExitRefused);
  EXPECT_NE(refused.err.find("ongoing remote configuration 'nightly-from-plant' (" + ongoing + ")"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(refused.err.find("finished-offload"), std::string::npos) << refused.err;
  EXPECT_TRUE(IsReadOnly(synced.id));
  EXPECT_TRUE(IsReadOnly(offloaded.id));  // one transaction: nothing changed

  auto done = Run({"-rrof", "--resourceID=" + offloaded.id});
  EXPECT_EQ(done.code, kExitOk) << done.err;
  EXPECT_FALSE(IsReadOnly(offloaded.id));

  auto forced = Run({"--remove-read-only-flag", "--resourceID=" + synced.id, "--force"});
  EXPECT_EQ(forced.code, kExitOk) << forced.err;
  EXPECT_NE(forced.err.find("'detached'"), std::string::npos) << forced.err;
  EXPECT_FALSE(IsReadOnly(synced.id));
}

TEST_F(DataManagerTest, RemoveReadOnlyFlagCoversCategoriesAndTheirSubCategories) {
  Category top = repo_->CreateCategory({"archive", std::nullopt, ""}).value();
  Category sub = repo_->CreateCategory({"2019", top.id, ""}).value();
  Category other = repo_->CreateCategory({"other", std::nullopt, ""}).value();
  Resource in_top = NewResource("in-top", top.id);
  Resource in_sub = NewResource("in-sub", sub.id);
  Resource outside = NewResource("outside", other.id);
  for (const auto& r : {in_top, in_sub, outside}) SetReadOnly(r);
  {
    auto txn = store_->BeginWrite().value();
    Category flagged = sub;
    flagged.read_only = true;
    ASSERT_TRUE(txn->UpdateCategory(flagged).ok());
    ASSERT_TRUE(txn->CommitTransaction().ok());
  }
  // A configuration selecting the sub-category by id covers what is in it.
  std::string cfg = AddConfig("by-category", {}, {sub.id}, false, true);
  auto refused = Run({"-rrof", "--categoryID=" + top.id});
  EXPECT_EQ(refused.code, kExitRefused);
  EXPECT_NE(refused.err.find("'in-sub'"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("selects its category " + sub.id), std::string::npos) << refused.err;
  {
    auto txn = store_->BeginWrite().value();
    ASSERT_TRUE(txn->DeleteRemoteConfig(cfg).ok());
    ASSERT_TRUE(txn->CommitTransaction().ok());
  }
  auto r = Run({"-rrof", "--categoryID=" + top.id});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("from 2 resource(s)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("and 1 category(ies) '2019'"), std::string::npos) << r.out;
  EXPECT_FALSE(IsReadOnly(in_top.id));
  EXPECT_FALSE(IsReadOnly(in_sub.id));
  EXPECT_TRUE(IsReadOnly(outside.id));
  EXPECT_FALSE(repo_->GetCategory(sub.id)->read_only);
  EXPECT_EQ(Run({"-rrof"}).code, kExitUsage);
  EXPECT_EQ(Run({"-rrof", "--categoryID=" + NewUuid()}).code, kExitRefused);
}

TEST_F(DataManagerTest, VerifyReportsEachKindOfDamageWithProjectAndCommit) {
  Resource r = NewResource("checked");
  Commit c1 = CommitTo(r, Parts("v", 40));
  Commit c2 = CommitTo(r, Parts("w", 1));
  auto clean = Run({"--verify"});
  ASSERT_EQ(clean.code, kExitOk) << clean.out << clean.err;
  EXPECT_NE(clean.out.find("verified 1 project(s), 2 commit(s)"), std::string::npos) << clean.out;
  EXPECT_NE(clean.out.find("41 element version(s): 0 problem(s)"), std::string::npos) << clean.out;
  Close();

  Damage("SELECT hash, data FROM element_versions WHERE hash IN (SELECT version FROM commit_changes "
         "WHERE commit_seq = " + std::to_string(c1.seq) + ") LIMIT 1",
         "element_versions", "data", "hash");
  auto version = Run({"--verify", "--resourceID=" + r.id});
  EXPECT_EQ(version.code, kExitCorrupt);
  EXPECT_NE(version.out.find("CORRUPT project 'checked' (" + r.id + ") commit " + c1.id),
            std::string::npos)
      << version.out;
  EXPECT_NE(version.out.find("does not match its hash"), std::string::npos) << version.out;
  EXPECT_NE(version.err.find("1 problem(s)"), std::string::npos) << version.err;

  Damage("SELECT id, hash FROM commits WHERE id = '" + c2.id + "'", "commits", "hash", "id");
  auto commit = Run({"--verify"});
  EXPECT_EQ(commit.code, kExitCorrupt);
  EXPECT_NE(commit.out.find("commit " + c2.id + ": stored hash"), std::string::npos) << commit.out;

  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(Db().c_str(), &db), SQLITE_OK);
    std::string sql = "UPDATE commits SET element_count = 39 WHERE id = '" + c1.id + "'";
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto count = Run({"--verify"});
  EXPECT_EQ(count.code, kExitCorrupt);
  EXPECT_NE(count.out.find("commit " + c1.id + ": it records 39 elements but its elements trie holds 40"),
            std::string::npos)
      << count.out;

  Damage("SELECT hash, data FROM trie_nodes LIMIT 1", "trie_nodes", "data", "hash");
  auto node = Run({"--verify"});
  EXPECT_EQ(node.code, kExitCorrupt);
  EXPECT_NE(node.out.find("trie (root"), std::string::npos) << node.out;
  EXPECT_NE(Log().find("exit=5"), std::string::npos);
  Open();
}

TEST_F(DataManagerTest, GarbageCollectionRacingCommitsLosesNothing) {
  Resource busy = NewResource("busy");
  CommitTo(busy, Parts("busy", 5));
  std::atomic<bool> stop{false};
  std::atomic<int> commits{0};
  std::thread writer([&] {
    // Each commit rewrites elements that deleted resources also held, so it
    // references content a collection may be deciding about.
    for (int i = 0; !stop && i < 200; ++i) {
      auto parts = Parts("gc" + std::to_string(i % 3), 4);
      parts.push_back(Element(DerivedUuid("counter"), "Comment", {{"body", std::to_string(i)}}));
      auto c = repo_->CreateCommit(busy.id, Changes(parts), "admin");
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      ++commits;
    }
  });
  for (int round = 0; round < 8; ++round) {
    Resource victim = NewResource("victim" + std::to_string(round));
    CommitTo(victim, Parts("gc" + std::to_string(round % 3), 4));
    auto r = Run({"-dr", victim.id});
    ASSERT_EQ(r.code, kExitOk) << r.err;
  }
  stop = true;
  writer.join();
  EXPECT_GT(commits.load(), 0);
  auto verify = Run({"--verify"});
  EXPECT_EQ(verify.code, kExitOk) << verify.out << verify.err;
}

TEST(CommandLogTest, MasksCredentialsInUrls) {
  EXPECT_EQ(MaskCredentials("http://u:secret@host:1/x"), "http://***@host:1/x");
  EXPECT_EQ(MaskCredentials("--require-copy-at=http://u:pw@h:2"), "--require-copy-at=http://***@h:2");
  EXPECT_EQ(MaskCredentials("http://host:1/a@b"), "http://host:1/a@b");
  EXPECT_EQ(MaskCredentials("plain"), "plain");
}

}  // namespace
}  // namespace tandem::datamanager
