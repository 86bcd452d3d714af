#include "sync/import_pipeline.h"

#include <gtest/gtest.h>

#include "testing/sync/two_servers_fixture.h"

namespace tandem {
namespace {

// A source repository with a history, and a target with an empty copy of it.
class ImportPipelineTest : public TwoServersTest {
 protected:
  void SetUp() override {
    TwoServersTest::SetUp();
    resource_ = NewResource("lib");
    std::vector<std::string> ids;
    for (int i = 0; i < 8; ++i) ids.push_back(NewUuid());
    for (int i = 0; i < 40; ++i) {
      CommitRequest req;
      req.changes.push_back({ids[i % ids.size()], Json{{"@type", "Part"}, {"n", i}}});
      made_.push_back(source_.repo->CreateCommit(resource_.id, req, "alice").value());
    }
    ASSERT_TRUE(target_.repo->CreateMirror(resource_, target_category_, "{}").ok());
  }
  // The history as a pack carries it, oldest first.
  std::vector<Repository::ImportedCommit> Received() {
    std::vector<Repository::ImportedCommit> out;
    auto commits = source_.repo->CommitsNotIn(resource_.id, {}).value();
    Status st = source_.repo->VisitCommitContents(
        commits, [&](const Commit& c, const std::vector<Change>& changes,
                     const Repository::VersionText& text) -> Status {
          Repository::ImportedCommit in;
          in.commit = c;
          in.changes = changes;
          for (const auto& ch : changes) {
            if (ch.version) {
              ASSIGN_OR_RETURN(in.versions[*ch.version], text(*ch.version));
            }
          }
          out.push_back(std::move(in));
          return Status::Ok();
        });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return out;
  }
  uint64_t TargetCommits() { return target_.repo->CountCommits(resource_.id).value(); }

  Resource resource_;
  std::vector<Commit> made_;
};

TEST_F(ImportPipelineTest, ImportsEveryPushedCommitAndReportsProgress) {
  Cancellation cancel;
  uint64_t reported = 0;  // written on the pipeline's thread, read after Close
  ImportPipeline pipeline(*target_.repo, resource_.id, cancel, [&](uint64_t n) { reported += n; });
  for (auto& in : Received()) ASSERT_TRUE(pipeline.Push(std::move(in)).ok());
  ASSERT_TRUE(pipeline.Close().ok());
  EXPECT_EQ(pipeline.commits_imported(), made_.size());
  EXPECT_EQ(reported, made_.size());
  EXPECT_EQ(TargetCommits(), made_.size());
  EXPECT_EQ(target_.repo->GetCommit(resource_.id, made_.back().id)->hash, made_.back().hash);
}

// A queue bound smaller than one commit: every Push waits for the queue to
// empty, and nothing deadlocks.
TEST_F(ImportPipelineTest, BackpressureWaitsForTheImportAndLosesNothing) {
  Cancellation cancel;
  ImportPipelineLimits limits;
  limits.max_queued_bytes = 1;
  limits.max_batch_commits = 3;
  ImportPipeline pipeline(*target_.repo, resource_.id, cancel, {}, limits);
  for (auto& in : Received()) ASSERT_TRUE(pipeline.Push(std::move(in)).ok());
  ASSERT_TRUE(pipeline.Close().ok());
  EXPECT_EQ(TargetCommits(), made_.size());
}

TEST_F(ImportPipelineTest, ARefusedCommitEndsTheImportKeepingTheCommitsBeforeIt) {
  Cancellation cancel;
  ImportPipelineLimits limits;
  limits.max_batch_commits = 7;  // the refused commit lies inside a batch
  ImportPipeline pipeline(*target_.repo, resource_.id, cancel, {}, limits);
  auto received = Received();
  received[20].commit.author = "mallory";  // its hash no longer matches
  Status pushed;
  for (auto& in : received) {
    pushed = pipeline.Push(std::move(in));
    if (!pushed.ok()) break;  // the reader stops reading the stream
  }
  Status closed = pipeline.Close();
  EXPECT_EQ(closed.code(), StatusCode::kCorruption) << closed.ToString();
  if (!pushed.ok()) {
    EXPECT_EQ(pushed.code(), StatusCode::kCorruption);
  }
  EXPECT_EQ(pipeline.commits_imported(), 20u);
  EXPECT_EQ(TargetCommits(), 20u);
  EXPECT_EQ(target_.repo->GetCommit(resource_.id, made_[20].id).status().code(), StatusCode::kNotFound);
}

TEST_F(ImportPipelineTest, ACancelledRunPushesNothingMore) {
  Cancellation cancel;
  ImportPipeline pipeline(*target_.repo, resource_.id, cancel);
  auto received = Received();
  ASSERT_TRUE(pipeline.Push(std::move(received[0])).ok());
  cancel.Cancel();
  Status st = pipeline.Push(std::move(received[1]));
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
  EXPECT_TRUE(pipeline.Close().ok());
  EXPECT_LE(TargetCommits(), 1u);  // the first may have been stored before the cancel, whole
}

}  // namespace
}  // namespace tandem
