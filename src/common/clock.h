// Clock: the one injectable source of time — wall time (timestamps), monotonic
// time (deadlines, intervals) and waits on a condition variable up to a
// monotonic deadline. Nothing else in Tandem reads std::chrono clocks for
// deadlines or sleeps, so a test that swaps in a FakeClock controls every
// timer: reconcile intervals, backoff and time-outs then pass when the test
// advances time, without sleeping.
//
// SystemClock reads the real clocks; tests use FakeClock
// (testing/common/fake_clock.h). Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
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


// RFC 3339 UTC with microseconds: "2026-11-26T10:36:45.123456Z".
std::string FormatTimestamp(int64_t micros_since_epoch);
// Parses RFC 3339 date-times (any offset, optional fraction); nullopt if malformed.
std::optional<int64_t> ParseTimestamp(std::string_view text);

}  // namespace tandem
