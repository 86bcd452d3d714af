#include "common/hocon.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace tandem {
namespace {

using Type = ConfigValue::Type;

ConfigDocument MustParse(std::string_view text) {
  Result<ConfigDocument> doc = ConfigDocument::ParseText(text, "test.conf");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  return doc.ok() ? std::move(doc).value() : ConfigDocument();
}

// The message must name the file and line first, then contain `reason`.
void ExpectError(std::string_view text, int line, std::string_view reason) {
  Result<ConfigDocument> doc = ConfigDocument::ParseText(text, "test.conf");
  ASSERT_FALSE(doc.ok()) << "parsed: " << text;
  EXPECT_EQ(doc.status().code(), StatusCode::kInvalidArgument);
  const std::string& msg = doc.status().message();
  EXPECT_EQ(msg.rfind("test.conf:" + std::to_string(line) + ": ", 0), 0u) << msg;
  EXPECT_NE(msg.find(reason), std::string::npos) << msg;
}

// Asserts the key exists and returns its text, or "<missing>".
std::string Text(const ConfigDocument& doc, std::string_view key) {
  const ConfigValue* v = doc.Find(key);
  return v == nullptr ? "<missing>" : v->text;
}

TEST(HoconTest, EqualsAndColonSeparators) {
  ConfigDocument doc = MustParse("a = 1\nb: two\nc :three\nd=4");
  EXPECT_EQ(Text(doc, "a"), "1");
  EXPECT_EQ(Text(doc, "b"), "two");
  EXPECT_EQ(Text(doc, "c"), "three");
  EXPECT_EQ(Text(doc, "d"), "4");
  EXPECT_EQ(doc.values().size(), 4u);
}

TEST(HoconTest, ObjectFormsWithAndWithoutSeparator) {
  ConfigDocument doc = MustParse("a { x = 1 }\nb = { y = 2 }\nc : {\n  z = 3\n}\nd {}");
  EXPECT_EQ(Text(doc, "a.x"), "1");
  EXPECT_EQ(Text(doc, "b.y"), "2");
  EXPECT_EQ(Text(doc, "c.z"), "3");
  EXPECT_EQ(doc.Find("d"), nullptr);  // Empty objects leave no entry.
  EXPECT_EQ(doc.Find("a"), nullptr);  // Objects are not values.
  EXPECT_EQ(doc.values().size(), 3u);
}

TEST(HoconTest, DottedKeysEqualNesting) {
  ConfigDocument dotted = MustParse("a.b.c = 1");
  ConfigDocument nested = MustParse("a { b { c = 1 } }");
  ASSERT_EQ(dotted.values().size(), 1u);
  ASSERT_EQ(nested.values().size(), 1u);
  EXPECT_EQ(dotted.values().begin()->first, "a.b.c");
  EXPECT_EQ(nested.values().begin()->first, "a.b.c");
}

TEST(HoconTest, DottedAndNestedFormsMerge) {
  ConfigDocument doc = MustParse(
      "server { port = 1 }\n"
      "server.bind = \"0.0.0.0\"\n"
      "server { tls.enabled = true }\n"
      "server.tls { cert = /etc/cert.pem }\n");
  EXPECT_EQ(Text(doc, "server.port"), "1");
  EXPECT_EQ(Text(doc, "server.bind"), "0.0.0.0");
  EXPECT_EQ(Text(doc, "server.tls.enabled"), "true");
  EXPECT_EQ(Text(doc, "server.tls.cert"), "/etc/cert.pem");
  EXPECT_EQ(doc.values().size(), 4u);
}

TEST(HoconTest, LaterScalarWins) {
  ConfigDocument doc = MustParse("a = 1\nb { c = x }\na = 2\nb.c = y\n");
  EXPECT_EQ(Text(doc, "a"), "2");
  EXPECT_EQ(Text(doc, "b.c"), "y");
  EXPECT_EQ(doc.Find("a")->line, 3);
  EXPECT_EQ(doc.Find("b.c")->line, 4);
}

TEST(HoconTest, LaterScalarReplacesWholeObject) {
  ConfigDocument doc = MustParse("a { x = 1, y = 2 }\na = 5\n");
  EXPECT_EQ(Text(doc, "a"), "5");
  EXPECT_EQ(doc.Find("a.x"), nullptr);
  EXPECT_EQ(doc.values().size(), 1u);
}

TEST(HoconTest, LaterObjectReplacesScalar) {
  // The scalar in between cuts the merge: only y survives, as in HOCON.
  ConfigDocument doc = MustParse("a = { x = 1 }\na = 5\na = { y = 2 }\nb = [1]\nb.c = 3\n");
  EXPECT_EQ(doc.Find("a"), nullptr);
  EXPECT_EQ(doc.Find("a.x"), nullptr);
  EXPECT_EQ(Text(doc, "a.y"), "2");
  EXPECT_EQ(doc.Find("b"), nullptr);
  EXPECT_EQ(Text(doc, "b.c"), "3");
  EXPECT_EQ(doc.values().size(), 2u);
}

TEST(HoconTest, Comments) {
  ConfigDocument doc = MustParse(
      "# leading\n"
      "// also leading\n"
      "a = 1 # trailing\n"
      "b = x // trailing\n"
      "c = \"has # and // inside\"  # real comment\n"
      "d { # after brace\n"
      "  e = 2 // inner\n"
      "}\n");
  EXPECT_EQ(Text(doc, "a"), "1");
  EXPECT_EQ(Text(doc, "b"), "x");
  EXPECT_EQ(Text(doc, "c"), "has # and // inside");
  EXPECT_EQ(Text(doc, "d.e"), "2");
  EXPECT_EQ(doc.values().size(), 4u);
}

TEST(HoconTest, QuotedStringEscapes) {
  ConfigDocument doc =
      MustParse(R"(a = "q\" b\\ n\n t\t s\/ e\u00e9 euro\u20AC smile\ud83d\ude00 tab	ok")");
  const ConfigValue* v = doc.Find("a");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->type, Type::kString);
  EXPECT_EQ(v->text, "q\" b\\ n\n t\t s/ e\xC3\xA9 euro\xE2\x82\xAC smile\xF0\x9F\x98\x80 tab\tok");
  EXPECT_EQ(Text(MustParse("a = \"\""), "a"), "");
  EXPECT_EQ(MustParse("a = \"true\"").Find("a")->type, Type::kString);
}

