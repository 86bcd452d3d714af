// Clock: the one injectable source of time — wall time (timestamps), monotonic
// time (deadlines, intervals) and waits on a condition variable up to a
// monotonic deadline. Nothing else in Tandem reads std::chrono clocks for
// deadlines or sleeps, so a test that swaps in a FakeClock controls every
// timer: reconcile intervals, backoff and time-outs then pass when the test
// advances time, without sleeping.
//
// SystemClock reads the real clocks. FakeClock moves only when told
// (Advance/Set); its monotonic time moves with its wall time, and Advance
// wakes every wait that is in progress so that it re-checks its deadline.
// Both are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace tandem {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch (UTC).
  virtual int64_t NowMicros() const = 0;
  // Microseconds on a clock that never goes back (deadlines, intervals).
  virtual int64_t MonotonicMicros() const = 0;
  // Waits on `cv` (whose mutex `lock` holds) until `done()` holds or the
  // monotonic clock reaches `deadline_micros`; returns done(). `done` is
  // evaluated with `lock` held, as with std::condition_variable::wait_until.
  virtual bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                         int64_t deadline_micros, const std::function<bool()>& done) = 0;

  // WaitUntil with a relative bound.
  bool WaitFor(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
               std::chrono::microseconds timeout, const std::function<bool()>& done) {
    return WaitUntil(lock, cv, MonotonicMicros() + timeout.count(), done);
  }
};

class SystemClock final : public Clock {
 public:
  int64_t NowMicros() const override;
  int64_t MonotonicMicros() const override;
  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 int64_t deadline_micros, const std::function<bool()>& done) override;
  static SystemClock& Instance();
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_micros = 1'700'000'000'000'000) : now_(start_micros) {}
  int64_t NowMicros() const override { return now_.load(); }
  int64_t MonotonicMicros() const override { return now_.load(); }
  // Blocks only in real time for the events the waiter's own `cv` signals:
  // simulated time passes through Advance, which wakes every waiter. A
  // waiter also re-checks every few real milliseconds, so that an Advance
  // racing with the start of a wait is never lost.
  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 int64_t deadline_micros, const std::function<bool()>& done) override;
  void Advance(std::chrono::microseconds d);
  void Set(int64_t micros);
  // Waits (in real time, at most `timeout`) until `n` waits are in progress:
  // lets a test advance time once the threads it drives are parked.
  bool WaitForWaiters(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  void WakeAll();
  std::atomic<int64_t> now_;
  std::mutex mu_;
  std::condition_variable waiters_changed_;
  std::multiset<std::condition_variable*> waiters_;
};

// RFC 3339 UTC with microseconds: "2026-11-26T10:36:45.123456Z".
std::string FormatTimestamp(int64_t micros_since_epoch);
// Parses RFC 3339 date-times (any offset, optional fraction); nullopt if malformed.
std::optional<int64_t> ParseTimestamp(std::string_view text);

}  // namespace tandem
