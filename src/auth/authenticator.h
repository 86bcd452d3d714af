// Authenticator: users, passwords and bearer tokens.
//
// Passwords are stored as libsodium Argon2id strings (crypto_pwhash_str).
// Argon2id is deliberately slow, so a successful verification is remembered
// for a short time under a keyed hash of the password (the key is random per
// process and never stored), which keeps HTTP Basic on every request cheap
// without keeping passwords in memory. Bearer tokens are random 256-bit
// values; only their SHA-256 is stored. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "auth/login_throttle.h"
#include "auth/role.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "store/store.h"

namespace tandem {

struct AuthOptions {
  std::chrono::seconds token_ttl{8 * 3600};
  std::chrono::seconds verified_cache_ttl{300};
  LoginThrottleOptions login_throttle;
};

struct IssuedToken {
  std::string token;
  int64_t expires = 0;
};

class Authenticator {
 public:
  Authenticator(Store& store, Clock& clock, AuthOptions options = {});

  // Creates user "admin" if the store has no users. Returns the password that
  // was set: `preset` if given, else a generated one. nullopt if users existed.
  Result<std::optional<std::string>> BootstrapAdmin(const std::optional<std::string>& preset);

  // Checks HTTP Basic credentials. Unauthenticated (never saying which part
  // was wrong) on failure; RateLimited while `user` from `client` (the
  // client's address) is locked out after repeated failures (LoginThrottle).
  // A password verified within verified_cache_ttl passes even then.
  Result<Principal> CheckPassword(const std::string& user, const std::string& password,
                                  const std::string& client = "");
  // Seconds until `user` may try again from `client` (0: now), for Retry-After.
  int64_t RetryAfterSeconds(const std::string& user, const std::string& client) {
    return throttle_.RetryAfterSeconds(user, client);
  }
  LoginFigures LoginFiguresSoFar() const { return throttle_.Figures(); }
  Result<Principal> CheckToken(const std::string& token);
  // The principal of `user`, whom a verified client certificate maps to (the
  // TLS layer did the verification). Unauthenticated if no such user exists.
  Result<Principal> CheckCertificateUser(const std::string& user);
  Result<IssuedToken> IssueToken(const Principal& who);
  // Ends the session of `token` (logging out): it is refused from now on.
  Status RevokeToken(const std::string& token);

  Result<std::vector<User>> ListUsers();
  // `scopes`: category ids a sync-manager may manage remote configurations in.
  Result<User> CreateUser(const std::string& name, const std::string& password, Role role,
                          const std::vector<std::string>& scopes = {});
  // Either field may be left unset. Changing anything drops cached
  // verifications; a new password also revokes the user's tokens. The last
  // admin cannot lose the admin role.
  Result<User> UpdateUser(const std::string& name, const std::optional<std::string>& password,
                          const std::optional<Role> role,
                          const std::optional<std::vector<std::string>>& scopes = std::nullopt);
  Status DeleteUser(const std::string& name);
  // Deletes several users in one transaction (datamanager -du): NotFound for
  // an unknown name, Conflict if no administrator would remain; then nothing
  // is deleted. Their tokens go with them; a running server refuses their
  // credentials on the next request, as it reads the user record each time.
  Status DeleteUsers(const std::vector<std::string>& names);

  static Result<std::string> HashPassword(const std::string& password);
  static bool VerifyPassword(const std::string& stored_hash, const std::string& password);

 private:
  struct Verified {
    Hash keyed_password;
    std::string stored_hash;  // the verification holds only while this is unchanged
    int64_t expires;
  };
  static Result<Principal> PrincipalOf(const User& u);
  Hash KeyedHash(const std::string& user, const std::string& password) const;
  void Forget(const std::string& user) EXCLUDES(mu_);

  Store& store_;
  Clock& clock_;
  AuthOptions options_;
  std::string cache_key_;
  // Argon2id takes 64 MiB and tens of ms per check: bound how many run at once
  // so a flood of bad credentials cannot exhaust memory or every worker.
  void AcquireHashSlot() EXCLUDES(mu_);
  void ReleaseHashSlot() EXCLUDES(mu_);
  Mutex mu_;
  std::condition_variable hash_slots_cv_;
  int hash_slots_in_use_ GUARDED_BY(mu_) = 0;
  std::map<std::string, Verified> verified_ GUARDED_BY(mu_);
  LoginThrottle throttle_;
};

Status ValidatePassword(const std::string& password);
Status ValidateUserName(const std::string& name);

}  // namespace tandem