TEST(HoconTest, UnquotedStrings) {
  ConfigDocument doc = MustParse(
      "ip = 127.0.0.1\n"
      "dir = /var/lib/tandem   \n"
      "type = PKCS12\n"
      "words = hello big world\t\n"
      "path = a/b//c\n"
      "listed = x, other = y\n");
  EXPECT_EQ(Text(doc, "ip"), "127.0.0.1");
  EXPECT_EQ(Text(doc, "dir"), "/var/lib/tandem");
  EXPECT_EQ(Text(doc, "type"), "PKCS12");
  EXPECT_EQ(Text(doc, "words"), "hello big world");
  EXPECT_EQ(Text(doc, "path"), "a/b");
  EXPECT_EQ(Text(doc, "listed"), "x");
  EXPECT_EQ(Text(doc, "other"), "y");
  for (const auto& [key, value] : doc.values()) EXPECT_EQ(value.type, Type::kString) << key;
}

TEST(HoconTest, Numbers) {
  ConfigDocument doc = MustParse("i = 8111\nn = -42\nd = 0.75\ne = 1.5e3\nz = 0\n");
  for (const auto& [key, value] : doc.values()) EXPECT_EQ(value.type, Type::kNumber) << key;
  EXPECT_EQ(Text(doc, "n"), "-42");
  EXPECT_EQ(Text(doc, "d"), "0.75");
  EXPECT_EQ(Text(doc, "e"), "1.5e3");
  // Number-like text that is not one number stays a string.
  ConfigDocument strings = MustParse("a = 1.2.3\nb = 10 seconds\nc = -\nd = 1.\ne = 0x10\n");
  for (const auto& [key, value] : strings.values()) EXPECT_EQ(value.type, Type::kString) << key;
  EXPECT_EQ(Text(strings, "b"), "10 seconds");
}

