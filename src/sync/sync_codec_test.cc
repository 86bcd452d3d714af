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

// Browsing a source for the wizard (HttpSyncSource::Browse): its lists are
// foreign data, decoded field by field and checked as a tree.
TEST(BrowseCodecTest, ListsAreDecodedAndEveryFieldIsChecked) {
  std::string root = NewUuid(), child = NewUuid(), resource = NewUuid();
  Json cats =
      Json::array({{{"id", root}, {"name", "Root"}, {"parentId", nullptr}, {"readOnly", false}},
                   {{"id", child}, {"name", "libs"}, {"parentId", root}, {"description", "d"}}});
  auto categories = CategoriesFromAnswer(cats.dump());
  ASSERT_TRUE(categories.ok()) << categories.status().ToString();
  ASSERT_EQ(categories->size(), 2u);
  EXPECT_FALSE((*categories)[0].parent_id.has_value());
  EXPECT_EQ((*categories)[1].parent_id, root);
  EXPECT_EQ((*categories)[1].description, "d");
  Json res = Json::array({{{"id", resource},
                           {"projectId", "P-1"},
                           {"name", "r"},
                           {"categoryId", child},
                           {"readOnly", true},
                           {"origin", nullptr}}});
  auto resources = ResourcesFromAnswer(res.dump());
  ASSERT_TRUE(resources.ok()) << resources.status().ToString();
  EXPECT_TRUE((*resources)[0].read_only);
  EXPECT_TRUE(CheckSourceTree({{}, *categories, *resources}).ok());

  for (const char* bad :
       {R"({"id":"x"})", R"([{"id":"not-a-uuid","name":"a"}])",
        R"([{"id":"00000000-0000-4000-8000-000000000001"}])",
        R"([{"id":"00000000-0000-4000-8000-000000000001","name":7}])",
        R"([{"id":"00000000-0000-4000-8000-000000000001","name":"a","parentId":"zz"}])", R"([3])",
        "not json"}) {
    auto refused = CategoriesFromAnswer(bad);
    EXPECT_EQ(refused.status().code(), StatusCode::kCorruption) << bad;
  }
  Json long_name = Json::array({{{"id", root}, {"name", std::string(513, 'a')}}});
  EXPECT_FALSE(CategoriesFromAnswer(long_name.dump()).ok());
  // Many small items are refused before they are built in memory.
  std::string empties = "[{}";
  for (size_t i = 0; i < kMaxBrowsedItems * 40; ++i) empties += ",{}";
  empties += "]";
  auto flood = CategoriesFromAnswer(empties);
  EXPECT_EQ(flood.status().code(), StatusCode::kCorruption);
  EXPECT_NE(flood.status().message().find("fields"), std::string::npos) << flood.status().message();
  // Punctuation inside strings is not counted.
  Json commas = Json::array(
      {{{"id", root}, {"name", std::string(500, ',')}, {"description", std::string(1000, '{')}}});
  EXPECT_TRUE(CategoriesFromAnswer(commas.dump()).ok());
  Json wrong_flag = res;
  wrong_flag[0]["readOnly"] = "yes";
  EXPECT_FALSE(ResourcesFromAnswer(wrong_flag.dump()).ok());
  Json no_category = res;
  no_category[0].erase("categoryId");
  EXPECT_FALSE(ResourcesFromAnswer(no_category.dump()).ok());
}

TEST(BrowseCodecTest, ATreeWithACycleAnUnknownParentOrDuplicatesIsRefused) {
  std::string a = NewUuid(), b = NewUuid(), c = NewUuid();
  SourceTree cycle;
  cycle.categories = {{a, "a", b, ""}, {b, "b", c, ""}, {c, "c", a, ""}};
  Status st = CheckSourceTree(cycle);
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("its own ancestor"), std::string::npos) << st.message();

  SourceTree self;
  self.categories = {{a, "a", a, ""}};
  EXPECT_FALSE(CheckSourceTree(self).ok());

  SourceTree orphan;
  orphan.categories = {{a, "a", std::nullopt, ""}, {b, "b", c, ""}};
  st = CheckSourceTree(orphan);
  EXPECT_NE(st.message().find("not listed"), std::string::npos) << st.message();

  SourceTree twice;
  twice.categories = {{a, "a", std::nullopt, ""}, {a, "again", std::nullopt, ""}};
  EXPECT_NE(CheckSourceTree(twice).message().find("twice"), std::string::npos);

  SourceTree stray;
  stray.categories = {{a, "a", std::nullopt, ""}};
  stray.resources = {{NewUuid(), "P", "r", b, false}};
  EXPECT_NE(CheckSourceTree(stray).message().find("not listed"), std::string::npos);
  stray.resources = {{c, "P", "r", a, false}, {c, "P", "r", a, false}};
  EXPECT_NE(CheckSourceTree(stray).message().find("twice"), std::string::npos);
}

TEST(BrowseCodecTest, ADeepChainOfCategoriesIsCheckedInLinearTime) {
  // A hostile source may nest the most categories it can send in one
  // chain; walking every category to the root would be quadratic.
  SourceTree deep;
  deep.categories.push_back({NewUuid(), "0", std::nullopt, ""});
  for (size_t i = 1; i < kMaxBrowsedItems; ++i) {
    deep.categories.push_back({NewUuid(), std::to_string(i), deep.categories.back().id, ""});
  }
  // Quadratic would be ~5e9 steps, far past the test's time-out.
  EXPECT_TRUE(CheckSourceTree(deep).ok());
  deep.categories.front().parent_id = deep.categories.back().id;  // the root's parent: the deepest
  EXPECT_FALSE(CheckSourceTree(deep).ok());
}

TEST(BrowseCodecTest, TheResourcesTargetCarriesTheCursor) {
  EXPECT_EQ(BrowseResourcesTarget(""), "/api/v1/resources?page[size]=100");
  EXPECT_EQ(BrowseResourcesTarget("00000000-0000-4000-8000-000000000001"),
            "/api/v1/resources?page[size]=100&page[after]=00000000-0000-4000-8000-000000000001");
}

}  // namespace
}  // namespace tandem
