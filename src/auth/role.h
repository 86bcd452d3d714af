// Roles and the principal a request runs as. Value types; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tandem {

// Ordered: each role may do everything the roles before it may.
enum class Role { kReader = 0, kWriter = 1, kAdmin = 2 };

std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

struct Principal {
  std::string user;
  Role role = Role::kReader;
  bool AtLeast(Role r) const { return static_cast<int>(role) >= static_cast<int>(r); }
};

}  // namespace tandem