TEST(HoconTest, BooleansAndNull) {
  ConfigDocument doc = MustParse("t = true\nf = false\nn = null\ny = yes\no = off\ns = true story");
  EXPECT_EQ(doc.Find("t")->type, Type::kBool);
  EXPECT_EQ(doc.Find("f")->type, Type::kBool);
  EXPECT_EQ(Text(doc, "f"), "false");
  EXPECT_EQ(doc.Find("n")->type, Type::kNull);
  EXPECT_EQ(Text(doc, "n"), "null");
  EXPECT_EQ(doc.Find("y")->type, Type::kString);  // yes/no/on/off are not booleans here.
  EXPECT_EQ(doc.Find("o")->type, Type::kString);
  EXPECT_EQ(doc.Find("s")->type, Type::kString);
}

TEST(HoconTest, Lists) {
  ConfigDocument doc = MustParse(
      "a = [x, \"b\", 3, true, null]\n"
      "b = [\n"
      "  one   # first\n"
      "  \"two\",\n"
      "  3,\n"
      "]\n"
      "c = []\n"
      "d = [[1, 2], [], [[x]]]\n");
  const ConfigValue* a = doc.Find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->type, Type::kList);
  ASSERT_EQ(a->items.size(), 5u);
  EXPECT_EQ(a->items[0].type, Type::kString);
  EXPECT_EQ(a->items[0].text, "x");
  EXPECT_EQ(a->items[1].type, Type::kString);
  EXPECT_EQ(a->items[2].type, Type::kNumber);
  EXPECT_EQ(a->items[3].type, Type::kBool);
  EXPECT_EQ(a->items[4].type, Type::kNull);

  const ConfigValue* b = doc.Find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->line, 2);
  ASSERT_EQ(b->items.size(), 3u);
  EXPECT_EQ(b->items[0].text, "one");
  EXPECT_EQ(b->items[0].line, 3);  // Items carry their own line.
  EXPECT_EQ(b->items[1].text, "two");
  EXPECT_EQ(b->items[2].line, 5);
  EXPECT_EQ(b->items[2].file, "test.conf");

  EXPECT_EQ(doc.Find("c")->type, Type::kList);
  EXPECT_TRUE(doc.Find("c")->items.empty());

  const ConfigValue* d = doc.Find("d");
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(d->items.size(), 3u);
  EXPECT_EQ(d->items[0].items.size(), 2u);
  EXPECT_EQ(d->items[1].type, Type::kList);
  EXPECT_EQ(d->items[2].items[0].items[0].text, "x");
}

TEST(HoconTest, CommasSeparateFields) {
  ConfigDocument doc = MustParse("a = 1, b = \"2\", c { d = 3, e = [4], }, f = 5,\n");
  EXPECT_EQ(Text(doc, "a"), "1");
  EXPECT_EQ(Text(doc, "b"), "2");
  EXPECT_EQ(Text(doc, "c.d"), "3");
  EXPECT_EQ(doc.Find("c.e")->items.size(), 1u);
  EXPECT_EQ(Text(doc, "f"), "5");
}

TEST(HoconTest, WholeFileInBraces) {
  ConfigDocument doc = MustParse("# header\n{\n  a = 1\n  b { c = 2 }\n}\n# trailer\n");
  EXPECT_EQ(Text(doc, "a"), "1");
  EXPECT_EQ(Text(doc, "b.c"), "2");
  EXPECT_EQ(doc.Find("a")->line, 3);
  EXPECT_TRUE(MustParse("{}").values().empty());
  EXPECT_TRUE(MustParse("").values().empty());
  EXPECT_TRUE(MustParse("\n  # only a comment\n").values().empty());
}

