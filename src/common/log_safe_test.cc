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

TEST(LogSafeTest, LongTextIsCut) {
  EXPECT_EQ(LogSafe(std::string(10, 'a'), 4), "aaaa...");
  EXPECT_EQ(LogSafe(std::string(4, 'a'), 4), "aaaa");
}

}  // namespace
}  // namespace tandem
