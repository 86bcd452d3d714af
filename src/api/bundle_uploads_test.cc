// BundleUploads between two in-process servers: pieces in order within the
// limits, uploads private to their owner, a background apply that ends done
// with its report or failed with its reason, and a bounded number of uploads.
#include "api/bundle_uploads.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "sync/bundle_creator.h"
#include "testing/sync/two_servers_fixture.h"

namespace tandem {
namespace {

class BundleUploadsTest : public TwoServersTest {
 protected:
  void SetUp() override {
    TwoServersTest::SetUp();
    limits_.max_bundle_bytes = 1 << 20;
    uploads_ = std::make_unique<BundleUploads>((dir_ / "uploads").string(), limits_, 1000,
                                               *target_.repo, clock_);
  }
  void TearDown() override {
    uploads_.reset();
    TwoServersTest::TearDown();
  }
  std::string NewUpload(const std::string& owner = "alice") {
    auto created = uploads_->Create(owner);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? (*created)["id"].get<std::string>() : "";
  }
  void Send(const std::string& id, const std::string& bytes) {
    for (size_t at = 0; at < bytes.size(); at += 1000) {
      auto sent = uploads_->Append(id, "alice", at, bytes.substr(at, 1000));
      ASSERT_TRUE(sent.ok()) << sent.status().ToString();
    }
  }
  std::string SourceBundle(const Resource& r) {
    SourceService service(*source_.repo);
    BundleCreator creator(*source_.repo, service, clock_);
    std::string bytes;
    EXPECT_TRUE(creator
                    .Write(creator.Plan({{r.id}, {}, {}}).value(),
                           [&](std::string_view b) {
                             bytes.append(b);
                             return true;
                           })
                    .ok());
    return bytes;
  }