TEST(HoconTest, QuotedKeySegmentsAreNotSplit) {
  ConfigDocument doc = MustParse(
      "\"a.b\" = 1\n"
      "a { b = 2 }\n"
      "x.\"y.z\".w = 3\n"
      "\"has space\" = 4\n"
      "\"\" = 5\n");
  EXPECT_EQ(Text(doc, "\"a.b\""), "1");
  EXPECT_EQ(Text(doc, "a.b"), "2");
  EXPECT_EQ(Text(doc, "x.\"y.z\".w"), "3");
  EXPECT_EQ(Text(doc, "\"has space\""), "4");
  EXPECT_EQ(Text(doc, "\"\""), "5");
  EXPECT_EQ(doc.values().count("x.\"y.z\".w"), 1u);  // values() uses HOCON path rendering.
}

TEST(HoconTest, FindAcceptsAnySpellingOfAPath) {
  ConfigDocument doc = MustParse("server { port = 8111 }\n\"plain\" = 1\n");
  EXPECT_EQ(Text(doc, "server.port"), "8111");
  EXPECT_EQ(Text(doc, "\"server\".\"port\""), "8111");
  EXPECT_EQ(Text(doc, "plain"), "1");
  EXPECT_EQ(doc.Find("server.missing"), nullptr);
  EXPECT_EQ(doc.Find("server"), nullptr);
  EXPECT_EQ(doc.Find(""), nullptr);
  EXPECT_EQ(doc.Find("server..port"), nullptr);
  EXPECT_EQ(doc.Find("server.port "), nullptr);
}

TEST(HoconTest, ValuesRecordFileAndKeyLine) {
  Result<ConfigDocument> doc =
      ConfigDocument::ParseText("\n\na {\n\n  b = 1\n}\nc = [\n 1\n]\n", "app.conf");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->Find("a.b")->line, 5);
  EXPECT_EQ(doc->Find("a.b")->file, "app.conf");
  EXPECT_EQ(doc->Find("c")->line, 7);
  EXPECT_EQ(doc->Find("c")->items[0].line, 8);
}

TEST(HoconTest, RealisticFile) {
  ConfigDocument doc = MustParse(
      "# Tandem server\n"
      "server {\n"
      "  port = 8111\n"
      "  bind: \"127.0.0.1\"\n"
      "  data-dir = /var/lib/tandem   // comment\n"
      "}\n"
      "sysml.post-status = 200\n"
      "esi.server.sync.tls-enabled = true\n"
      "twc.client.keystore.type = PKCS12\n");
  EXPECT_EQ(doc.values().size(), 6u);
  const ConfigValue* port = doc.Find("server.port");
  ASSERT_NE(port, nullptr);
  EXPECT_EQ(port->type, Type::kNumber);
  EXPECT_EQ(port->line, 3);
  EXPECT_EQ(ConfigInt(*port, "server.port", 1, 65535).value(), 8111);
  EXPECT_EQ(Text(doc, "server.bind"), "127.0.0.1");
  EXPECT_EQ(doc.Find("server.bind")->line, 4);
  EXPECT_EQ(Text(doc, "server.data-dir"), "/var/lib/tandem");
  EXPECT_EQ(Text(doc, "sysml.post-status"), "200");
  EXPECT_EQ(doc.Find("sysml.post-status")->line, 7);
  EXPECT_TRUE(ConfigBool(*doc.Find("esi.server.sync.tls-enabled"), "x").value());
  EXPECT_EQ(Text(doc, "twc.client.keystore.type"), "PKCS12");
  EXPECT_EQ(doc.Find("twc.client.keystore.type")->line, 9);
}

TEST(HoconTest, CrlfLineEndingsAndByteOrderMark) {
  ConfigDocument doc = MustParse("\xEF\xBB\xBF# bom\r\na = 1\r\nb {\r\n  c = x y \r\n}\r\n");
  EXPECT_EQ(Text(doc, "a"), "1");
  EXPECT_EQ(doc.Find("a")->type, Type::kNumber);
  EXPECT_EQ(Text(doc, "b.c"), "x y");
  EXPECT_EQ(doc.Find("b.c")->line, 4);
}

