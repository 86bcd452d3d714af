// TwoServersTest: a gtest fixture with two servers' repositories in one
// process — a source served by a TestSource (testing/sync/test_source.h)
// and a target with a category to synchronize into — on SQLite stores in a
// temporary directory, sharing one FakeClock. Test-only; not thread-safe.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "common/ids.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/sync/test_source.h"
#include "testing/common/fake_clock.h"

namespace tandem {

class TwoServersTest : public ::testing::Test {
 protected:
  struct Side {
    std::unique_ptr<SqliteStore> store;
    std::unique_ptr<Repository> repo;
  };

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem-sync-test-" + RandomHex(6));
    std::filesystem::create_directories(dir_);
    for (auto* side : {&source_, &target_}) {
      side->store = std::move(SqliteStore::Open((dir_ / RandomHex(4)).string()).value());
      side->repo = std::make_unique<Repository>(*side->store, clock_);
      ASSERT_TRUE(side->repo->Bootstrap().ok());
    }
    fake_ = std::make_unique<TestSource>(*source_.repo);
    target_category_ = target_.repo->CreateCategory({"synced", std::nullopt, ""}).value().id;
  }

  // A resource at the source, and a commit of one new element on `repo`.
  Resource NewResource(const std::string& name) {
    return source_.repo->CreateResource({name, "a library", std::nullopt, std::nullopt}).value();
  }
  Commit AddCommit(Repository& repo, const Resource& r, const std::string& author,
                   Json payload = Json{{"@type", "Part"}}) {
    CommitRequest req;
    req.changes.push_back({NewUuid(), std::move(payload)});
    return repo.CreateCommit(r.id, req, author).value();
  }
  // Two projects at the source: "app", whose one commit uses "lib" (a
  // ProjectUsage) at lib's one commit.
  struct AppUsingLib {
    Resource lib, app;
    Commit lib_commit, app_commit;
  };
  AppUsingLib NewAppUsingLib() {
    AppUsingLib p;
    p.lib = NewResource("lib");
    p.lib_commit = AddCommit(*source_.repo, p.lib, "alice");
    p.app = NewResource("app");
    p.app_commit = AddCommit(*source_.repo, p.app, "bob",
                             Json{{"@type", "ProjectUsage"},
                                  {"usedProject", {{"@id", p.lib.id}}},
                                  {"usedCommit", {{"@id", p.lib_commit.id}}}});
    return p;
  }

  // Derived fixtures release what uses the servers first, then call this.
  void TearDown() override {
    fake_.reset();
    source_ = {};
    target_ = {};
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  Side source_, target_;
  std::unique_ptr<TestSource> fake_;
  std::string target_category_;
};

}  // namespace tandem
