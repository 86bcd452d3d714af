#include "auth/authenticator.h"

#include <algorithm>
#include <set>

#include <sodium.h>

#include <nlohmann/json.hpp>

#include "common/canonical_json.h"
#include "common/ids.h"

namespace tandem {
namespace {

constexpr size_t kMinPasswordLength = 8;
constexpr int kMaxConcurrentHashes = 2;
constexpr size_t kMaxPasswordLength = 1024;

Status BadCredentials() {
  return Status::Unauthenticated("wrong user name or password");
}

}  // namespace

Status ValidatePassword(const std::string& password) {
  if (password.size() < kMinPasswordLength) {
    return Status::InvalidArgument("password must have at least " +
                                   std::to_string(kMinPasswordLength) + " characters");
  }
  if (password.size() > kMaxPasswordLength) {
    return Status::InvalidArgument("password must have at most " +
                                   std::to_string(kMaxPasswordLength) + " characters");
  }
  return Status::Ok();
}

Status ValidateUserName(const std::string& name) {
  if (name.empty() || name.size() > 64) {
    return Status::InvalidArgument("user name must have 1 to 64 characters");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '@';
    if (!ok) {
      return Status::InvalidArgument("user name may contain only letters, digits and . _ - @");
    }
  }
  return Status::Ok();
}

Result<Principal> Authenticator::PrincipalOf(const User& u) {
  auto role = ParseRole(u.role);
  if (!role) return Status::Corruption("user " + u.name + " has unknown role " + u.role);
  Principal p{u.name, *role, {}};
  auto scopes = ParseJsonOrDiscarded(u.scopes);
  if (scopes.is_array()) {
    for (const auto& s : scopes) {
      if (s.is_string()) p.scopes.push_back(s.get<std::string>());
    }
  }
  return p;
}

Authenticator::Authenticator(Store& store, Clock& clock, AuthOptions options)
    : store_(store),
      clock_(clock),
      options_(options),
      cache_key_(RandomHex(32)),
      throttle_(clock, options.login_throttle) {}

Result<std::string> Authenticator::HashPassword(const std::string& password) {
  if (sodium_init() < 0) return Status::IOError("libsodium failed to initialize");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::IOError("out of memory while hashing a password");
  }
  return std::string(out);
}

bool Authenticator::VerifyPassword(const std::string& stored_hash, const std::string& password) {
  if (sodium_init() < 0) return false;
  return crypto_pwhash_str_verify(stored_hash.c_str(), password.data(), password.size()) == 0;
}

void Authenticator::AcquireHashSlot() {
  MutexLock lock(mu_);
  hash_slots_cv_.wait(lock.native(),
                      [&]() REQUIRES(mu_) { return hash_slots_in_use_ < kMaxConcurrentHashes; });
  ++hash_slots_in_use_;
}

void Authenticator::ReleaseHashSlot() {
  {
    MutexLock lock(mu_);
    --hash_slots_in_use_;
  }
  hash_slots_cv_.notify_one();
}

Hash Authenticator::KeyedHash(const std::string& user, const std::string& password) const {
  Sha256Hasher h;
  h.Update(cache_key_);
  h.Update(user);
  h.Update(std::string(1, '\0'));
  h.Update(password);
  return h.Finish();
}

void Authenticator::Forget(const std::string& user) {
  MutexLock lock(mu_);
  verified_.erase(user);
}

Result<std::optional<std::string>> Authenticator::BootstrapAdmin(
    const std::optional<std::string>& preset) {
  {
    ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
    ASSIGN_OR_RETURN(auto users, txn->ListUsers());
    if (!users.empty()) return std::optional<std::string>();
  }
  std::string password = preset.value_or(RandomHex(12));
  if (preset) {
    Status st = ValidatePassword(password);
    if (!st.ok()) return st.WithContext("TANDEM_ADMIN_PASSWORD");
  }
  ASSIGN_OR_RETURN(User u, CreateUser("admin", password, Role::kAdmin));
  (void)u;
  return std::optional<std::string>(password);
}

