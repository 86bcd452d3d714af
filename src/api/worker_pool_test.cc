#include "api/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace tandem {
namespace {

TEST(WorkerPoolTest, AFullQueueRefusesInsteadOfGrowing) {
  WorkerPool pool(1, 2);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(pool.TrySubmit([&] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();  // the only worker is busy
  std::atomic<int> ran{0};
  EXPECT_TRUE(pool.TrySubmit([&] { ++ran; }));
  EXPECT_TRUE(pool.TrySubmit([&] { ++ran; }));
  EXPECT_FALSE(pool.TrySubmit([&] { ++ran; })) << "a third task over a queue of two";
  release.set_value();
  EXPECT_TRUE(pool.Shutdown(std::chrono::seconds(10)));
  EXPECT_EQ(ran.load(), 2);
  EXPECT_FALSE(pool.TrySubmit([] {})) << "no work after Shutdown";
}

TEST(WorkerPoolTest, ShutdownWaitsOnlyWithinItsBound) {
  WorkerPool pool(1, 1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ASSERT_TRUE(pool.TrySubmit([released] { released.wait(); }));
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(pool.Shutdown(std::chrono::milliseconds(200)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  release.set_value();  // the destructor joins the worker
}

}  // namespace
}  // namespace tandem
