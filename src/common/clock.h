// Clock: the injectable source of time. SystemClock reads the real clock;
// FakeClock is set by tests. Both are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tandem {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch (UTC).
  virtual int64_t NowMicros() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMicros() const override;
  static SystemClock& Instance();
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_micros = 1'700'000'000'000'000) : now_(start_micros) {}
  int64_t NowMicros() const override { return now_.load(); }
  void Advance(std::chrono::microseconds d) { now_ += d.count(); }
  void Set(int64_t micros) { now_ = micros; }

 private:
  std::atomic<int64_t> now_;
};

// RFC 3339 UTC with microseconds: "2026-11-26T10:36:45.123456Z".
std::string FormatTimestamp(int64_t micros_since_epoch);
// Parses RFC 3339 date-times (any offset, optional fraction); nullopt if malformed.
std::optional<int64_t> ParseTimestamp(std::string_view text);

}  // namespace tandem