TEST(HoconTest, NonAsciiBytesPassThrough) {
  ConfigDocument doc = MustParse("name = caf\xC3\xA9\nraw = \"\xFF\xFE\"\n\xC3\xA9t\xC3\xA9 = 1\n");
  EXPECT_EQ(Text(doc, "name"), "caf\xC3\xA9");
  EXPECT_EQ(Text(doc, "raw"), "\xFF\xFE");
  EXPECT_EQ(Text(doc, "\xC3\xA9t\xC3\xA9"), "1");
}

TEST(HoconErrorTest, UnterminatedString) {
  ExpectError("a = 1\nb = \"open\nc = 2\n", 2, "unterminated string");
  ExpectError("a = \"open", 1, "unterminated string");
  ExpectError("\"key = 1", 1, "unterminated string");
  ExpectError("a = \"ends in backslash\\\n\"", 1, "unterminated string");
}

TEST(HoconErrorTest, UnbalancedBraces) {
  ExpectError("a = 1\nserver {\n  port = 1\n", 2, "'{' of 'server' is never closed");
  ExpectError("a { b { c = 1 }\n", 1, "'{' of 'a' is never closed");
  ExpectError("{\na = 1\n", 1, "'{' is never closed");
  ExpectError("a = 1\n}\n", 2, "unexpected '}' with no matching '{'");
  ExpectError("a { b = 1 } }\n", 1, "unexpected '}' with no matching '{'");
  ExpectError("{ a = 1 }\nb = 2\n", 2, "after the '}' that closes the file");
}

TEST(HoconErrorTest, UnbalancedBrackets) {
  ExpectError("a = 1\nb = [1,\n 2\n", 2, "'[' of 'b' is never closed");
  ExpectError("b = [1, 2}\n", 1, "expected ']' to close the list of 'b'");
  ExpectError("b = [1,\n}\n", 2, "expected ']' to close the list of 'b'");
  ExpectError("a = 1]\n", 1, "unexpected ']' with no matching '['");
  ExpectError("a = 1\n]\n", 2, "unexpected ']' with no matching '['");
}

TEST(HoconErrorTest, MissingValue) {
  ExpectError("a = 1\nb =\nc = 2\n", 2, "missing value for 'b'");
  ExpectError("s { p : # nothing\n}", 1, "missing value for 's.p'");
  ExpectError("a = ", 1, "missing value for 'a'");
  ExpectError("a { b = }", 1, "missing value for 'a.b'");
  ExpectError("a = , b = 1", 1, "missing value for 'a'");
  ExpectError("a = [1,,2]", 1, "missing value in the list of 'a'");
  ExpectError("a = [,]", 1, "missing value in the list of 'a'");
}

TEST(HoconErrorTest, MissingSeparator) {
  ExpectError("a = \"x\" b = 2\n", 1, "missing separator");
  ExpectError("a = \"x\" \"y\"\n", 1, "missing separator");
  ExpectError("x = 0\na { b = 1 } c = 2\n", 2,
              "missing separator: expected ',' or newline after "
              "the value of 'a', got 'c'");
  ExpectError("a = [1] [2]\n", 1, "missing separator");
  ExpectError("a = [1 \"2\"]\n", 1, "unexpected '\"' in the value of 'a': missing ','");
  ExpectError("a = 1 b = 2\n", 1, "unexpected '=' in the value of 'a': missing ','");
  ExpectError("a = 1,, b = 2\n", 1, "unexpected ','");
}

TEST(HoconErrorTest, ExpectedSeparatorAfterKey) {
  Result<ConfigDocument> doc =
      ConfigDocument::ParseText("# Tandem\n\n\n\n\nserver {\n  port 8111\n}\n", "application.conf");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().message(),
            "application.conf:7: expected '=' or ':' after key 'server.port'");
  ExpectError("a\n= 1\n", 1, "expected '=' or ':' after key 'a'");
  ExpectError("= 1\n", 1, "expected a key, got '='");
}

