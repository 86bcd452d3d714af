#include "common/canonical_json.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

TEST(CanonicalJsonTest, SortsKeysAndDropsWhitespace) {
  auto a = ParseJson(R"({ "b": 1, "a": [true, null, "x"], "c": {"z": 1.5, "y": -2} })", "t");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(CanonicalJson(*a).value(), R"({"a":[true,null,"x"],"b":1,"c":{"y":-2,"z":1.5}})");
}

TEST(CanonicalJsonTest, EqualDocumentsGiveEqualText) {
  auto a = ParseJson(R"({"x":"é\u00e9","n":1e2})", "t").value();
  auto b = ParseJson(R"({"n":100.0,"x":"éé"})", "t").value();
  EXPECT_EQ(CanonicalJson(a).value(), CanonicalJson(b).value());
}

TEST(CanonicalJsonTest, ParseErrorsNameWhatAndWhere) {
  auto r = ParseJson(R"({"a": )", "request body");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("request body"), std::string::npos);
}

TEST(CanonicalJsonTest, DepthLimitStopsDeepNesting) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  EXPECT_TRUE(ParseJson(deep, "t", 200).ok());
  auto r = ParseJson(deep, "t", 50);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("deeper"), std::string::npos);
}

TEST(CanonicalJsonTest, OutOfRangeNumbersAreInvalidArgument) {
  auto r = ParseJson(R"({"value": 1e400})", "request body");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST(CanonicalJsonTest, InvalidUtf8IsRejectedAtParse) {
  EXPECT_FALSE(ParseJson("{\"a\":\"\xff\"}", "t").ok());
}

}  // namespace
}  // namespace tandem
