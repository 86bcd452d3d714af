#include "api/sysml_json.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

Result<CommitRequest> Parse(const std::string& text) {
  return ParseCommitRequest(Json::parse(text));
}

TEST(SysmlJsonTest, ParsesACommitRequestWithIdentityAndDeletes) {
  auto req = Parse(R"({"@type":"Commit","description":"d","change":[
      {"@type":"DataVersion","identity":{"@id":"c98b83b4-9911-436c-ae0c-af6b95b81ea2"},
       "payload":{"@type":"Part"}},
      {"identity":{"@id":"d98b83b4-9911-436c-ae0c-af6b95b81ea2"},"payload":null}],
      "previousCommit":{"@id":"A98B83B4-9911-436C-AE0C-AF6B95B81EA2"}})");
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->description, "d");
  ASSERT_EQ(req->changes.size(), 2u);
  EXPECT_EQ(req->changes[0].element_id, "c98b83b4-9911-436c-ae0c-af6b95b81ea2");
  EXPECT_TRUE(req->changes[1].payload.is_null());
  EXPECT_EQ(req->previous_commit, "a98b83b4-9911-436c-ae0c-af6b95b81ea2");
}

TEST(SysmlJsonTest, RefusesMalformedCommitRequestsNamingTheField) {
  struct Case {
    const char* body;
    const char* needle;
  };
  for (const auto& c : std::vector<Case>{
           {R"([])", "must be a JSON object"},
           {R"({})", "'change' is required"},
           {R"({"change":{}})", "'change' must be an array"},
           {R"({"change":[{"identity":{"@id":"x"}}]})", "'payload' is required"},
           {R"({"change":[{"payload":{},"extra":1}]})", "unknown field 'extra'"},
           {R"({"change":[],"@type":"Project"})", "'@type' must be \"Commit\""},
           {R"({"change":[],"description":5})", "'description' must be a string"},
           {R"({"change":[{"identity":{"@id":7},"payload":null}]})", "'@id' must be a string"},
           {R"({"change":[],"previousCommit":{"@id":"nope"}})", "UUID"},
       }) {
    auto r = Parse(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos)
        << c.body << " -> " << r.status().message();
  }
}

TEST(SysmlJsonTest, BranchWithoutHeadHasNullReferences) {
  Branch b{"b", "r", "main", std::nullopt, std::nullopt, 0};
  Json j = BranchJson(b);
  EXPECT_TRUE(j["head"].is_null());
  EXPECT_EQ(j["owningProject"]["@id"], "r");
}

}  // namespace
}  // namespace tandem
