// LoginThrottle: slows down password guessing. Failed password checks are
// counted per account and client address; after `free_failures` failures in a
// row, that pair is locked out for `base_delay`, doubling with each further
// failure up to `max_delay`. While locked out, attempts are refused at once
// (RateLimited, HTTP 429 with Retry-After) without spending an Argon2id check.
// A success clears the pair. Every failure is logged with the account and the
// address (never the password).
//
// Keying on the pair means an attacker cannot lock the real user out from the
// user's own address, and no lockout lasts longer than `max_delay`. The price:
// an attacker with many addresses gets `free_failures` guesses per address and
// window; docs/security.md discusses it. Memory is bounded by `max_tracked`
// pairs. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "common/clock.h"
#include "common/mutex.h"
#include "common/status.h"

namespace tandem {

struct LoginThrottleOptions {
  int free_failures = 5;
  std::chrono::seconds base_delay{1};
  std::chrono::seconds max_delay{900};
  size_t max_tracked = 10'000;
};

// Totals since the server started (GET /metrics).
struct LoginFigures {
  uint64_t failures = 0;  // failed logins (wrong password, unknown account)
  uint64_t lockouts = 0;  // failures that locked an account out from an address
};

class LoginThrottle {
 public:
  LoginThrottle(Clock& clock, LoginThrottleOptions options);

  // RateLimited ("... try again in N s") while `user` from `client` is locked out.
  Status Check(const std::string& user, const std::string& client) EXCLUDES(mu_);
  void RecordFailure(const std::string& user, const std::string& client) EXCLUDES(mu_);
  void RecordSuccess(const std::string& user, const std::string& client) EXCLUDES(mu_);
  // Whole seconds until the pair may try again (0: now).
  int64_t RetryAfterSeconds(const std::string& user, const std::string& client) EXCLUDES(mu_);
  LoginFigures Figures() const EXCLUDES(mu_);

 private:
  struct Entry {
    int failures = 0;
    int64_t locked_until = 0;  // micros
    int64_t last_failure = 0;  // micros
  };
  static std::string Key(const std::string& user, const std::string& client);
  void EvictLocked(int64_t now) REQUIRES(mu_);

  Clock& clock_;
  LoginThrottleOptions options_;
  mutable Mutex mu_;
  std::map<std::string, Entry> entries_ GUARDED_BY(mu_);
  LoginFigures figures_ GUARDED_BY(mu_);
};

}  // namespace tandem
