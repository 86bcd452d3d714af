// The wire codec of the catalogue's feed position (protocol 1.1): what a
// target sends and accepts, and what a source refuses.
#include "sync/sync_codec.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

TEST(SyncCodecTest, ACatalogueRequestCarriesSinceAndRefusesWhatIsNoPosition) {
  CatalogueRequest request{{"00000000-0000-4000-8000-000000000001"}, {}, std::nullopt, "42:1764000000000000"};
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

}  // namespace
}  // namespace tandem
