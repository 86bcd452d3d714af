// SyncEngine with a FakeClock and an in-process source (TestSource):
// validation on create, sealed passwords, run requests and their queueing,
// backoff after failures, one-time configurations.
#include "sync/sync_engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "testing/sync/two_servers_fixture.h"

namespace tandem {
namespace {

using std::chrono::seconds;

class SyncEngineTest : public TwoServersTest {
 protected:
  void SetUp() override {
    TwoServersTest::SetUp();
    box_ = CredentialBox::Open((dir_ / "secret.key").string()).value();
    engine_ = std::make_unique<SyncEngine>(*target_.repo, *box_, clock_, fake_->Factory());
    ASSERT_TRUE(engine_->Start().ok());
    lib_ = source_.repo->CreateResource({"lib", std::nullopt, std::nullopt, std::nullopt}).value();
    AddCommit();
    AddCommit();
  }
  void TearDown() override {
    fake_->HoldCatalogue(false);  // never leave a worker stuck in the gate
    engine_.reset();
    TwoServersTest::TearDown();
  }

  Commit AddCommit() {
    CommitRequest req;
    req.changes.push_back({NewUuid(), Json{{"@type", "Part"}}});
    return source_.repo->CreateCommit(lib_.id, req, "alice").value();
  }
  Json Body(const std::string& trigger = "manual", bool once = false) {
    return Json{{"name", "libraries from the source"},
                {"source", {{"url", TestSource::kUrl}, {"username", fake_->username()},
                            {"password", fake_->password()}}},
                {"resources", {lib_.id}},
                {"targetCategoryId", target_category_},
                {"trigger", {{"type", trigger}}},
                {"once", once}};
  }
  std::string CreateConfig(const Json& body) {
    auto created = engine_->Create(body);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? (*created)["id"].get<std::string>() : "";
  }
  size_t StoredConfigs() {
    return target_.store->BeginRead().value()->ListRemoteConfigs().value().size();
  }
  size_t CommitCount() {
    auto page = target_.repo->ListCommits(lib_.id, {std::nullopt, std::nullopt, 100}, false);
    return page.ok() ? page->items.size() : 0;
  }
  size_t RunCount(const std::string& id) { return engine_->Runs(id, 100).value().size(); }
  // Polls the status until `done` holds (the worker runs on its own thread).
  Json WaitForStatus(const std::string& id, const std::function<bool(const Json&)>& done) {
    auto deadline = std::chrono::steady_clock::now() + seconds(10);
    Json status;
    while (std::chrono::steady_clock::now() < deadline) {
      status = engine_->GetStatus(id).value();
      if (done(status)) return status;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ADD_FAILURE() << "status never reached the expected state: " << status.dump();
    return status;
  }
  int64_t Micros(const Json& timestamp) { return ParseTimestamp(timestamp.get<std::string>()).value(); }

  std::optional<CredentialBox> box_;
  std::unique_ptr<SyncEngine> engine_;
  Resource lib_;
};

TEST_F(SyncEngineTest, CreateRefusesIdsTheSourceLacksAndStoresNothing) {
  Json body = Body();
  std::string missing = NewUuid();
  body["resources"].push_back(missing);
  auto created = engine_->Create(body);
  EXPECT_EQ(created.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(created.status().message().find(missing), std::string::npos) << created.status().ToString();

  Json bad_category = Body();
  bad_category["categories"] = {NewUuid()};
  EXPECT_EQ(engine_->Create(bad_category).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(StoredConfigs(), 0u);
  EXPECT_TRUE(engine_->List().value().empty());
  EXPECT_EQ(fake_->pack_calls(), 0);
}

TEST_F(SyncEngineTest, CreateRefusesCredentialsTheSourceRejectsAndStoresNothing) {
  // A failed source check is a 400 (InvalidArgument) naming the cause, never a
  // 401 that the caller could take for a problem with its own credentials.
  Json body = Body();
  body["source"]["password"] = "wrong";
  auto created = engine_->Create(body);
  EXPECT_EQ(created.status().code(), StatusCode::kInvalidArgument) << created.status().ToString();
  EXPECT_NE(created.status().message().find("refused the credentials"), std::string::npos)
      << created.status().ToString();

  fake_->FailFromNowOn();
  auto unreachable = engine_->Create(Body());
  EXPECT_EQ(unreachable.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unreachable.status().message().find("cannot reach the source"), std::string::npos)
      << unreachable.status().ToString();
  EXPECT_EQ(StoredConfigs(), 0u);
  EXPECT_EQ(target_.repo->GetResource(lib_.id).status().code(), StatusCode::kNotFound);
}

TEST_F(SyncEngineTest, ThePasswordIsStoredSealedAndNeverShown) {
  std::string id = CreateConfig(Body());
  auto raw = target_.store->BeginRead().value()->GetRemoteConfig(id).value();
  ASSERT_TRUE(raw.has_value());
  const std::string& password = fake_->password();
  EXPECT_EQ(raw->secret.find(password), std::string::npos);
  EXPECT_EQ(raw->spec.find(password), std::string::npos);
  EXPECT_EQ(raw->state.find(password), std::string::npos);
  EXPECT_EQ(box_->Unseal(raw->secret).value(), password);
  EXPECT_EQ(engine_->Get(id)->dump().find(password), std::string::npos);
  EXPECT_EQ(engine_->List()->dump().find(password), std::string::npos);
  EXPECT_EQ(engine_->GetStatus(id)->dump().find(password), std::string::npos);
  // The engine unseals it for its runs.
  auto run = engine_->RequestRun(id, true, seconds(10));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ((*run)["outcome"], "ok");
}

TEST_F(SyncEngineTest, RequestRunWithWaitAnswersTheRunReport) {
  std::string id = CreateConfig(Body());
  EXPECT_EQ(RunCount(id), 0u);  // manual: nothing runs before it is asked
  auto run = engine_->RequestRun(id, true, seconds(10));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ((*run)["outcome"], "ok") << run->dump();
  EXPECT_EQ((*run)["report"]["commits"], 2);
  ASSERT_EQ((*run)["report"]["resources"].size(), 1u);
  EXPECT_EQ((*run)["report"]["resources"][0]["state"], "synced");

  Json status = engine_->GetStatus(id).value();
  EXPECT_EQ(status["state"], "idle");
  EXPECT_EQ(status["consecutiveFailures"], 0);
  EXPECT_TRUE(status["lastSuccess"].is_string());
  ASSERT_EQ(status["resources"].size(), 1u);
  EXPECT_EQ(status["resources"][0]["state"], "synced");
  EXPECT_TRUE(target_.repo->GetResource(lib_.id)->read_only);
}

TEST_F(SyncEngineTest, AnotherConfigurationsCopyOutsideTheTargetCategoryIsNotTakenOver) {
  std::string first = CreateConfig(Body());
  ASSERT_EQ((*engine_->RequestRun(first, true, seconds(10)))["outcome"], "ok");
  size_t copied = CommitCount();

  // A second configuration for the same source resource, into another
  // category: the copy stays where it is and is not written to.
  Category elsewhere = target_.repo->CreateCategory({"elsewhere", std::nullopt, ""}).value();
  Json body = Body();
  body["name"] = "a second configuration";
  body["targetCategoryId"] = elsewhere.id;
  std::string second = CreateConfig(body);
  AddCommit();
  auto run = engine_->RequestRun(second, true, seconds(10));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ((*run)["report"]["resources"][0]["state"], "conflict") << run->dump();
  EXPECT_NE((*run)["report"]["resources"][0]["message"].get<std::string>().find("another configuration"),
            std::string::npos);
  EXPECT_EQ(target_.repo->GetResource(lib_.id)->category_id, target_category_);
  EXPECT_EQ(CommitCount(), copied);

  // Its own configuration still updates it.
  ASSERT_EQ((*engine_->RequestRun(first, true, seconds(10)))["outcome"], "ok");
  EXPECT_EQ(CommitCount(), copied + 1);
}

TEST_F(SyncEngineTest, RequestsDuringARunQueueExactlyOneMoreRun) {
  std::string id = CreateConfig(Body());
  int base = fake_->catalogue_calls();  // the validation's
  fake_->HoldCatalogue(true);

  ASSERT_TRUE(engine_->RequestRun(id, false, seconds(0)).ok());
  ASSERT_TRUE(fake_->WaitCatalogueRequests(base + 1));  // run 1 is under way
  EXPECT_EQ(engine_->GetStatus(id).value()["state"], "running");
  ASSERT_TRUE(engine_->RequestRun(id, false, seconds(0)).ok());
  ASSERT_TRUE(engine_->RequestRun(id, false, seconds(0)).ok());
  fake_->ReleaseCatalogue();

  // Run 2 covers both requests made during run 1.
  ASSERT_TRUE(fake_->WaitCatalogueRequests(base + 2));
  EXPECT_EQ(RunCount(id), 1u);
  // A request during run 2 gets run 3; had runs not been merged, run 3 would
  // serve the second request above and this one would wait for a fourth.
  auto third = std::async(std::launch::async, [&] { return engine_->RequestRun(id, true, seconds(10)); });
  fake_->ReleaseCatalogue();
  ASSERT_TRUE(fake_->WaitCatalogueRequests(base + 3));
  fake_->ReleaseCatalogue();
  auto report = third.get();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(RunCount(id), 3u);
  EXPECT_EQ(fake_->catalogue_calls(), base + 3);
}

TEST_F(SyncEngineTest, AFailedRunBacksOffOnTheClockAndRetries) {
  // Validation (calls 1 and 2) passes; from the first run on the source is unreachable.
  fake_->FailCalls(3, 1'000'000);
  std::string id = CreateConfig(Body("commit"));  // a commit trigger runs at once

  // (GetStatus reads the stored record before the worker's live state, so
  // wait for both to show the finished run.)
  Json waiting = WaitForStatus(id, [](const Json& s) {
    return s["state"] == "waiting" && s["consecutiveFailures"] == 1;
  });
  EXPECT_NE(waiting["lastError"]["message"].get<std::string>().find("cannot reach"), std::string::npos);
  int64_t next = Micros(waiting["nextAttempt"]);
  EXPECT_GT(next, clock_.NowMicros());
  EXPECT_EQ(RunCount(id), 1u);

  // Past nextAttempt the worker retries; it fails again and backs off longer.
  int64_t first_backoff = next - clock_.NowMicros();
  clock_.Set(next + 1);
  Json again = WaitForStatus(id, [](const Json& s) {
    return s["state"] == "waiting" && s["consecutiveFailures"] == 2;
  });
  EXPECT_GT(Micros(again["nextAttempt"]) - clock_.NowMicros(), first_backoff);
  EXPECT_EQ(RunCount(id), 2u);

  // The source is back: the next retry succeeds and the failure count resets.
  fake_->ClearFaults();
  clock_.Set(Micros(again["nextAttempt"]) + 1);
  Json ok = WaitForStatus(id, [](const Json& s) { return s["lastSuccess"].is_string() && s["state"] == "idle"; });
  EXPECT_EQ(ok["consecutiveFailures"], 0);
  EXPECT_FALSE(ok.contains("nextAttempt"));
  EXPECT_EQ(ok["resources"][0]["state"], "synced");
  EXPECT_EQ(RunCount(id), 3u);
}

// Issue #12: backoff never hammers a source that is down. Ten minutes of
// outage in simulated time, one second at a time (each step once the run
// worker and the feed watcher are parked): the runs back off 2, 4, 8, ... s
// (capped at 300 s) and the feed watcher 2, 4, ... s (capped at 60 s), so the
// source sees a few dozen requests, not one per second; once it is back, the
// next attempt converges.
TEST_F(SyncEngineTest, ATenMinuteOutageCostsTheSourceAFewDozenRequests) {
  std::string id = CreateConfig(Body("commit"));
  WaitForStatus(id, [](const Json& s) { return s["state"] == "idle" && s["lastSuccess"].is_string(); });
  const int calls_before = fake_->calls(), feed_before = fake_->feed_calls();
  fake_->FailFromNowOn();
  fake_->FailFeed(true);
  AddCommit();  // what the source has meanwhile
  ASSERT_TRUE(engine_->RequestRun(id, false, seconds(0)).ok());
  // A waiter stays counted while it re-checks its deadline after an Advance,
  // so each step also gives the threads a few real milliseconds to act.
  auto step = [&](size_t waiters) {
    ASSERT_TRUE(clock_.WaitForWaiters(waiters)) << "the worker and the watcher park between attempts";
    clock_.Advance(seconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  };
  for (int second = 0; second < 600; ++second) step(2);
  const int calls = fake_->calls() - calls_before, feed = fake_->feed_calls() - feed_before;
  // Runs: the first plus retries after 2+4+...+256 s = 9 attempts of one call
  // each (the source's info fails first). Feed: 2+4+8+16+32+64 then every 60 s.
  EXPECT_GE(calls, 5) << "it kept trying";
  EXPECT_LE(calls, 12);
  EXPECT_GE(feed, 5);
  EXPECT_LE(feed, 18);
  Json status = engine_->GetStatus(id).value();
  EXPECT_EQ(status["state"], "waiting");
  EXPECT_GE(status["consecutiveFailures"].get<int>(), 5);

  fake_->ClearFaults();
  // (Once the feed answers again its watcher waits in real time, not on the clock.)
  for (int second = 0; second < 300 && CommitCount() < 3; ++second) step(1);
  EXPECT_EQ(CommitCount(), 3u) << "the first attempt after the outage brought the new commit";
  Json healed = WaitForStatus(id, [](const Json& s) { return s["consecutiveFailures"] == 0; });
  EXPECT_EQ(healed["resources"][0]["state"], "synced");
}

TEST_F(SyncEngineTest, SynchronizeNowDoesNotWaitForTheBackoff) {
  // docs/synchronization.md: "Whatever the trigger, POST .../sync starts a run now".
  fake_->FailCalls(3, 1'000'000);
  std::string id = CreateConfig(Body("commit"));
  WaitForStatus(id, [](const Json& s) { return s["state"] == "waiting"; });
  fake_->ClearFaults();
  auto run = engine_->RequestRun(id, true, seconds(3));  // FakeClock not advanced
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ((*run)["outcome"], "ok");
}

// A source whose listing never ends by itself: Browse waits until cancelled.
class StalledListing final : public SyncSource {
 public:
  explicit StalledListing(std::atomic<int>& waiting) : waiting_(waiting) {}
  Result<SourceInfo> Info(const Cancellation&) override { return SourceInfo{NewUuid(), 1, 1, "x"}; }
  Result<Catalogue> FetchCatalogue(const CatalogueRequest&, const Cancellation&) override {
    return Catalogue{};
  }
  Status FetchPack(const PackRequest&, const ByteSink&, const Cancellation&) override {
    return Status::Ok();
  }
  Result<ChangePage> Changes(int64_t, std::chrono::seconds, const Cancellation&) override {
    return Status::NotImplemented("no feed");
  }
  Result<SourceTree> Browse(const Cancellation& cancel) override {
    std::mutex mu;
    std::condition_variable cv;
    auto wake = cancel.OnCancel([&] {
      std::lock_guard lock(mu);
      cv.notify_all();
    });
    ++waiting_;
    std::unique_lock lock(mu);
    cv.wait_for(lock, seconds(60), [&] { return cancel.cancelled(); });
    --waiting_;
    return Status::Unavailable("stalled listing cancelled");
  }
  std::string Name() const override { return "stalled"; }

 private:
  std::atomic<int>& waiting_;
};

TEST_F(SyncEngineTest, BrowsingIsBoundedInTimeAndInNumberAndStopsWithTheEngine) {
  std::atomic<int> waiting{0};
  SyncEngineOptions options;
  options.browse_timeout = seconds(1);
  options.max_browses = 1;
  auto engine = std::make_unique<SyncEngine>(
      *target_.repo, *box_, clock_,
      [&waiting](const SourceEndpoint&) { return std::make_unique<StalledListing>(waiting); },
      options);
  SourceEndpoint endpoint{"http://stalled:1", "u", "p"};

  // The whole listing has its time, whatever the source does.
  auto start = std::chrono::steady_clock::now();
  auto late = engine->BrowseSource(endpoint);
  EXPECT_EQ(late.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(late.status().message().find("within 1 s"), std::string::npos)
      << late.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(10));

  // One at a time here: a second one while the first waits is refused at once.
  options.browse_timeout = seconds(60);
  engine = std::make_unique<SyncEngine>(
      *target_.repo, *box_, clock_,
      [&waiting](const SourceEndpoint&) { return std::make_unique<StalledListing>(waiting); },
      options);
  ASSERT_TRUE(engine->Start().ok());
  Result<SourceTree> first = Status::Unavailable("not run");
  std::thread browsing([&] { first = engine->BrowseSource(endpoint); });
  auto until = std::chrono::steady_clock::now() + seconds(10);
  while (waiting.load() == 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(waiting.load(), 1);
  auto second = engine->BrowseSource(endpoint);
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable) << second.status().ToString();

  // Stopping the engine ends the waiting one promptly (not after 60 s).
  start = std::chrono::steady_clock::now();
  engine->Stop();
  browsing.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(10));
  EXPECT_EQ(first.status().code(), StatusCode::kInvalidArgument) << first.status().ToString();
  EXPECT_EQ(first.status().message().find("within"), std::string::npos) << first.status().message();
}

TEST_F(SyncEngineTest, TheHintOfAFailedRunFitsTheFailure) {
  std::string id = CreateConfig(Body());
  fake_->FailFromNowOn();
  ASSERT_TRUE(engine_->RequestRun(id, true, seconds(10)).ok());
  std::string unreachable = engine_->GetStatus(id).value()["lastError"]["hint"];
  EXPECT_NE(unreachable.find("reachable"), std::string::npos) << unreachable;
  // Refused credentials: the way to give the current password, not the network.
  fake_->ClearFaults();
  fake_->RefuseCredentialsFromNowOn();
  ASSERT_TRUE(engine_->RequestRun(id, true, seconds(10)).ok());
  std::string refused = engine_->GetStatus(id).value()["lastError"]["hint"];
  EXPECT_NE(refused.find("Change password"), std::string::npos) << refused;
  EXPECT_EQ(refused.find("reachable"), std::string::npos) << refused;
}

TEST_F(SyncEngineTest, AFailedManualRunIsAnErrorWithoutRetries) {
  std::string id = CreateConfig(Body());
  fake_->FailFromNowOn();
  auto failed = engine_->RequestRun(id, true, seconds(10));
  ASSERT_TRUE(failed.ok()) << failed.status().ToString();
  EXPECT_EQ((*failed)["outcome"], "error");
  Json status = engine_->GetStatus(id).value();
  EXPECT_EQ(status["state"], "error");
  EXPECT_FALSE(status.contains("nextAttempt"));
  EXPECT_EQ(status["consecutiveFailures"], 1);
  EXPECT_TRUE(status["lastError"]["hint"].is_string());

  fake_->ClearFaults();
  auto ok = engine_->RequestRun(id, true, seconds(10));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["outcome"], "ok");
  status = engine_->GetStatus(id).value();
  EXPECT_EQ(status["state"], "idle");
  EXPECT_EQ(status["consecutiveFailures"], 0);
}

TEST_F(SyncEngineTest, AOneTimeConfigurationCompletesAndRefusesMoreRuns) {
  std::string id = CreateConfig(Body("commit", /*once=*/true));
  Json done = WaitForStatus(id, [](const Json& s) {
    return s["state"] == "completed" && s["lastSuccess"].is_string();
  });
  ASSERT_EQ(done["resources"].size(), 1u);
  EXPECT_EQ(done["resources"][0]["state"], "synced");
  EXPECT_TRUE(target_.repo->GetResource(lib_.id)->read_only);

  EXPECT_EQ(engine_->RequestRun(id, false, seconds(0)).status().code(), StatusCode::kConflict);
  EXPECT_EQ(engine_->RequestRun(id, true, seconds(1)).status().code(), StatusCode::kConflict);
  EXPECT_EQ(RunCount(id), 1u);
}


// Defect 4 of issue #9: a PATCH waited for the whole run. Now it stops the
// run (held here at the source, as over a stalled link) and answers at once;
// the stopped run is recorded, and the next run completes the history.
TEST_F(SyncEngineTest, UpdateStopsARunInProgressAndTheNextRunCompletesIt) {
  std::string id = CreateConfig(Body());
  int base = fake_->catalogue_calls();
  fake_->HoldCatalogue(true);
  ASSERT_TRUE(engine_->RequestRun(id, false, seconds(0)).ok());
  ASSERT_TRUE(fake_->WaitCatalogueRequests(base + 1));  // a run is under way, and stuck
  auto started = std::chrono::steady_clock::now();
  auto updated = engine_->Update(id, Json{{"name", "renamed configuration"}});
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_LT(took, seconds(1));
  EXPECT_EQ((*updated)["name"], "renamed configuration");
  auto runs = engine_->Runs(id, 10).value();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["outcome"], "cancelled");
  EXPECT_EQ(CommitCount(), 0u);

  fake_->HoldCatalogue(false);
  auto report = engine_->RequestRun(id, true, seconds(10));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ((*report)["outcome"], "ok");
  EXPECT_EQ(CommitCount(), 2u);
  Json status = engine_->GetStatus(id).value();
  EXPECT_EQ(status["name"], "renamed configuration");
  EXPECT_EQ(status["resources"].size(), 1u) << status.dump();
}

// Issue #10, finding 4: PATCHing source.url to another address made the
// target send the stored password there. Changing the url or the user name
// now needs the password again, and nothing reaches the new address without it.
TEST_F(SyncEngineTest, ChangingTheSourceAddressOrAccountNeedsThePasswordAgain) {
  std::string id = CreateConfig(Body());
  int calls = fake_->calls();
  for (const Json& patch : {Json{{"source", {{"url", "http://attacker.example:8111"}}}},
                            Json{{"source", {{"username", "someone-else"}}}}}) {
    auto updated = engine_->Update(id, patch);
    ASSERT_FALSE(updated.ok()) << patch.dump();
    EXPECT_EQ(updated.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(updated.status().message().find("source.password"), std::string::npos)
        << updated.status().message();
  }
  EXPECT_EQ(fake_->calls(), calls);  // no connection was made to check anything
  EXPECT_EQ(engine_->Get(id).value()["source"]["url"], TestSource::kUrl);
  // With the password, the change is checked against the new source as usual.
  auto with_password = engine_->Update(
      id, Json{{"source", {{"username", "someone-else"}, {"password", "x-long-password"}}}});
  EXPECT_EQ(with_password.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(with_password.status().message().find("refused the credentials"), std::string::npos);
}

}  // namespace
}  // namespace tandem
