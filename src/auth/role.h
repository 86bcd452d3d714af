// Roles and the principal a request runs as. Value types; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem {

// reader < writer < admin: each may do everything the ones before it may.
// sync-manager may read, and manage remote configurations whose target
// categories lie within its scopes; it does not write models.
enum class Role { kReader, kWriter, kAdmin, kSyncManager };

std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

struct Principal {
  std::string user;
  Role role = Role::kReader;
  std::vector<std::string> scopes;  // category ids, for kSyncManager
  // True when this principal may do what `r` may (sync-manager: only what a
  // reader may, plus its own kind of work).
  bool AtLeast(Role r) const {
    if (r == Role::kSyncManager) return role == Role::kSyncManager || role == Role::kAdmin;
    return Rank(role) >= Rank(r);
  }

 private:
  static int Rank(Role r) {
    switch (r) {
      case Role::kReader:
      case Role::kSyncManager: return 0;
      case Role::kWriter: return 1;
      case Role::kAdmin: return 2;
    }
    return 0;
  }
};

}  // namespace tandem