Result<Principal> Authenticator::CheckPassword(const std::string& user,
                                               const std::string& password,
                                               const std::string& client) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto found, txn->GetUser(user));
  Hash keyed = KeyedHash(user, password);
  int64_t now = clock_.NowMicros();
  std::optional<Principal> who;
  if (found) {
    ASSIGN_OR_RETURN(who, PrincipalOf(*found));
    MutexLock lock(mu_);
    auto it = verified_.find(user);
    if (it != verified_.end() && it->second.expires > now &&
        it->second.stored_hash == found->password_hash &&
        sodium_memcmp(it->second.keyed_password.data(), keyed.data(), keyed.size()) == 0) {
      return *who;
    }
  }
  // Unknown names are throttled like real ones, so lockouts reveal nothing.
  RETURN_IF_ERROR(throttle_.Check(user, client));
  bool good = false;
  AcquireHashSlot();
  if (found) {
    good = VerifyPassword(found->password_hash, password);
  } else {
    // Spend comparable time so timing does not reveal which user names exist.
    static const std::string kDummy = HashPassword("not-a-real-password").value();
    VerifyPassword(kDummy, password);
  }
  ReleaseHashSlot();
  if (!good) {
    throttle_.RecordFailure(user, client);
    return BadCredentials();
  }
  throttle_.RecordSuccess(user, client);
  MutexLock lock(mu_);
  verified_[user] = Verified{keyed, found->password_hash,
                             now + std::chrono::microseconds(options_.verified_cache_ttl).count()};
  return *who;
}

Result<Principal> Authenticator::CheckToken(const std::string& token) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto t, txn->GetToken(Sha256(token)));
  if (!t || t->expires <= clock_.NowMicros()) {
    return Status::Unauthenticated("the token is unknown or has expired; log in again");
  }
  ASSIGN_OR_RETURN(auto user, txn->GetUser(t->user_name));
  if (!user) return Status::Unauthenticated("the token's user no longer exists");
  return PrincipalOf(*user);
}

Result<Principal> Authenticator::CheckCertificateUser(const std::string& user) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto found, txn->GetUser(user));
  if (!found) {
    return Status::Unauthenticated("the client certificate maps to user '" + user +
                                   "', who does not exist");
  }
  return PrincipalOf(*found);
}

Status Authenticator::RevokeToken(const std::string& token) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  RETURN_IF_ERROR(txn->DeleteToken(Sha256(token)));
  return txn->CommitTransaction();
}

Result<IssuedToken> Authenticator::IssueToken(const Principal& who) {
  IssuedToken out;
  out.token = RandomHex(32);
  out.expires = clock_.NowMicros() + std::chrono::microseconds(options_.token_ttl).count();
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  RETURN_IF_ERROR(txn->DeleteExpiredTokens(clock_.NowMicros()));
  RETURN_IF_ERROR(txn->InsertToken(Token{Sha256(out.token), who.user, out.expires}));
  RETURN_IF_ERROR(txn->CommitTransaction());
  return out;
}

Result<std::vector<User>> Authenticator::ListUsers() {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  return txn->ListUsers();
}

Result<User> Authenticator::CreateUser(const std::string& name, const std::string& password,
                                       Role role, const std::vector<std::string>& scopes) {
  RETURN_IF_ERROR(ValidateUserName(name));
  RETURN_IF_ERROR(ValidatePassword(password));
  if (role == Role::kSyncManager && scopes.empty()) {
    return Status::InvalidArgument("a sync-manager needs 'scopes': the category ids it may manage");
  }
  ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  User u{name, hash, std::string(RoleName(role)), clock_.NowMicros(),
         nlohmann::json(scopes).dump()};
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto existing, txn->GetUser(name));
  if (existing) return Status::Conflict("user " + name + " already exists");
  RETURN_IF_ERROR(txn->InsertUser(u));
  RETURN_IF_ERROR(txn->CommitTransaction());
  return u;
}

