#include "common/mutex.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace tandem {
namespace {

// The store's write transactions take their lock with try_lock_for and hand
// it on in a std::unique_lock. With std::timed_mutex ThreadSanitizer did not
// see that lock taken (libstdc++ calls pthread_mutex_clocklock, which clang
// 16's TSan does not intercept): each unlock was reported, and the writes of
// one transaction and the next stood unordered. Under TSan this fails then.
TEST(TimedMutexTest, OrdersWhatItGuardsBetweenThreads) {
  TimedMutex mu;
  int guarded = 0;  // plain int: only the mutex orders the two threads' writes
  auto add = [&] {
    for (int i = 0; i < 1000; ++i) {
      std::unique_lock lock(mu, std::defer_lock);
      ASSERT_TRUE(lock.try_lock_for(std::chrono::seconds(10)));
      ++guarded;
    }
  };
  std::thread other(add);
  add();
  other.join();
  EXPECT_EQ(guarded, 2000);
}

TEST(TimedMutexTest, TryLockForGivesUpAfterItsBound) {
  TimedMutex mu;
  std::unique_lock held(mu);
  std::atomic<bool> taken{true};
  std::thread other([&] {
    std::unique_lock lock(mu, std::defer_lock);
    taken = lock.try_lock_for(std::chrono::milliseconds(20));
  });
  other.join();
  EXPECT_FALSE(taken);
  held.unlock();
  std::unique_lock again(mu, std::defer_lock);
  EXPECT_TRUE(again.try_lock_for(std::chrono::milliseconds(20)));
}

TEST(MutexLockTest, UnlockLetsAnotherThreadInAndLockTakesItBack) {
  struct {
    Mutex mu;
    int value GUARDED_BY(mu) = 0;
  } guarded;
  MutexLock lock(guarded.mu);
  guarded.value = 1;
  lock.Unlock();
  std::thread other([&] {
    MutexLock inner(guarded.mu);
    guarded.value = 2;
  });
  other.join();
  lock.Lock();
  EXPECT_EQ(guarded.value, 2);
}

}  // namespace
}  // namespace tandem
