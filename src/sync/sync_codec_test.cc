// The wire codec of the catalogue's feed position (protocol 1.1): what a
// target sends and accepts, and what a source refuses; and what a pack's
// commit record may name as parents.
#include "sync/sync_codec.h"

#include <gtest/gtest.h>

#include "common/ids.h"
#include "common/zstd_stream.h"
#include "sync/pack_reader.h"

namespace tandem {
namespace {

TEST(SyncCodecTest, ACatalogueRequestCarriesSinceAndRefusesWhatIsNoPosition) {
  CatalogueRequest request{
      {"00000000-0000-4000-8000-000000000001"}, {}, std::nullopt, "42:1764000000000000"};
  auto back = CatalogueRequestFromJson(CatalogueRequestToJson(request));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->since, request.since);
  EXPECT_FALSE(CatalogueRequestFromJson(Json{{"resources", Json::array()}})->since.has_value());
  for (const Json& bad : {Json(42), Json(""), Json("1:2:3"), Json(":5"), Json("5:"), Json("x"),
                          Json(std::string(49, '1')), Json::array()}) {
    auto refused = CatalogueRequestFromJson(Json{{"since", bad}});
    ASSERT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << bad.dump();
    EXPECT_NE(refused.status().message().find("'since'"), std::string::npos);
  }
}

TEST(SyncCodecTest, AnUnchangedAnswerNeedsAPositionAndHoldsNoEntries) {
  Catalogue unchanged;
  unchanged.unchanged = true;
  unchanged.position = "7:123";
  Json wire = CatalogueToJson(unchanged);
  EXPECT_FALSE(wire.contains("resources"));
  auto back = CatalogueFromAnswer(wire.dump());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->unchanged);
  EXPECT_EQ(back->position, "7:123");

  EXPECT_EQ(CatalogueFromAnswer(R"({"unchanged":true})").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(CatalogueFromAnswer(R"({"unchanged":true,"position":"no"})").status().code(),
            StatusCode::kCorruption);
  EXPECT_EQ(CatalogueFromAnswer(R"({"resources":[],"position":17})").status().code(),
            StatusCode::kCorruption);

  // A whole answer carries its position; one from a 1.0 source has none.
  Catalogue whole;
  whole.position = "0";
  auto full = CatalogueFromAnswer(CatalogueToJson(whole).dump());
  ASSERT_TRUE(full.ok());
  EXPECT_FALSE(full->unchanged);
  EXPECT_EQ(full->position, "0");
  auto old = CatalogueFromAnswer(R"({"resources":[]})");
  ASSERT_TRUE(old.ok());
  EXPECT_TRUE(old->position.empty());
}

// A pack of one commit record naming `parents` (nothing else needs to be
// right: the reader refuses before it hands the commit on).
Status FeedCommitWithParents(const std::vector<std::string>& parents) {
  Json record = {{"t", "commit"},
                 {"id", NewUuid()},
                 {"parents", parents},
                 {"author", "alice"},
                 {"created", "2026-12-01T00:00:00.000000Z"},
                 {"hash", std::string(64, '0')},
                 {"changes", Json::array()}};
  std::string compressed;
  ZstdCompressor zstd([&](std::string_view b) {
    compressed.append(b);
    return true;
  });
  EXPECT_TRUE(zstd.Write(record.dump() + "\n").ok());
  EXPECT_TRUE(zstd.Finish().ok());
  bool handed_on = false;
  PackReader reader([&](Repository::ImportedCommit&&) {
    handed_on = true;
    return Status::Ok();
  });
  Status st = reader.Feed(compressed);
  if (!st.ok()) {
    EXPECT_FALSE(handed_on);
  }
  return st;
}

TEST(PackReaderTest, ACommitNamingTooManyParentsOrOneTwiceIsRefused) {
  std::string p = NewUuid();
  EXPECT_TRUE(FeedCommitWithParents({p, NewUuid()}).ok());  // a merge
  Status twice = FeedCommitWithParents({p, p});
  EXPECT_EQ(twice.code(), StatusCode::kCorruption);
  EXPECT_NE(twice.message().find("twice"), std::string::npos) << twice.message();
  std::vector<std::string> many(17);
  for (auto& id : many) id = NewUuid();
  Status too_many = FeedCommitWithParents(many);
  EXPECT_EQ(too_many.code(), StatusCode::kCorruption);
  EXPECT_NE(too_many.message().find("17 parents"), std::string::npos) << too_many.message();
}

}  // namespace
}  // namespace tandem
