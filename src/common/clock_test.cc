#include "common/clock.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/cancellation.h"
#include "testing/common/fake_clock.h"

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

TEST(ClockTest, FakeClockWaitEndsWhenTimeIsAdvancedPastTheDeadline) {
  FakeClock c(0);
  std::mutex mu;
  std::condition_variable cv;
  bool timed_out = false;
  std::thread waiter([&] {
    std::unique_lock lock(mu);
    timed_out = !c.WaitFor(lock, cv, std::chrono::seconds(300), [] { return false; });
  });
  ASSERT_TRUE(c.WaitForWaiters(1));
  c.Advance(std::chrono::seconds(299));
  // Still parked one simulated second before its deadline.
  EXPECT_TRUE(c.WaitForWaiters(1, std::chrono::milliseconds(20)));
  c.Advance(std::chrono::seconds(1));
  waiter.join();
  EXPECT_TRUE(timed_out);
}

TEST(ClockTest, FakeClockWaitEndsOnItsEvent) {
  FakeClock c(0);
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false, seen = false;
  std::thread waiter([&] {
    std::unique_lock lock(mu);
    seen = c.WaitFor(lock, cv, std::chrono::hours(1), [&] { return ready; });
  });
  ASSERT_TRUE(c.WaitForWaiters(1));
  {
    std::lock_guard lock(mu);
    ready = true;
  }
  cv.notify_all();
  waiter.join();
  EXPECT_TRUE(seen);
  EXPECT_EQ(c.NowMicros(), 0);
}

TEST(CancellationTest, RunsCallbacksOnceAndAtOnceWhenAlreadyCancelled) {
  Cancellation token;
  int calls = 0;
  {
    auto reg = token.OnCancel([&] { ++calls; });
    EXPECT_FALSE(token.cancelled());
    token.Cancel();
    token.Cancel();
  }
  EXPECT_TRUE(token.cancelled());
  EXPECT_EQ(calls, 1);
  auto late = token.OnCancel([&] { ++calls; });
  EXPECT_EQ(calls, 2);
}

TEST(CancellationTest, AnUnregisteredCallbackDoesNotRun) {
  Cancellation token;
  int calls = 0;
  { auto reg = token.OnCancel([&] { ++calls; }); }
  token.Cancel();
  EXPECT_EQ(calls, 0);
  EXPECT_FALSE(Cancellation::Never().cancelled());
}

}  // namespace
}  // namespace tandem
