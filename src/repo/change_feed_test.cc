#include "repo/change_feed.h"

#include <gtest/gtest.h>

#include <vector>

namespace tandem {
namespace {

TEST(ChangeFeedTest, SubscribersHearEachGenerationUntilTheyUnsubscribe) {
  ChangeFeed feed;
  std::vector<uint64_t> heard;
  uint64_t id = feed.Subscribe([&](uint64_t g) { heard.push_back(g); });
  feed.Notify();
  feed.Notify();
  feed.Unsubscribe(id);
  feed.Notify();
  EXPECT_EQ(heard, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(feed.generation(), 3u);
  // A blocking waiter that saw an older generation returns at once.
  EXPECT_EQ(feed.WaitFor(2, std::chrono::milliseconds(10'000)), 3u);
}

}  // namespace
}  // namespace tandem
