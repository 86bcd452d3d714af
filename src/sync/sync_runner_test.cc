// SyncRunner against an in-process source (TestSource): what each run
// reports per resource, and what it stores (or does not store) on the target.
#include "sync/sync_runner.h"

#include <gtest/gtest.h>

#include <set>

#include <filesystem>

#include "testing/sync/two_servers_fixture.h"

namespace tandem {
namespace {

class SyncRunnerTest : public TwoServersTest {
 protected:
  RemoteConfigSpec Spec(std::vector<std::string> resources) {
    RemoteConfigSpec spec;
    spec.name = "from source";
    spec.source_url = TestSource::kUrl;
    spec.username = fake_->username();
    spec.resources = std::move(resources);
    spec.target_category_id = target_category_;
    return spec;
  }
  // One run into `into` from `from`, keeping the rows for the next run as the engine does.
  RunReport Run(const RemoteConfigSpec& spec, Repository* into = nullptr, TestSource* from = nullptr,
                std::set<std::string> focus = {}) {
    auto source = (from ? from : fake_.get())->Source();
    RunProgress progress;
    SyncRunner runner(into ? *into : *target_.repo, clock_, "config-1", spec, previous_, progress);
    runner.set_pack_limits(pack_limits_);
    runner.set_focus(std::move(focus));
    runner.set_memo(memo_);
    RunReport report = runner.Run(*source, Cancellation::Never());
    memo_ = runner.memo();
    if (report.outcome != "error") {
      previous_ = Json::object();
      for (const auto& row : report.resources) {
        if (row["sourceId"].is_string()) previous_[row["sourceId"].get<std::string>()] = row;
      }
    }
    return report;
  }
  static Json RowOf(const RunReport& report, const std::string& source_id) {
    for (const auto& row : report.resources) {
      if (row.value("sourceId", Json()) == source_id) return row;
    }
    ADD_FAILURE() << "no row for " << source_id << " in " << report.resources.dump();
    return Json::object();
  }

  PackLimits pack_limits_;

  using TwoServersTest::AddCommit;
  Commit AddCommit(const Resource& r, const std::string& author) { return AddCommit(*source_.repo, r, author); }