TEST(HoconErrorTest, BadEscapes) {
  ExpectError("a = 1\nb = \"\\x41\"\n", 2, "invalid escape '\\' followed by 'x'");
  ExpectError("b = \"\\'\"\n", 1, "invalid escape");
  ExpectError("b = \"\\u12G4\"\n", 1, "expected 4 hex digits");
  ExpectError("b = \"\\u12\"\n", 1, "expected 4 hex digits");
  ExpectError("b = \"\\ud83d\"\n", 1, "unpaired surrogate");
  ExpectError("b = \"\\ude00\"\n", 1, "unpaired surrogate");
  ExpectError("b = \"\\ud83d\\u0041\"\n", 1, "unpaired surrogate");
  ExpectError("b = \"\\u0000\"\n", 1, "\\u0000 is not allowed");
  ExpectError("b = \"bell\x07\"\n", 1, "control character");
}

TEST(HoconErrorTest, NulByteRejected) {
  ExpectError(std::string_view("a = 1\nb = x\0y\n", 13), 2, "NUL byte");
  ExpectError(std::string_view("a = \"x\0\"", 8), 1, "NUL byte");
}

TEST(HoconErrorTest, UnsupportedFeatures) {
  ExpectError("a = 1\ninclude \"other.conf\"\n", 2, "include is not supported");
  ExpectError("include required(file(\"x.conf\"))\n", 1, "include is not supported");
  ExpectError("a = 1\nb = ${a}\n", 2, "substitutions ('${...}') are not supported");
  ExpectError("b = prefix-${a}\n", 1, "substitutions");
  ExpectError("b = [${a}]\n", 1, "substitutions");
  ExpectError("b += 1\n", 1, "'+=' is not supported");
  ExpectError("b = \"\"\"long\"\"\"\n", 1, "triple-quoted strings are not supported");
  ExpectError("a = [{ b = 1 }]\n", 1, "objects inside lists are not supported");
  // "include" as an ordinary key still works.
  EXPECT_EQ(Text(MustParse("include = 1\nx.include = 2"), "include"), "1");
}

TEST(HoconErrorTest, CharactersHoconForbidsInUnquotedText) {
  ExpectError("url = http://example.com\n", 1, "unexpected ':' in the value of 'url'");
  ExpectError("a = 1\nmail = me@example.com\n", 2, "'@' is not allowed in the unquoted value");
  ExpectError("a = x*y\n", 1, "put the whole value in double quotes");
  ExpectError("a = x \"y\"\n", 1, "value concatenation is not supported");
  EXPECT_EQ(Text(MustParse("url = \"http://example.com\""), "url"), "http://example.com");
}

TEST(HoconErrorTest, BadKeys) {
  ExpectError("a..b = 1\n", 1, "empty segment in key 'a..'");
  ExpectError(".a = 1\n", 1, "empty segment in key '.'");
  ExpectError("a. = 1\n", 1, "key 'a.' ends with '.'");
  ExpectError("a@b = 1\n", 1, "expected '=' or ':' after key 'a'");
}

TEST(HoconErrorTest, NestingTooDeep) {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "a {";
  ExpectError(deep, 1, "nests deeper than 64 levels");
  ExpectError("a = " + std::string(100, '[') + std::string(100, ']'), 1, "nests deeper");
  std::string long_key = "a";
  for (int i = 0; i < 100; ++i) long_key += ".a";
  ExpectError(long_key + " = 1", 1, "nests deeper");
}

class HoconFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::path(::testing::TempDir()) / ("hocon_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(HoconFileTest, ParsesFileAndNamesItInErrors) {
  const std::string good = (dir_ / "application.conf").string();
  std::ofstream(good) << "server.port = 8111\n";
  Result<ConfigDocument> doc = ConfigDocument::ParseFile(good);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->Find("server.port")->file, good);

  const std::string bad = (dir_ / "bad.conf").string();
  std::ofstream(bad) << "a = 1\nb = \"x\n";
  doc = ConfigDocument::ParseFile(bad);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().message().rfind(bad + ":2: unterminated string", 0), 0u)
      << doc.status().message();
}

