// SyncEngine workers over time: triggers that must not miss a commit, runs
// that stop at once when their configuration changes or the server stops,
// changes that race each other, and a neutral server in between. Sources are
// in-process (TestSource) with injected faults; the engines' timers run on a
// FakeClock that these tests never advance unless they say so, so whatever
// arrives, arrives through a trigger and not a periodic reconcile.
// (Defects 1–6 of issue #9.)
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <thread>

#include "sync/sync_engine.h"
#include "testing/sync/two_servers_fixture.h"

namespace tandem {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Steady = std::chrono::steady_clock;

class SyncEngineLifecycleTest : public TwoServersTest {
 protected:
  void SetUp() override {
    TwoServersTest::SetUp();
    box_ = CredentialBox::Open((dir_ / "secret.key").string()).value();
    options_.feed_wait = seconds(1);
    options_.reconcile_interval = seconds(86400);  // nothing arrives by a reconcile here
    engine_ = std::make_unique<SyncEngine>(*target_.repo, *box_, clock_, fake_->Factory(), options_);
    ASSERT_TRUE(engine_->Start().ok());
  }
  void TearDown() override {
    fake_->ClearFaults();
    fake_->HoldCatalogue(false);
    engine_.reset();
    TwoServersTest::TearDown();
  }

  Json Body(const Json& selection, const std::string& trigger = "manual", bool once = false) {
    Json body = {{"name", "from the source"},
                 {"source", {{"url", TestSource::kUrl}, {"username", fake_->username()},
                             {"password", fake_->password()}}},
                 {"targetCategoryId", target_category_},
                 {"trigger", {{"type", trigger}}},
                 {"once", once}};
    body.update(selection);
    return body;
  }
  std::string CreateConfig(const Json& body) {
    auto created = engine_->Create(body);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? (*created)["id"].get<std::string>() : "";
  }
  static size_t Commits(Repository& repo, const std::string& id) {
    auto page = repo.ListCommits(id, {std::nullopt, std::nullopt, 10'000}, false);
    return page.ok() ? page->items.size() : 0;
  }
  // Waits in real time (the engine works on its own threads) for `done`.
  static bool WaitUntil(const std::function<bool()>& done, seconds timeout = seconds(20)) {
    auto deadline = Steady::now() + timeout;
    while (Steady::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(milliseconds(5));
    }
    return done();
  }
  // A resource whose history is about `kilobytes` of incompressible pack.
  Resource BigResource(const std::string& name, int kilobytes) {
    Resource r = NewResource(name);
    for (int i = 0; i < kilobytes / 8; ++i) {
      std::string noise;
      for (int j = 0; j < 8; ++j) noise += RandomHex(512);
      AddCommit(*source_.repo, r, "alice", Json{{"@type", "Part"}, {"doc", noise}});
    }
    return r;
  }
  void ExpectSameHistory(const std::string& id) {
    auto from = source_.repo->ListCommits(id, {std::nullopt, std::nullopt, 10'000}, false).value();
    for (const auto& c : from.items) {
      auto copy = target_.repo->GetCommit(id, c.id);
      ASSERT_TRUE(copy.ok()) << c.id;
      EXPECT_EQ(copy->hash, c.hash);
    }
    EXPECT_EQ(Commits(*target_.repo, id), from.items.size());
  }

  SyncEngineOptions options_;
  std::optional<CredentialBox> box_;
  std::unique_ptr<SyncEngine> engine_;
};

// Defect 1: with a category selection, a commit made while the first run was
// still going (so the run had not recorded the resource yet) was judged
// irrelevant and waited for the reconcile.
TEST_F(SyncEngineLifecycleTest, ACommitDuringTheFirstRunOfACategorySelectionArrives) {
  Category c = source_.repo->CreateCategory({"libraries", std::nullopt, ""}).value();
  Resource r = source_.repo->CreateResource({"lib", std::nullopt, c.id, std::nullopt}).value();
  AddCommit(*source_.repo, r, "alice");
  fake_->ThrottlePack(4000);  // the first run's pack takes a while to arrive
  CreateConfig(Body({{"categories", {c.id}}}, "commit"));
  ASSERT_TRUE(fake_->WaitPackBytes(1));
  AddCommit(*source_.repo, r, "bob");  // not in the pack being delivered
  fake_->ClearFaults();
  EXPECT_TRUE(WaitUntil([&] { return Commits(*target_.repo, r.id) == 2; }))
      << Commits(*target_.repo, r.id) << " of 2 commits arrived";
}

// Issue #11: a commit to one resource of a large configuration runs for that
// resource only (its cost follows the change, not the configuration); the
// other resources keep their rows, and a category-selected resource keeps
// what it was selected by.
TEST_F(SyncEngineLifecycleTest, ACommitTriggersARunFocusedOnItsResource) {
  Category c = source_.repo->CreateCategory({"libraries", std::nullopt, ""}).value();
  Resource a = NewResource("a"), b = NewResource("b");
  Resource d = source_.repo->CreateResource({"d", std::nullopt, c.id, std::nullopt}).value();
  for (const Resource* r : {&a, &b, &d}) AddCommit(*source_.repo, *r, "alice");
  std::string id = CreateConfig(Body({{"resources", {a.id, b.id}}, {"categories", {c.id}}}, "commit"));
  ASSERT_TRUE(WaitUntil([&] {
    auto status = engine_->GetStatus(id).value();
    return status["state"] == "idle" && status["resources"].size() == 3;
  }));
  AddCommit(*source_.repo, d, "bob");
  ASSERT_TRUE(WaitUntil([&] { return Commits(*target_.repo, d.id) == 2; }));
  ASSERT_TRUE(WaitUntil([&] { return engine_->GetStatus(id).value()["state"] == "idle"; }));
  Json last = engine_->Runs(id, 1).value().at(0);
  EXPECT_EQ(last["report"]["focusedOn"], Json::array({d.id})) << last.dump();
  ASSERT_EQ(last["report"]["resources"].size(), 1u) << last.dump();
  EXPECT_EQ(last["report"]["resources"][0]["selectedBy"], Json::array({c.id}));
  Json rows = engine_->GetStatus(id).value()["resources"];
  EXPECT_EQ(rows.size(), 3u) << rows.dump();
  for (const auto& row : rows) EXPECT_EQ(row["state"], "synced") << row.dump();
  // "Synchronize now" looks at everything again.
  auto whole = engine_->RequestRun(id, true, seconds(60));
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_FALSE((*whole)["report"].contains("focusedOn")) << whole->dump();
  EXPECT_EQ((*whole)["report"]["resources"].size(), 3u) << whole->dump();
}

// Defect 2: POST .../sync?wait=true on a one-time configuration whose first
// run was in progress was never answered.
TEST_F(SyncEngineLifecycleTest, WaitingOnAOneTimeConfigurationAnswersWhenItsRunCompletesIt) {
  Resource r = NewResource("lib");
  AddCommit(*source_.repo, r, "alice");
  int base = fake_->catalogue_calls();
  fake_->HoldCatalogue(true);
  fake_->ReleaseCatalogue(1);  // for the validation; the first run's waits
  std::string id = CreateConfig(Body({{"resources", {r.id}}}, "commit", /*once=*/true));
  ASSERT_TRUE(fake_->WaitCatalogueRequests(base + 2));  // the validation's and the first run's
  auto waited = std::async(std::launch::async, [&] { return engine_->RequestRun(id, true, seconds(600)); });
  EXPECT_EQ(waited.wait_for(milliseconds(100)), std::future_status::timeout);
  fake_->HoldCatalogue(false);
  ASSERT_EQ(waited.wait_for(seconds(10)), std::future_status::ready) << "the wait was never answered";
  auto report = waited.get();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ((*report)["outcome"], "ok");
  EXPECT_EQ(engine_->GetStatus(id).value()["state"], "completed");
}

// Defect 3: concurrent PATCHes of one configuration ended the process
// (a joinable worker thread was replaced).
TEST_F(SyncEngineLifecycleTest, ConcurrentUpdatesReplaceTheWorkerOneAtATime) {
  Resource r = NewResource("lib");
  AddCommit(*source_.repo, r, "alice");
  std::string id = CreateConfig(Body({{"resources", {r.id}}}, "commit"));
  std::vector<std::future<Result<Json>>> patches;
  for (int i = 0; i < 24; ++i) {
    patches.push_back(std::async(std::launch::async, [&, i] {
      return engine_->Update(id, Json{{"trigger", {{"type", i % 2 ? "manual" : "commit"}}}});
    }));
  }
  for (auto& p : patches) {
    auto result = p.get();
    EXPECT_TRUE(result.ok()) << result.status().ToString();
  }
  ASSERT_TRUE(engine_->Update(id, Json{{"trigger", {{"type", "manual"}}}}).ok());
  auto report = engine_->RequestRun(id, true, seconds(10));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ((*report)["outcome"], "ok");
  EXPECT_EQ(Commits(*target_.repo, r.id), 1u);
}

// Defect 4: DELETE, PATCH and shutdown waited for the whole run over a slow
// link. Over 30 KB/s they answer within a second, whole commits stay, and
// the next run completes the history exactly.
TEST_F(SyncEngineLifecycleTest, DeleteAndStopEndARunOverASlowLinkPromptly) {
  Resource r = BigResource("big", 400);  // ~13 s at 30 KB/s
  fake_->ThrottlePack(30'000);
  std::string id = CreateConfig(Body({{"resources", {r.id}}}));
  ASSERT_TRUE(engine_->RequestRun(id, false, seconds(0)).ok());
  ASSERT_TRUE(fake_->WaitPackBytes(60'000));
  auto started = Steady::now();
  ASSERT_TRUE(engine_->Delete(id).ok());
  EXPECT_LT(Steady::now() - started, seconds(1));
  size_t partial = Commits(*target_.repo, r.id);
  EXPECT_LT(partial, 50u);

  // A second configuration takes over the copy it is placed in; stop the
  // server (engine) in the middle of its run.
  std::string again = CreateConfig(Body({{"resources", {r.id}}}));
  ASSERT_TRUE(engine_->RequestRun(again, false, seconds(0)).ok());
  ASSERT_TRUE(fake_->WaitPackBytes(120'000));
  started = Steady::now();
  engine_->Stop();
  EXPECT_LT(Steady::now() - started, seconds(1));

  // After a restart, the next run brings exactly the rest.
  fake_->ClearFaults();
  engine_ = std::make_unique<SyncEngine>(*target_.repo, *box_, clock_, fake_->Factory(), options_);
  ASSERT_TRUE(engine_->Start().ok());
  auto report = engine_->RequestRun(again, true, seconds(60));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ((*report)["outcome"], "ok") << report->dump();
  ExpectSameHistory(r.id);
}

// Defect 6 (and 4): a source that stops sending in the middle of a pack is
// noticed, reported as stalled, and a stop during the stall is prompt.
TEST_F(SyncEngineLifecycleTest, AStalledSourceIsReportedAndAStopDuringTheStallIsPrompt) {
  Resource r = BigResource("big", 64);
  fake_->StallPackAfter(8192, milliseconds(300));
  std::string id = CreateConfig(Body({{"resources", {r.id}}}));
  auto report = engine_->RequestRun(id, true, seconds(30));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ((*report)["outcome"], "partial");
  Json row = (*report)["report"]["resources"][0];
  EXPECT_EQ(row["state"], "behind") << row.dump();
  EXPECT_NE(row["message"].get<std::string>().find("stalled"), std::string::npos) << row.dump();

  fake_->StallPackAfter(8192, std::chrono::hours(1));
  ASSERT_TRUE(engine_->RequestRun(id, false, seconds(0)).ok());
  ASSERT_TRUE(fake_->WaitPackBytes(16384));
  auto started = Steady::now();
  engine_->Stop();
  EXPECT_LT(Steady::now() - started, seconds(1));
}

// Defect 6: the change-feed watcher no longer ends for good when the feed
// fails; it backs off on the clock, reconnects, and reconciles.
TEST_F(SyncEngineLifecycleTest, TheWatcherSurvivesAFailingFeedAndReconciles) {
  Resource r = NewResource("lib");
  AddCommit(*source_.repo, r, "alice");
  std::string id = CreateConfig(Body({{"resources", {r.id}}}, "commit"));
  ASSERT_TRUE(WaitUntil([&] { return Commits(*target_.repo, r.id) == 1; }));
  fake_->FailFeed(true);
  ASSERT_TRUE(clock_.WaitForWaiters(2));  // worker idle, watcher backing off
  AddCommit(*source_.repo, r, "bob");
  fake_->FailFeed(false);
  // The watcher's backoff passes on the simulated clock (no reconcile: its
  // interval is 300 s and the clock moves 2 s at a time).
  EXPECT_TRUE(WaitUntil([&] {
    clock_.Advance(seconds(2));
    return Commits(*target_.repo, r.id) == 2;
  }, seconds(20)));
}

// Defect 5: through a neutral server (A -> B -> C, commit triggers on both
// hops) every commit made at A one at a time reaches C.
TEST_F(SyncEngineLifecycleTest, EveryCommitReachesTheFarTargetThroughANeutralServer) {
  // B is this fixture's target; C is a third server fed by B.
  auto c_store = SqliteStore::Open((dir_ / "c.db").string()).value();
  Repository c_repo(*c_store, clock_);
  ASSERT_TRUE(c_repo.Bootstrap().ok());
  std::string c_category = c_repo.CreateCategory({"from B", std::nullopt, ""}).value().id;
  TestSource b_source(*target_.repo);
  auto c_box = CredentialBox::Open((dir_ / "c-secret.key").string()).value();
  SyncEngine c_engine(c_repo, std::move(c_box), clock_, b_source.Factory(), options_);
  ASSERT_TRUE(c_engine.Start().ok());

  Resource r = NewResource("lib");
  AddCommit(*source_.repo, r, "alice");
  CreateConfig(Body({{"resources", {r.id}}}, "commit"));
  ASSERT_TRUE(WaitUntil([&] { return Commits(*target_.repo, r.id) == 1; }));
  Json c_body = Body({{"resources", {r.id}}}, "commit");
  c_body["source"]["username"] = b_source.username();
  c_body["targetCategoryId"] = c_category;
  ASSERT_TRUE(c_engine.Create(c_body).ok());
  ASSERT_TRUE(WaitUntil([&] { return Commits(c_repo, r.id) == 1; }));

  const int n = std::getenv("CI") ? 30 : 100;
  std::vector<double> latencies;
  for (int i = 0; i < n; ++i) {
    auto made = Steady::now();
    AddCommit(*source_.repo, r, "alice");
    ASSERT_TRUE(WaitUntil([&] { return Commits(c_repo, r.id) == static_cast<size_t>(i) + 2; }))
        << "commit " << i + 1 << " of " << n << " never reached C";
    latencies.push_back(std::chrono::duration<double, std::milli>(Steady::now() - made).count());
  }
  std::sort(latencies.begin(), latencies.end());
  std::printf("A->B->C, %d commits one at a time: p50 %.1f ms, p90 %.1f ms, max %.1f ms\n", n,
              latencies[latencies.size() / 2], latencies[latencies.size() * 9 / 10], latencies.back());
  c_engine.Stop();
}

}  // namespace
}  // namespace tandem
