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
