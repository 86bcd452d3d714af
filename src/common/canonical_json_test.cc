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

TEST(CanonicalJsonTest, DefaultParseIsBoundedByTheCeiling) {
  // 100 000 levels: unbounded, the DOM's dump() would exhaust the stack.
  std::string deep(100'000, '[');
  deep += std::string(100'000, ']');
  auto r = ParseJson(deep, "stored element version");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(std::to_string(kMaxJsonDepthCeiling)), std::string::npos);
  EXPECT_TRUE(ParseJsonOrDiscarded(deep).is_discarded());
  EXPECT_TRUE(ParseJsonOrDiscarded("{\"a\":[1]}").is_object());
}

TEST(CanonicalJsonTest, ParseCanonicalJsonRefusesDepthAndNonCanonicalText) {
  EXPECT_TRUE(ParseCanonicalJson(R"({"a":[1,{"b":2}]})", "version", 3).ok());
  auto deep = ParseCanonicalJson(R"({"a":[1,{"b":2}]})", "element version E", 2);
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.status().message().find("element version E nests deeper than the limit of 2"),
            std::string::npos);
  for (const char* text : {R"({"b":1,"a":2})", R"({"a": 1})", R"({"a":10E-1})", R"({"a":"\u0041"})"}) {
    auto r = ParseCanonicalJson(text, "element version E", 64);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.status().message().find("canonical form"), std::string::npos) << text;
  }
}

TEST(CanonicalJsonTest, CheckJsonAcceptsOneDocumentWithinTheDepthAndNothingElse) {
  EXPECT_TRUE(CheckJson(R"({"a":[1,{"b":2}]})", "version", 3).ok());
  auto deep = CheckJson(R"({"a":[1,{"b":2}]})", "element version E", 2);
  EXPECT_EQ(deep.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(deep.message().find("element version E nests deeper than the limit of 2"),
            std::string::npos);
  for (const char* text : {R"({"a":)", R"({"a":1} {"b":2})", "", R"({"a":tru})", "\x01"}) {
    auto bad = CheckJson(text, "element version E", 64);
    EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(bad.message().find("element version E is not valid JSON"), std::string::npos) << text;
  }
}

TEST(CanonicalJsonTest, JsonDepthCountsWithoutRecursion) {
  EXPECT_EQ(JsonDepth(Json(1)), 0u);
  EXPECT_EQ(JsonDepth(Json::array()), 1u);
  EXPECT_EQ(JsonDepth(Json::parse(R"({"a":[1,{"b":[[]]}],"c":{}})")), 5u);
  Json deep = Json::array();
  Json* innermost = &deep;
  for (int i = 0; i < 50'000; ++i) innermost = &innermost->emplace_back(Json::array());
  EXPECT_EQ(JsonDepth(deep), 50'001u);
}

TEST(CanonicalJsonTest, OutOfRangeNumbersAreInvalidArgument) {
  auto r = ParseJson(R"({"value": 1e400})", "request body");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST(CanonicalJsonTest, InvalidUtf8IsRejectedAtParse) {
  EXPECT_FALSE(ParseJson("{\"a\":\"\xff\"}", "t").ok());
}

// Golden vectors of the canonical form, version 1 (docs/storage.md,
// "Canonical form"). Element version hashes are compared across servers and
// releases, so these bytes are frozen: a change of the JSON library that
// altered any of them must fail here, not silently rehash stored models.
TEST(CanonicalJsonTest, GoldenVectorsOfVersionOne) {
  struct Vector {
    std::string input;
    std::string canonical;
  };
  const Vector vectors[] = {
      // Key order: byte order of the UTF-8 keys (upper case, lower case, non-ASCII).
      {R"({"z":1,"é":2,"A":3,"a":{"y":null,"b":true}})",
       R"({"A":3,"a":{"b":true,"y":null},"z":1,"é":2})"},
      // Integers stay integers; numbers with a fraction or exponent are doubles,
      // printed shortest round-trip with at least one fractional digit.
      {"[100,1e2,1.0,1.50,-0.0,0.1,1.5e300,1e-7,-17,18446744073709551615]",
       "[100,100.0,1.0,1.5,-0.0,0.1,1.5e+300,1e-07,-17,18446744073709551615]"},
      // Escapes: only those JSON requires; short forms where JSON has them,
      // \u00XX (lower-case hex) for other controls; DEL, '/' and non-ASCII raw.
      {R"(["\u0001\u001f\b\t\n\f\r\"\\\/\u007f\u00e9\ud83d\ude00"])",
       std::string(R"(["\u0001\u001f\b\t\n\f\r\"\\/)") + "\x7f\xc3\xa9\xf0\x9f\x98\x80\"]"},
      // No whitespace anywhere.
      {R"( { "a" : [ 1 , 2 ] } )", R"({"a":[1,2]})"},
  };
  for (const auto& v : vectors) {
    auto parsed = ParseJson(v.input, "vector");
    ASSERT_TRUE(parsed.ok()) << v.input;
    EXPECT_EQ(CanonicalJson(*parsed).value(), v.canonical) << v.input;
  }
}

}  // namespace
}  // namespace tandem
