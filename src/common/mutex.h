// Mutex and MutexLock: std::mutex and std::unique_lock with the capability
// annotations of common/thread_annotations.h, so that clang's -Wthread-safety
// checks every member declared GUARDED_BY one of them. Waits keep working on
// std::condition_variable and the injected Clock (common/clock.h): MutexLock
// hands its std::unique_lock to Clock::WaitUntil or a condition variable,
// which release and retake the mutex and hold it whenever they return or call
// their predicate; such a predicate, a lambda, says so with REQUIRES(mu).
// TimedMutex is an annotated mutex whose lock may wait with a bound (the
// store's writer). Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "common/thread_annotations.h"

namespace tandem {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  // Tells the analysis that the caller holds this mutex where it cannot see
  // that itself; checks nothing at run time.
  void AssertHeld() const ASSERT_CAPABILITY(this) {}
  // For MutexLock only: the analysis does not see what is done through it.
  std::mutex& native() { return mu_; }

 private:
  std::mutex mu_;
};

// Holds `mu` for its scope; Unlock() and Lock() let go of it and retake it
// within that scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : lock_(mu.native()) {}
  ~MutexLock() RELEASE() {}
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void Unlock() RELEASE() { lock_.unlock(); }
  void Lock() ACQUIRE() { lock_.lock(); }
  // For Clock::WaitUntil/WaitFor and std::condition_variable waits, which
  // return with the mutex held again.
  std::unique_lock<std::mutex>& native() { return lock_; }

 private:
  std::unique_lock<std::mutex> lock_;
};

// A mutex whose lock may wait with a bound (the store's writer), usable with
// std::unique_lock (it is TimedLockable). Not std::timed_mutex: libstdc++'s
// try_lock_for calls pthread_mutex_clocklock, which ThreadSanitizer (clang 16)
// does not intercept, so TSan never saw such a lock taken and reported each
// unlock as "unlock of an unlocked mutex" -- and saw no order between two
// write transactions. Here the lock is a flag under a std::mutex.
class CAPABILITY("mutex") TimedMutex {
 public:
  TimedMutex() = default;
  TimedMutex(const TimedMutex&) = delete;
  TimedMutex& operator=(const TimedMutex&) = delete;

  void lock() ACQUIRE() {
    std::unique_lock lock(mu_);
    released_.wait(lock, [this] { return !held_; });
    held_ = true;
  }
  // True (and held) if the mutex was taken within `timeout`.
  template <typename Rep, typename Period>
  bool try_lock_for(const std::chrono::duration<Rep, Period>& timeout) TRY_ACQUIRE(true) {
    std::unique_lock lock(mu_);
    if (!released_.wait_for(lock, timeout, [this] { return !held_; })) return false;
    held_ = true;
    return true;
  }
  void unlock() RELEASE() {
    {
      std::lock_guard lock(mu_);
      held_ = false;
    }
    released_.notify_one();
  }
  // Tells the analysis that the caller holds this mutex through a
  // std::unique_lock it cannot follow; checks nothing at run time.
  void AssertHeld() const ASSERT_CAPABILITY(this) {}

 private:
  std::mutex mu_;
  std::condition_variable released_;
  bool held_ = false;
};

}  // namespace tandem