Result<User> Authenticator::UpdateUser(const std::string& name,
                                       const std::optional<std::string>& password,
                                       const std::optional<Role> role,
                                       const std::optional<std::vector<std::string>>& scopes) {
  std::optional<std::string> hash;
  if (password) {
    RETURN_IF_ERROR(ValidatePassword(*password));
    ASSIGN_OR_RETURN(hash, HashPassword(*password));
  }
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto found, txn->GetUser(name));
  if (!found) return Status::NotFound("user " + name + " does not exist");
  User u = *found;
  if (hash) u.password_hash = *hash;
  if (role) u.role = std::string(RoleName(*role));
  if (scopes) u.scopes = nlohmann::json(*scopes).dump();
  const bool manager = u.role == RoleName(Role::kSyncManager);
  if (manager && found->role != u.role && !scopes) {
    // Scopes left from an earlier time as sync-manager must not come back unseen.
    return Status::InvalidArgument(
        "making " + name + " a sync-manager needs 'scopes': the category ids it may manage");
  }
  if (!manager && scopes && !scopes->empty()) {
    return Status::InvalidArgument("'scopes' are for the role sync-manager; " + name +
                                   " would be " + u.role);
  }
  if (!manager) u.scopes = "[]";  // a role change away from sync-manager drops them
  if (u.role == RoleName(Role::kSyncManager) && u.scopes == "[]") {
    return Status::InvalidArgument("a sync-manager needs 'scopes': the category ids it may manage");
  }
  if (found->role == RoleName(Role::kAdmin) && u.role != found->role) {
    ASSIGN_OR_RETURN(auto users, txn->ListUsers());
    int admins = 0;
    for (const auto& other : users) admins += other.role == RoleName(Role::kAdmin);
    if (admins <= 1) return Status::Conflict("user " + name + " is the last administrator");
  }
  RETURN_IF_ERROR(txn->UpdateUser(u));
  if (hash) RETURN_IF_ERROR(txn->DeleteTokensOf(name));
  RETURN_IF_ERROR(txn->CommitTransaction());
  Forget(name);
  return u;
}

Status Authenticator::DeleteUser(const std::string& name) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto found, txn->GetUser(name));
  if (!found) return Status::NotFound("user " + name + " does not exist");
  if (found->role == RoleName(Role::kAdmin)) {
    ASSIGN_OR_RETURN(auto users, txn->ListUsers());
    int admins = 0;
    for (const auto& u : users) admins += u.role == RoleName(Role::kAdmin);
    if (admins <= 1) return Status::Conflict("user " + name + " is the last administrator");
  }
  RETURN_IF_ERROR(txn->DeleteUser(name));
  RETURN_IF_ERROR(txn->CommitTransaction());
  Forget(name);
  return Status::Ok();
}

Status Authenticator::DeleteUsers(const std::vector<std::string>& names) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto users, txn->ListUsers());
  std::set<std::string> doomed;
  for (const auto& name : names) {
    bool known = std::any_of(users.begin(), users.end(), [&](const User& u) { return u.name == name; });
    if (!known) return Status::NotFound("user " + name + " does not exist");
    doomed.insert(name);
  }
  int admins = 0, admins_left = 0;
  for (const auto& u : users) {
    bool admin = u.role == RoleName(Role::kAdmin);
    admins += admin;
    admins_left += admin && !doomed.count(u.name);
  }
  if (admins > 0 && admins_left == 0) {
    return Status::Conflict("deleting these users would leave no administrator");
  }
  for (const auto& name : doomed) RETURN_IF_ERROR(txn->DeleteUser(name));
  RETURN_IF_ERROR(txn->CommitTransaction());
  for (const auto& name : doomed) Forget(name);
  return Status::Ok();
}

}  // namespace tandem