  std::vector<Commit> CommitsOf(Repository& repo, const std::string& resource_id) {
    auto page = repo.ListCommits(resource_id, {std::nullopt, std::nullopt, 10'000}, false);
    return page.ok() ? page->items : std::vector<Commit>{};
  }
  std::map<std::string, std::optional<std::string>> Heads(Repository& repo, const std::string& id) {
    std::map<std::string, std::optional<std::string>> heads;
    auto branches = repo.ListBranches(id, {std::nullopt, std::nullopt, 100});
    EXPECT_TRUE(branches.ok()) << branches.status().ToString();
    if (!branches.ok()) return heads;
    for (const auto& b : branches->items) heads[b.id] = b.head;
    return heads;
  }
  // Every commit of the source is on the target with the same hash; heads and tags match.
  void ExpectSameHistory(const std::string& id) {
    auto commits = CommitsOf(*source_.repo, id);
    ASSERT_FALSE(commits.empty());
    for (const auto& c : commits) {
      auto copy = target_.repo->GetCommit(id, c.id);
      ASSERT_TRUE(copy.ok()) << "commit " << c.id << ": " << copy.status().ToString();
      EXPECT_EQ(copy->hash, c.hash);
      EXPECT_EQ(copy->parents, c.parents);
    }
    EXPECT_EQ(CommitsOf(*target_.repo, id).size(), commits.size());
    EXPECT_EQ(Heads(*target_.repo, id), Heads(*source_.repo, id));
    PageRequest all{std::nullopt, std::nullopt, 100};
    EXPECT_EQ(target_.repo->ListTags(id, all)->items.size(), source_.repo->ListTags(id, all)->items.size());
  }

  Json previous_ = Json::object();
  std::shared_ptr<const CatalogueMemo> memo_;  // kept between runs as the worker keeps it
};

TEST_F(SyncRunnerTest, FirstCopyKeepsIdsHashesBranchesAndTags) {
  Resource r = NewResource("lib");
  Commit c1 = AddCommit(r, "alice");
  Commit c2 = AddCommit(r, "bob");
  AddCommit(r, "carol");
  ASSERT_TRUE(source_.repo->CreateTag(r.id, "release", c1.id, std::nullopt).ok());
  ASSERT_TRUE(source_.repo->CreateBranch(r.id, "dev", c2.id).ok());

  RunReport report = Run(Spec({r.id}));
  EXPECT_EQ(report.outcome, "ok") << report.error << report.resources.dump();
  EXPECT_EQ(report.commits, 3u);
  Json row = RowOf(report, r.id);
  EXPECT_EQ(row["state"], "synced");
  EXPECT_EQ(row["targetId"], r.id);
  EXPECT_EQ(row["selectedBy"], Json::array({"resource"}));
  for (const auto& h : row["heads"]) EXPECT_EQ(h["syncedHead"], h["sourceHead"]);

  Resource copy = target_.repo->GetResource(r.id).value();
  EXPECT_EQ(copy.project_id, r.project_id);
  EXPECT_EQ(copy.name, "lib");
  EXPECT_EQ(copy.description, r.description);
  EXPECT_EQ(copy.category_id, target_category_);
  EXPECT_EQ(copy.default_branch_id, r.default_branch_id);
  EXPECT_TRUE(copy.read_only);
  Json origin = Json::parse(copy.origin);
  EXPECT_EQ(origin["serverId"], source_.repo->ServerId().value());
  EXPECT_EQ(origin["chain"], Json::array({source_.repo->ServerId().value()}));
  ExpectSameHistory(r.id);
}

TEST_F(SyncRunnerTest, IncrementalRunMovesOnlyTheNewCommits) {
  Resource r = NewResource("lib");
  AddCommit(r, "alice");
  Commit c2 = AddCommit(r, "alice");
  ASSERT_EQ(Run(Spec({r.id})).commits, 2u);

  AddCommit(r, "bob");
  AddCommit(r, "bob");
  RunReport second = Run(Spec({r.id}));
  EXPECT_EQ(second.outcome, "ok") << second.resources.dump();
  EXPECT_EQ(second.commits, 2u);
  EXPECT_EQ(fake_->last_have(), std::vector<std::string>{c2.id});
  ExpectSameHistory(r.id);

  // Nothing new: the catalogue answers it, no pack is asked for.
  int packs = fake_->pack_calls(), catalogues = fake_->catalogue_calls();
  RunReport third = Run(Spec({r.id}));
  EXPECT_EQ(third.outcome, "ok");
  EXPECT_EQ(third.commits, 0u);
  EXPECT_EQ(fake_->pack_calls(), packs);
  EXPECT_EQ(fake_->catalogue_calls(), catalogues + 1);
}

TEST_F(SyncRunnerTest, SameProjectIdHereIsAConflictAndNothingIsCreated) {
  Resource r = NewResource("lib");
  AddCommit(r, "alice");
  Resource local = target_.repo->CreateResource({"other", std::nullopt, std::nullopt, r.project_id}).value();

  RunReport report = Run(Spec({r.id}));
  EXPECT_EQ(report.outcome, "partial");
  Json row = RowOf(report, r.id);
  EXPECT_EQ(row["state"], "conflict");
  std::string message = row["message"];
  EXPECT_NE(message.find(r.project_id), std::string::npos) << message;
  EXPECT_NE(message.find(local.id), std::string::npos) << message;  // names both sides
  EXPECT_NE(message.find(r.id), std::string::npos) << message;
  EXPECT_EQ(target_.repo->GetResource(r.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fake_->pack_calls(), 0);
}

TEST_F(SyncRunnerTest, SameNameInTheTargetCategoryIsAConflictThatClearsItself) {
  Resource r = NewResource("lib");
  AddCommit(r, "alice");
  Resource local = target_.repo->CreateResource({"lib", std::nullopt, target_category_, std::nullopt}).value();

  Json row = RowOf(Run(Spec({r.id})), r.id);
  EXPECT_EQ(row["state"], "conflict");
  EXPECT_NE(row["message"].get<std::string>().find("'lib'"), std::string::npos) << row.dump();
  EXPECT_NE(row["message"].get<std::string>().find(local.id), std::string::npos) << row.dump();
  EXPECT_EQ(target_.repo->GetResource(r.id).status().code(), StatusCode::kNotFound);

  // Once the clash is renamed away, the next run copies it.
  ResourcePatch rename;
  rename.name = "local lib";
  ASSERT_TRUE(target_.repo->UpdateResource(local.id, rename).ok());
  EXPECT_EQ(RowOf(Run(Spec({r.id})), r.id)["state"], "synced");
  ExpectSameHistory(r.id);
}

TEST_F(SyncRunnerTest, ACopyComingBackToItsOriginIsACycle) {
  // The project originates here (the target); the "source" holds a copy of it.
  Resource r = target_.repo->CreateResource({"home", std::nullopt, std::nullopt, std::nullopt}).value();
  AddCommit(*target_.repo, r, "alice");
  TestSource target_as_source(*target_.repo);
  RemoteConfigSpec back = Spec({r.id});
  back.target_category_id = source_.repo->CreateCategory({"incoming", std::nullopt, ""}).value().id;
  ASSERT_EQ(RowOf(Run(back, source_.repo.get(), &target_as_source), r.id)["state"], "synced");
  previous_ = Json::object();
  // The original is gone here; its copy must still not come back.
  ASSERT_TRUE(target_.repo->DeleteResource(r.id).ok());

  RunReport report = Run(Spec({r.id}));
  Json row = RowOf(report, r.id);
  EXPECT_EQ(row["state"], "conflict");
  EXPECT_NE(row["message"].get<std::string>().find("cycle"), std::string::npos) << row.dump();
  EXPECT_EQ(target_.repo->GetResource(r.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fake_->pack_calls(), 0);
}

TEST_F(SyncRunnerTest, ACopyWhoseReadOnlyFlagWasRemovedIsDetachedAndNotWritten) {
  Resource r = NewResource("lib");
  AddCommit(r, "alice");
  ASSERT_EQ(RowOf(Run(Spec({r.id})), r.id)["state"], "synced");
  {
    auto txn = target_.store->BeginWrite().value();
    Resource copy = txn->GetResource(r.id).value().value();
    copy.read_only = false;
    ASSERT_TRUE(txn->UpdateResource(copy).ok());
    ASSERT_TRUE(txn->CommitTransaction().ok());
  }
  Commit later = AddCommit(r, "bob");
  ResourcePatch rename;
  rename.name = "lib renamed at the source";
  ASSERT_TRUE(source_.repo->UpdateResource(r.id, rename).ok());

  RunReport report = Run(Spec({r.id}));
  Json row = RowOf(report, r.id);
  EXPECT_EQ(row["state"], "detached");
  EXPECT_EQ(report.commits, 0u);
  EXPECT_EQ(target_.repo->GetCommit(r.id, later.id).status().code(), StatusCode::kNotFound);
  Resource copy = target_.repo->GetResource(r.id).value();
  EXPECT_EQ(copy.name, "lib");
  EXPECT_FALSE(copy.read_only);
  EXPECT_EQ(CommitsOf(*target_.repo, r.id).size(), 1u);
}

TEST_F(SyncRunnerTest, ACutStreamLeavesWholeCommitsAndTheNextRunResumes) {
  Resource r = NewResource("big");
  // Large, poorly compressible elements: the pack spans many zstd blocks.
  for (int i = 0; i < 8; ++i) {
    AddCommit(*source_.repo, r, "alice", Json{{"@type", "Part"}, {"doc", RandomHex(60'000)}});
  }
  size_t size = fake_->PackSize(r.id, {});
  ASSERT_GT(size, 200'000u);
  fake_->CutPackAfter(size / 2);

  RunReport cut = Run(Spec({r.id}));
  Json row = RowOf(cut, r.id);
  EXPECT_EQ(row["state"], "behind") << row.dump();
  auto stored = CommitsOf(*target_.repo, r.id);
  size_t applied = stored.size();
  EXPECT_EQ(cut.commits, applied);
  EXPECT_GT(applied, 0u);
  EXPECT_LT(applied, 8u);
  for (const auto& c : stored) {  // whole, verified commits with their parents
    EXPECT_EQ(c.hash, source_.repo->GetCommit(r.id, c.id)->hash);
    for (const auto& p : c.parents) EXPECT_TRUE(target_.repo->GetCommit(r.id, p).ok());
  }
  EXPECT_EQ(target_.repo->GetBranch(r.id, r.default_branch_id)->head, std::nullopt);

  fake_->ClearFaults();
  RunReport resumed = Run(Spec({r.id}));
  EXPECT_EQ(RowOf(resumed, r.id)["state"], "synced") << resumed.resources.dump();
  EXPECT_EQ(resumed.commits, 8u - applied);  // nothing is sent twice
  EXPECT_EQ(fake_->last_have(), std::vector<std::string>{stored.back().id});
  ExpectSameHistory(r.id);
}

TEST_F(SyncRunnerTest, ACorruptedCommitIsRefusedAndTheNextCleanRunSucceeds) {
  Resource r = NewResource("lib");
  Commit c1 = AddCommit(r, "alice");
  Commit c2 = AddCommit(r, "bob");
  Commit c3 = AddCommit(r, "carol");
  // One byte of the second commit's record changes in transit.
  fake_->TamperPack([](std::string& text) {
    auto at = text.find("\"author\":\"bob\"");
    ASSERT_NE(at, std::string::npos);
    text[at + 10] = 'c';
  });

  RunReport bad = Run(Spec({r.id}));
  Json row = RowOf(bad, r.id);
  EXPECT_EQ(row["state"], "error") << row.dump();
  EXPECT_NE(row["message"].get<std::string>().find(c2.id), std::string::npos) << row.dump();
  EXPECT_EQ(bad.outcome, "partial");
  EXPECT_TRUE(target_.repo->GetCommit(r.id, c1.id).ok());  // whole commits before it stay
  EXPECT_EQ(target_.repo->GetCommit(r.id, c2.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(target_.repo->GetCommit(r.id, c3.id).status().code(), StatusCode::kNotFound);

  fake_->ClearFaults();
  RunReport clean = Run(Spec({r.id}));
  EXPECT_EQ(RowOf(clean, r.id)["state"], "synced");
  EXPECT_EQ(clean.commits, 2u);
  ExpectSameHistory(r.id);
}

TEST_F(SyncRunnerTest, CorruptCompressedBytesAreAnErrorNotAnInterruption) {
  Resource r = NewResource("lib");
  Commit c1 = AddCommit(r, "alice");
  // The first byte of the zstd frame (its magic number) flips in transit:
  // the stream is not valid zstd, which is corruption, not a broken connection.
  fake_->FlipPackByte(0);

  RunReport bad = Run(Spec({r.id}));
  Json row = RowOf(bad, r.id);
  EXPECT_EQ(row["state"], "error") << row.dump();
  EXPECT_EQ(target_.repo->GetCommit(r.id, c1.id).status().code(), StatusCode::kNotFound);

  fake_->ClearFaults();
  EXPECT_EQ(RowOf(Run(Spec({r.id})), r.id)["state"], "synced");
  ExpectSameHistory(r.id);
}

TEST_F(SyncRunnerTest, APackOverSyncMaxPackBytesIsRefusedAndNothingIsStored) {
  Resource r = NewResource("big");
  Commit c1 = AddCommit(*source_.repo, r, "alice", Json{{"@type", "Part"}, {"name", std::string(4000, 'x')}});
  pack_limits_.max_total_bytes = 1000;  // the version record alone is larger

  Json row = RowOf(Run(Spec({r.id})), r.id);
  EXPECT_EQ(row["state"], "error") << row.dump();
  EXPECT_NE(row["message"].get<std::string>().find("sync.max-pack-bytes"), std::string::npos)
      << row.dump();
  EXPECT_EQ(target_.repo->GetCommit(r.id, c1.id).status().code(), StatusCode::kNotFound);

  pack_limits_ = PackLimits{};
  EXPECT_EQ(RowOf(Run(Spec({r.id})), r.id)["state"], "synced");
  ExpectSameHistory(r.id);
}

TEST_F(SyncRunnerTest, RefusedCredentialsFailTheRunAndCreateNothing) {
  Resource r = NewResource("lib");
  AddCommit(r, "alice");
  fake_->RefuseCredentials(true);
  RunReport report = Run(Spec({r.id}));
  EXPECT_EQ(report.outcome, "error");
  EXPECT_NE(report.error.find("credentials"), std::string::npos) << report.error;
  EXPECT_NE(report.error.find(TestSource::kUrl), std::string::npos) << report.error;
  EXPECT_TRUE(report.resources.empty());
  EXPECT_EQ(target_.repo->GetResource(r.id).status().code(), StatusCode::kNotFound);
}

TEST_F(SyncRunnerTest, AnUnreachableSourceFailsTheRun) {
  Resource r = NewResource("lib");
  AddCommit(r, "alice");
  fake_->FailCalls(2);  // the catalogue request
  RunReport report = Run(Spec({r.id}));
  EXPECT_EQ(report.outcome, "error");
  EXPECT_NE(report.error.find("cannot reach the source"), std::string::npos) << report.error;
  EXPECT_EQ(target_.repo->GetResource(r.id).status().code(), StatusCode::kNotFound);
}

TEST_F(SyncRunnerTest, TagTriggerCopiesUpToTheNewestTaggedCommitOnly) {
  Resource r = NewResource("lib");
  AddCommit(r, "alice");
  Commit c2 = AddCommit(r, "alice");
  Commit c3 = AddCommit(r, "alice");
  Commit c4 = AddCommit(r, "alice");
  ASSERT_TRUE(source_.repo->CreateTag(r.id, "release", c2.id, std::nullopt).ok());
  ASSERT_TRUE(source_.repo->CreateTag(r.id, "release", c3.id, std::nullopt).ok());
  ASSERT_TRUE(source_.repo->CreateTag(r.id, "other", c4.id, std::nullopt).ok());
  RemoteConfigSpec spec = Spec({r.id});
  spec.trigger = TriggerType::kTag;
  spec.trigger_tag = "release";

  RunReport report = Run(spec);
  Json row = RowOf(report, r.id);
  EXPECT_EQ(row["state"], "synced") << row.dump();
  EXPECT_EQ(report.commits, 3u);
  EXPECT_EQ(target_.repo->GetBranch(r.id, r.default_branch_id)->head, c3.id);
  EXPECT_EQ(target_.repo->GetCommit(r.id, c4.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(target_.repo->ListTags(r.id, {std::nullopt, std::nullopt, 10})->items.size(), 2u);
  ASSERT_EQ(row["heads"].size(), 1u);
  EXPECT_EQ(row["heads"][0]["sourceHead"], c4.id);
  EXPECT_EQ(row["heads"][0]["syncedHead"], c3.id);

  // A later commit tagged "release" brings everything up to it.
  ASSERT_TRUE(source_.repo->CreateTag(r.id, "release", c4.id, std::nullopt).ok());
  RunReport next = Run(spec);
  EXPECT_EQ(next.commits, 1u);
  ExpectSameHistory(r.id);
}

TEST_F(SyncRunnerTest, AUsedProjectComesAlongAsADependencyFirst) {
  auto [lib, app, lc, ac] = NewAppUsingLib();

  RunReport report = Run(Spec({app.id}));
  EXPECT_EQ(report.outcome, "ok") << report.resources.dump();
  ASSERT_EQ(report.resources.size(), 2u);
  EXPECT_EQ(report.resources[0]["sourceId"], lib.id);
  EXPECT_EQ(report.resources[0]["selectedBy"], Json::array({"dependency"}));
  EXPECT_EQ(report.resources[0]["state"], "synced");
  EXPECT_EQ(report.resources[1]["sourceId"], app.id);
  EXPECT_EQ(report.resources[1]["selectedBy"], Json::array({"resource"}));
  EXPECT_EQ(report.resources[1]["state"], "synced");
  ExpectSameHistory(lib.id);
  ExpectSameHistory(app.id);
  auto usages = target_.repo->ListProjectUsages(app.id, ac.id).value();
  ASSERT_EQ(usages.size(), 1u);
  EXPECT_EQ(usages[0].used_project, lib.id);
  EXPECT_TRUE(target_.repo->GetResource(lib.id)->read_only);
}


TEST_F(SyncRunnerTest, AUserOfAProjectThatCannotBeCopiedIsAnErrorNotBehind) {
  // docs/synchronization.md: `error` covers "a dependency is missing"; `behind`
  // means an interrupted copy that the next run resumes by itself.
  auto [lib, app, lc, ac] = NewAppUsingLib();
  ASSERT_TRUE(target_.repo->CreateResource({"lib", std::nullopt, target_category_, std::nullopt}).ok());

  RunReport report = Run(Spec({app.id}));
  EXPECT_EQ(RowOf(report, lib.id)["state"], "conflict");
  Json row = RowOf(report, app.id);
  EXPECT_EQ(row["state"], "error") << row.dump();
  EXPECT_NE(row["message"].get<std::string>().find(lib.id), std::string::npos) << row.dump();
  EXPECT_TRUE(CommitsOf(*target_.repo, app.id).empty());
}

TEST_F(SyncRunnerTest, TagTriggerStillBringsTheCommitsADependencyIsUsedAt) {
  // The library has no "release" tag; the tagged application commit uses it.
  auto [lib, app, lc, ac] = NewAppUsingLib();
  ASSERT_TRUE(source_.repo->CreateTag(app.id, "release", ac.id, std::nullopt).ok());
  RemoteConfigSpec spec = Spec({app.id});
  spec.trigger = TriggerType::kTag;
  spec.trigger_tag = "release";

  RunReport report = Run(spec);
  EXPECT_EQ(report.outcome, "ok") << report.resources.dump();
  EXPECT_EQ(RowOf(report, app.id)["state"], "synced");
  EXPECT_TRUE(target_.repo->GetCommit(lib.id, lc.id).ok());
  EXPECT_TRUE(target_.repo->GetCommit(app.id, ac.id).ok());
}

TEST_F(SyncRunnerTest, AResourceThatLeavesTheSelectedCategoryIsExcludedAndKept) {
  Category shared = source_.repo->CreateCategory({"shared", std::nullopt, ""}).value();
  Resource r = source_.repo->CreateResource({"lib", std::nullopt, shared.id, std::nullopt}).value();
  AddCommit(r, "alice");
  RemoteConfigSpec spec = Spec({});
  spec.categories = {shared.id};
  Json row = RowOf(Run(spec), r.id);
  EXPECT_EQ(row["state"], "synced");
  EXPECT_EQ(row["selectedBy"], Json::array({shared.id}));

  ResourcePatch move;
  move.category_id = source_.repo->RootCategoryId().value();
  ASSERT_TRUE(source_.repo->UpdateResource(r.id, move).ok());
  Resource newcomer = source_.repo->CreateResource({"new", std::nullopt, shared.id, std::nullopt}).value();
  AddCommit(newcomer, "bob");

  RunReport report = Run(spec);
  EXPECT_EQ(RowOf(report, r.id)["state"], "excluded");
  EXPECT_EQ(RowOf(report, newcomer.id)["state"], "synced");
  EXPECT_TRUE(target_.repo->GetResource(r.id).ok());
}

// Issue #10, finding 10: a source added 2,000 unselected catalogue entries
// and all were copied. Only the selection (and what it uses) is copied.
TEST_F(SyncRunnerTest, EntriesTheTargetDidNotSelectAreIgnored) {
  Resource selected = NewResource("selected");
  AddCommit(selected, "alice");
  std::vector<Resource> extra;
  for (int i = 0; i < 20; ++i) {
    extra.push_back(NewResource("extra " + std::to_string(i)));
    AddCommit(extra.back(), "mallory");
  }
  fake_->EditCatalogue([&](Catalogue& catalogue) {
    // Entries for resources nobody asked for, claiming to be selected.
    for (const auto& r : extra) {
      auto more = LocalSyncSource(*source_.repo).FetchCatalogue({{r.id}, {}, std::nullopt, std::nullopt},
                                                                Cancellation::Never());
      if (!more.ok()) continue;
      for (auto e : more->entries) {
        e.selected_by = {"resource"};
        catalogue.entries.push_back(e);
      }
    }
  });
  RunReport report = Run(Spec({selected.id}));
  EXPECT_EQ(report.outcome, "ok") << report.resources.dump();
  EXPECT_EQ(report.resources.size(), 1u) << report.resources.dump();
  EXPECT_TRUE(target_.repo->GetResource(selected.id).ok());
  for (const auto& r : extra) {
    EXPECT_EQ(target_.repo->GetResource(r.id).status().code(), StatusCode::kNotFound) << r.name;
  }
  // A focused run (asked by the one id) ignores them just the same.
  AddCommit(selected, "alice");
  RunReport focused = Run(Spec({selected.id}), nullptr, nullptr, {selected.id});
  EXPECT_EQ(focused.focused_on, std::vector<std::string>{selected.id});
  EXPECT_EQ(focused.resources.size(), 1u) << focused.resources.dump();
  EXPECT_EQ(target_.repo->CountCommits(selected.id).value(), 2u);
  for (const auto& r : extra) {
    EXPECT_EQ(target_.repo->GetResource(r.id).status().code(), StatusCode::kNotFound) << r.name;
  }
}

// Issue #11, W4: an idle run of a large configuration fetched the whole
// catalogue and checked every copy. Now it asks the source whether anything
// happened since the last catalogue, and trusts the last run while nothing
// happened at either end; any change at either end makes a real run.
TEST_F(SyncRunnerTest, AnIdleRunAsksOnlyWhetherAnythingChangedAndStillSeesEveryChange) {
  std::vector<Resource> resources;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    resources.push_back(NewResource("lib " + std::to_string(i)));
    AddCommit(resources.back(), "alice");
    ids.push_back(resources.back().id);
  }
  std::vector<bool> answers;  // per catalogue answer: was it "unchanged"?
  fake_->EditCatalogue([&](Catalogue& c) { answers.push_back(c.unchanged); });

  RunReport first = Run(Spec(ids));
  ASSERT_EQ(first.outcome, "ok") << first.resources.dump();
  ASSERT_NE(memo_, nullptr);
  EXPECT_EQ(answers, std::vector<bool>{false});

  // Nothing new on either side: one "unchanged" answer, the last run's rows.
  RunReport idle = Run(Spec(ids));
  EXPECT_EQ(idle.outcome, "ok");
  EXPECT_EQ(idle.commits, 0u);
  EXPECT_EQ(answers, (std::vector<bool>{false, true}));
  ASSERT_EQ(idle.resources.size(), 3u);
  for (const auto& id : ids) EXPECT_EQ(RowOf(idle, id)["state"], "synced");

  // A commit at the source: the whole catalogue again, the commit arrives.
  Commit later = AddCommit(resources[1], "bob");
  RunReport after_commit = Run(Spec(ids));
  EXPECT_EQ(after_commit.commits, 1u);
  EXPECT_EQ(answers.back(), false);
  EXPECT_TRUE(target_.repo->GetCommit(ids[1], later.id).ok());

  // A description changed at the source is a change too.
  ResourcePatch describe;
  describe.description = "described at the source";
  ASSERT_TRUE(source_.repo->UpdateResource(ids[2], describe).ok());
  Run(Spec(ids));
  EXPECT_EQ(answers.back(), false);
  EXPECT_EQ(target_.repo->GetResource(ids[2])->description, "described at the source");

  // A copy deleted here (datamanager -dr) while the source stays as it was:
  // the source answers "unchanged", and the run checks every copy against
  // the remembered catalogue and copies it again.
  Run(Spec(ids));
  ASSERT_EQ(answers.back(), true);
  ASSERT_TRUE(target_.repo->DeleteResources({ids[0]}, true).ok());
  RunReport after_delete = Run(Spec(ids));
  EXPECT_EQ(answers.back(), true);
  EXPECT_EQ(after_delete.outcome, "ok") << after_delete.resources.dump();
  EXPECT_EQ(after_delete.commits, 1u);
  ExpectSameHistory(ids[0]);

  // A run that does not end "ok" leaves no memo: the next one asks for everything.
  fake_->FailFromNowOn();
  EXPECT_EQ(Run(Spec(ids)).outcome, "error");
  EXPECT_EQ(memo_, nullptr);
  fake_->ClearFaults();
  fake_->EditCatalogue([&](Catalogue& c) { answers.push_back(c.unchanged); });
  size_t before = answers.size();
  EXPECT_EQ(Run(Spec(ids)).outcome, "ok");
  ASSERT_EQ(answers.size(), before + 1);
  EXPECT_EQ(answers.back(), false);
}

// A copy deleted here while a run is still busy with another resource (after
// the run checked that copy) must not be trusted away by the next idle run.
TEST_F(SyncRunnerTest, ACopyDeletedHereDuringARunIsCopiedAgainByTheNextRun) {
  Resource a = NewResource("lib a"), b = NewResource("lib b");
  AddCommit(a, "alice");
  AddCommit(b, "bob");
  int packs = 0;
  std::string deleted;
  fake_->TamperPack([&](std::string&) {
    if (++packs != 2) return;
    // The second pack: the first resource's copy is complete; delete it (datamanager -dr).
    for (const Resource* r : {&a, &b}) {
      auto n = target_.repo->CountCommits(r->id);
      if (n.ok() && *n > 0) {
        ASSERT_TRUE(target_.repo->DeleteResources({r->id}, true).ok());
        deleted = r->id;
      }
    }
  });
  RunReport first = Run(Spec({a.id, b.id}));
  ASSERT_EQ(first.outcome, "ok") << first.resources.dump();
  ASSERT_FALSE(deleted.empty());
  ASSERT_EQ(target_.repo->GetResource(deleted).status().code(), StatusCode::kNotFound);
  fake_->ClearFaults();

  RunReport second = Run(Spec({a.id, b.id}));
  EXPECT_EQ(second.outcome, "ok") << second.resources.dump();
  ExpectSameHistory(deleted);
}

// The source's position changes with every event, also across a restore that
// reaches the same sequence number again with other events.
TEST_F(SyncRunnerTest, TheFeedPositionNamesTheLastEventNotOnlyItsNumber) {
  Resource r = NewResource("lib");
  std::string before = source_.repo->FeedPosition().value();
  AddCommit(r, "alice");
  std::string after = source_.repo->FeedPosition().value();
  EXPECT_NE(before, after);
  EXPECT_EQ(source_.repo->FeedPosition().value(), after);
  auto colon = after.find(':');
  ASSERT_NE(colon, std::string::npos) << after;
  EXPECT_EQ(after.substr(0, colon), std::to_string(source_.repo->LastEventSeq().value()));
}

}  // namespace
}  // namespace tandem
