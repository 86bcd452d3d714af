#include "auth/login_throttle.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/log_safe.h"

namespace tandem {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;

}  // namespace

LoginThrottle::LoginThrottle(Clock& clock, LoginThrottleOptions options)
    : clock_(clock), options_(options) {}

std::string LoginThrottle::Key(const std::string& user, const std::string& client) {
  return user + '\0' + client;
}

Status LoginThrottle::Check(const std::string& user, const std::string& client) {
  int64_t wait = RetryAfterSeconds(user, client);
  if (wait == 0) return Status::Ok();
  return Status::RateLimited("too many failed logins for this account from this address; try "
                             "again in " + std::to_string(wait) + " s");
}

int64_t LoginThrottle::RetryAfterSeconds(const std::string& user, const std::string& client) {
  MutexLock lock(mu_);
  auto it = entries_.find(Key(user, client));
  int64_t now = clock_.NowMicros();
  if (it == entries_.end() || it->second.locked_until <= now) return 0;
  return (it->second.locked_until - now + kMicrosPerSecond - 1) / kMicrosPerSecond;
}

void LoginThrottle::RecordFailure(const std::string& user, const std::string& client) {
  int64_t now = clock_.NowMicros();
  int failures = 0;
  int64_t locked_for = 0;
  {
    MutexLock lock(mu_);
    if (entries_.size() >= options_.max_tracked) EvictLocked(now);
    Entry& e = entries_[Key(user, client)];
    // An occasional typo long after the last one starts a fresh count.
    if (now - e.last_failure > options_.max_delay.count() * kMicrosPerSecond) e.failures = 0;
    failures = ++e.failures;
    e.last_failure = now;
    ++figures_.failures;
    int over = failures - options_.free_failures;
    if (over > 0) {
      // base * 2^(over-1), capped; the shift is bounded so it cannot overflow.
      int64_t delay = options_.base_delay.count() << std::min(over - 1, 30);
      locked_for = std::min<int64_t>(delay, options_.max_delay.count());
      e.locked_until = now + locked_for * kMicrosPerSecond;
      ++figures_.lockouts;
    }
  }
  if (locked_for > 0) {
    spdlog::warn("failed login for account '{}' from {} ({} in a row); locked out for {} s",
                 LogSafe(user, 64), LogSafe(client, 64), failures, locked_for);
  } else {
    spdlog::warn("failed login for account '{}' from {} ({} in a row)", LogSafe(user, 64),
                 LogSafe(client, 64), failures);
  }
}

LoginFigures LoginThrottle::Figures() const {
  MutexLock lock(mu_);
  return figures_;
}

void LoginThrottle::RecordSuccess(const std::string& user, const std::string& client) {
  MutexLock lock(mu_);
  entries_.erase(Key(user, client));
}

void LoginThrottle::EvictLocked(int64_t now) {
  // First what no longer matters: no lockout running and quiet for max_delay.
  int64_t quiet = options_.max_delay.count() * kMicrosPerSecond;
  for (auto it = entries_.begin(); it != entries_.end();) {
    bool stale = it->second.locked_until <= now && now - it->second.last_failure > quiet;
    it = stale ? entries_.erase(it) : std::next(it);
  }
  // Still full (a flood of distinct names or addresses): drop the oldest.
  while (entries_.size() >= options_.max_tracked) {
    auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
      return a.second.last_failure < b.second.last_failure;
    });
    entries_.erase(oldest);
  }
}

}  // namespace tandem
