// FakeClock: the Clock of tests. It moves only when told (Advance/Set); its
// monotonic time moves with its wall time, and Advance wakes every wait in
// progress so that it re-checks its deadline — so reconcile intervals,
// backoff and time-outs pass when a test says, without sleeping.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <set>

#include "common/clock.h"
#include "common/mutex.h"

namespace tandem {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_micros = 1'700'000'000'000'000) : now_(start_micros) {}
  int64_t NowMicros() const override { return now_.load(); }
  int64_t MonotonicMicros() const override { return now_.load(); }
  // Blocks only in real time for the events the waiter's own `cv` signals:
  // simulated time passes through Advance, which wakes every waiter. A
  // waiter also re-checks every 5 real milliseconds, so that an Advance
  // racing with the start of a wait is never lost.
  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 int64_t deadline_micros, const std::function<bool()>& done) override;
  void Advance(std::chrono::microseconds d);
  void Set(int64_t micros);
  // Waits (in real time, at most `timeout`) until `n` waits are in progress:
  // lets a test advance time once the threads it drives are parked.
  bool WaitForWaiters(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  void WakeAll() EXCLUDES(mu_);
  std::atomic<int64_t> now_;
  Mutex mu_;
  std::condition_variable waiters_changed_;
  std::multiset<std::condition_variable*> waiters_ GUARDED_BY(mu_);
};

}  // namespace tandem
