#include "auth/role.h"

namespace tandem {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kReader: return "reader";
    case Role::kWriter: return "writer";
    case Role::kAdmin: return "admin";
    case Role::kSyncManager: return "sync-manager";
  }
  return "reader";
}

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "reader") return Role::kReader;
  if (name == "writer") return Role::kWriter;
  if (name == "admin") return Role::kAdmin;
  if (name == "sync-manager") return Role::kSyncManager;
  return std::nullopt;
}

}  // namespace tandem
