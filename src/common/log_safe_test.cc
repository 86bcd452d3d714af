#include "common/log_safe.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

TEST(LogSafeTest, LineBreaksAndControlBytesBecomeEscapes) {
  EXPECT_EQ(LogSafe("/api/v1/health"), "/api/v1/health");
  EXPECT_EQ(LogSafe("a\r\nb"), "a\\x0d\\x0ab");
  EXPECT_EQ(LogSafe(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(LogSafe("\xff"), "\\xff");
  // A backslash is escaped too, so an escape in the log is never the client's.
  EXPECT_EQ(LogSafe("a\\x0a"), "a\\x5cx0a");
}

TEST(TerminalSafeTest, ControlCharactersBecomeVisibleAndLettersStay) {
  // A name a hostile source stored: clear the screen, fake a row, ring, set the title.
  EXPECT_EQ(TerminalSafe("a\x1b[2J\r\nfake row\x07"), "a\\x1b[2J\\x0d\\x0afake row\\x07");
  EXPECT_EQ(TerminalSafe("\x1b]0;owned\x07"), "\\x1b]0;owned\\x07");
  EXPECT_EQ(TerminalSafe(std::string("id\0x", 4)), "id\\x00x");
  EXPECT_EQ(TerminalSafe("tab\there\x7f"), "tab\\x09here\\x7f");
  EXPECT_EQ(TerminalSafe("\xc2\x9b" "31m"), "\\u009b31m");  // C1 CSI
  EXPECT_EQ(TerminalSafe("\xff\xc3"), "\\xff\\xc3");     // not UTF-8
  EXPECT_EQ(TerminalSafe("Bauteil Größe ✓ 😀 a\\b"), "Bauteil Größe ✓ 😀 a\\b");
  std::string once = TerminalSafe("x\x1by");
  EXPECT_EQ(TerminalSafe(once), once);
}

TEST(LogSafeTest, LongTextIsCut) {
  EXPECT_EQ(LogSafe(std::string(10, 'a'), 4), "aaaa...");
  EXPECT_EQ(LogSafe(std::string(4, 'a'), 4), "aaaa");
}

}  // namespace
}  // namespace tandem