TEST_F(HoconFileTest, UnreadableFileIsIOError) {
  const std::string missing = (dir_ / "missing.conf").string();
  Result<ConfigDocument> doc = ConfigDocument::ParseFile(missing);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kIOError);
  EXPECT_EQ(doc.status().message(), "cannot read " + missing + ": No such file or directory");

  doc = ConfigDocument::ParseFile(dir_.string());
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kIOError);
  EXPECT_EQ(doc.status().message(), "cannot read " + dir_.string() + ": Is a directory");
}

TEST(ConfigAccessTest, ConfigInt) {
  ConfigDocument doc = MustParse(
      "port = 8111\nneg = -5\nquoted = \"42\"\nbig = 70000\nfrac = 1.5\nword = abc\n"
      "list = [1]\nhuge = 99999999999999999999\n");
  EXPECT_EQ(ConfigInt(*doc.Find("port"), "port", 1, 65535).value(), 8111);
  EXPECT_EQ(ConfigInt(*doc.Find("neg"), "neg", -10, 10).value(), -5);
  EXPECT_EQ(ConfigInt(*doc.Find("quoted"), "quoted", 0, 100).value(), 42);
  Result<int64_t> r = ConfigInt(*doc.Find("big"), "server.port", 1, 65535);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "test.conf:4: 'server.port' must be an integer from 1 to 65535, got '70000'");
  EXPECT_FALSE(ConfigInt(*doc.Find("frac"), "frac", 0, 10).ok());
  EXPECT_EQ(ConfigInt(*doc.Find("word"), "word", 0, 10).status().message(),
            "test.conf:6: 'word' must be an integer from 0 to 10, got 'abc'");
  EXPECT_EQ(ConfigInt(*doc.Find("list"), "list", 0, 10).status().message(),
            "test.conf:7: 'list' must be an integer from 0 to 10, got a list");
  EXPECT_FALSE(ConfigInt(*doc.Find("huge"), "huge", INT64_MIN, INT64_MAX).ok());
}

TEST(ConfigAccessTest, ConfigBool) {
  ConfigDocument doc = MustParse("t = true\nf = false\nq = \"true\"\ny = yes\nn = 1\nz = null\n");
  EXPECT_TRUE(ConfigBool(*doc.Find("t"), "t").value());
  EXPECT_FALSE(ConfigBool(*doc.Find("f"), "f").value());
  EXPECT_TRUE(ConfigBool(*doc.Find("q"), "q").value());
  EXPECT_EQ(ConfigBool(*doc.Find("y"), "tls").status().message(),
            "test.conf:4: 'tls' must be true or false, got 'yes'");
  EXPECT_FALSE(ConfigBool(*doc.Find("n"), "n").ok());
  EXPECT_EQ(ConfigBool(*doc.Find("z"), "z").status().message(),
            "test.conf:6: 'z' must be true or false, got 'null'");
}

TEST(ConfigAccessTest, ConfigString) {
  ConfigDocument doc =
      MustParse("s = \"x y\"\nu = PKCS12\nn = 123456\nb = true\nz = null\nl = []\n");
  EXPECT_EQ(ConfigString(*doc.Find("s"), "s").value(), "x y");
  EXPECT_EQ(ConfigString(*doc.Find("u"), "u").value(), "PKCS12");
  EXPECT_EQ(ConfigString(*doc.Find("n"), "n").value(), "123456");
  EXPECT_EQ(ConfigString(*doc.Find("b"), "b").value(), "true");
  EXPECT_EQ(ConfigString(*doc.Find("z"), "z").status().message(),
            "test.conf:5: 'z' must be a string, got 'null'");
  EXPECT_EQ(ConfigString(*doc.Find("l"), "l").status().message(),
            "test.conf:6: 'l' must be a string, got a list");
}

}  // namespace
}  // namespace tandem
