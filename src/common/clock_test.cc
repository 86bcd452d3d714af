#include "common/clock.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

TEST(ClockTest, FormatsAndParsesRfc3339) {
  int64_t t = 1'764'153'405'123'456;  // 2025-11-26T10:36:45.123456Z
  std::string s = FormatTimestamp(t);
  EXPECT_EQ(s, "2025-11-26T10:36:45.123456Z");
  EXPECT_EQ(ParseTimestamp(s), t);
  EXPECT_EQ(ParseTimestamp("2025-11-26T11:36:45.123456+01:00"), t);
  EXPECT_EQ(ParseTimestamp("2025-11-26T10:36:45Z"), t - 123456);
}

TEST(ClockTest, RejectsMalformedTimestamps) {
  EXPECT_FALSE(ParseTimestamp(""));
  EXPECT_FALSE(ParseTimestamp("2025-13-01T00:00:00Z"));
  EXPECT_FALSE(ParseTimestamp("2025-11-26 10:36:45Z"));
  EXPECT_FALSE(ParseTimestamp("2025-11-26T10:36:45"));
  EXPECT_FALSE(ParseTimestamp("2025-11-26T10:36:45.Z"));
  EXPECT_FALSE(ParseTimestamp("2025-11-26T10:36:45Zjunk"));
}

TEST(ClockTest, FakeClockAdvancesOnlyWhenTold) {
  FakeClock c(1000);
  EXPECT_EQ(c.NowMicros(), 1000);
  c.Advance(std::chrono::seconds(2));
  EXPECT_EQ(c.NowMicros(), 2'001'000);
}

}  // namespace
}  // namespace tandem