  BundleLimits limits_;
  std::unique_ptr<BundleUploads> uploads_;
};

TEST_F(BundleUploadsTest, PiecesComeInOrderWithinTheLimitsAndOnlyForTheirOwner) {
  std::string id = NewUpload();
  ASSERT_TRUE(uploads_->Append(id, "alice", 0, std::string(10, 'a')).ok());
  auto gap = uploads_->Append(id, "alice", 5, "b");
  EXPECT_EQ(gap.status().code(), StatusCode::kConflict);
  EXPECT_NE(gap.status().message().find("offset 10"), std::string::npos) << gap.status().ToString();
  EXPECT_EQ(uploads_->Append(id, "alice", 10, std::string(1001, 'c')).status().code(),
            StatusCode::kTooLarge);  // larger than a piece
  EXPECT_EQ(uploads_->Append(id, "mallory", 10, "d").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(uploads_->Describe(id, {"mallory"}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(uploads_->Describe(id, {"alice"}).value()["received"], 10);

  // The whole bundle is bounded by sync.max-bundle-bytes.
  std::string big = NewUpload();
  uint64_t at = 0;
  Status st;
  while (st.ok() && at <= limits_.max_bundle_bytes) {
    st = uploads_->Append(big, "alice", at, std::string(1000, 'x')).status();
    at += 1000;
  }
  EXPECT_EQ(st.code(), StatusCode::kTooLarge) << st.ToString();

  ASSERT_TRUE(uploads_->Discard(id, {"alice"}).ok());
  EXPECT_EQ(uploads_->Describe(id, {"alice"}).status().code(), StatusCode::kNotFound);
}

TEST_F(BundleUploadsTest, AnApplyRunsInTheBackgroundAndEndsWithItsReport) {
  Resource r = NewResource("lib");
  AddCommit(*source_.repo, r, "alice");
  AddCommit(*source_.repo, r, "alice");
  std::string id = NewUpload();
  Send(id, SourceBundle(r));
  ASSERT_TRUE(uploads_->StartApply(id, "alice", target_category_, nullptr).ok());
  auto done = uploads_->Wait(id, "alice", std::chrono::seconds(60));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ((*done)["state"], "done") << done->dump();
  EXPECT_EQ((*done)["report"]["outcome"], "ok");
  EXPECT_EQ((*done)["report"]["commits"], 2);
  EXPECT_EQ(target_.repo->CountCommits(r.id).value(), 2u);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "uploads" / (id + ".part")));
  // Applied once: no more pieces, no second apply.
  EXPECT_EQ(uploads_->Append(id, "alice", 0, "x").status().code(), StatusCode::kConflict);
  EXPECT_EQ(uploads_->StartApply(id, "alice", target_category_, nullptr).code(), StatusCode::kConflict);
}

TEST_F(BundleUploadsTest, AFailedApplyKeepsItsReasonAsAClientError) {
  std::string id = NewUpload();
  Send(id, "not a bundle at all");
  ASSERT_TRUE(uploads_->StartApply(id, "alice", target_category_, nullptr).ok());
  auto waited = uploads_->Wait(id, "alice", std::chrono::seconds(60));
  EXPECT_EQ(waited.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(waited.status().message().find("not a tandem bundle"), std::string::npos);
  Json record = uploads_->Describe(id, {"alice"}).value();
  EXPECT_EQ(record["state"], "failed");
  EXPECT_EQ(record["error"]["status"], 400);
}

// One sync manager opening every slot blocked all other users' uploads.
TEST_F(BundleUploadsTest, OpenUploadsAreLimitedPerUserAndInAll) {
  for (int i = 0; i < 4; ++i) NewUpload("alice");
  auto fifth = uploads_->Create("alice");
  EXPECT_EQ(fifth.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(fifth.status().message().find("sync.max-open-uploads-per-user"), std::string::npos)
      << fifth.status().message();
  EXPECT_FALSE(NewUpload("bob").empty());  // alice's slots are hers alone

  BundleUploads few((dir_ / "few").string(), limits_, 1000, *target_.repo, clock_,
                    UploadSlots{2, 3});
  ASSERT_TRUE(few.Create("alice").ok());
  ASSERT_TRUE(few.Create("alice").ok());
  ASSERT_TRUE(few.Create("bob").ok());
  auto full = few.Create("carol");
  EXPECT_EQ(full.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(full.status().message().find("sync.max-open-uploads)"), std::string::npos)
      << full.status().message();
}

TEST_F(BundleUploadsTest, AnAdministratorListsAndEndsAnyUpload) {
  std::string first = NewUpload("alice");
  std::string second = NewUpload("alice");
  EXPECT_TRUE(uploads_->List({"bob"}).empty());
  Json own = uploads_->List({"alice"});
  ASSERT_EQ(own.size(), 2u);
  EXPECT_FALSE(own[0].contains("owner"));
  Json all = uploads_->List({"root", /*admin=*/true});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]["owner"], "alice");
  EXPECT_EQ(uploads_->Describe(first, {"root", true}).value()["owner"], "alice");
  EXPECT_EQ(uploads_->Discard(first, {"bob"}).code(), StatusCode::kNotFound);
  ASSERT_TRUE(uploads_->Discard(first, {"root", true}).ok());
  EXPECT_EQ(uploads_->Describe(first, {"alice"}).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "uploads" / (first + ".part")));
  EXPECT_EQ(uploads_->List({"alice"}).size(), 1u);

  // A running apply is cancelled and its upload goes once it has stopped.
  Resource r = NewResource("lib");
  for (int i = 0; i < 3; ++i) AddCommit(*source_.repo, r, "alice");
  Send(second, SourceBundle(r));
  ASSERT_TRUE(uploads_->StartApply(second, "alice", target_category_, nullptr).ok());
  ASSERT_TRUE(uploads_->Discard(second, {"root", true}).ok());
  EXPECT_EQ(uploads_->Describe(second, {"alice"}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(uploads_->Wait(second, "alice", std::chrono::seconds(60)).status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace tandem
