#include "cli/password.h"

namespace tandem {

Result<std::string> LoginPassword(const Environment& env, std::string_view user,
                                  std::string_view server) {
  if (std::optional<std::string> password = env.Variable("TANDEM_PASSWORD")) return *password;
  if (!env.read_secret) {
    return Status::InvalidArgument("no password: set TANDEM_PASSWORD or run interactively");
  }
  return env.read_secret("Password for " + std::string(user) + " at " + std::string(server) + ": ");
}

Result<std::string> NewPassword(const Environment& env, std::string_view user) {
  if (std::optional<std::string> password = env.Variable("TANDEM_NEW_PASSWORD")) {
    return *password;
  }
  if (!env.read_secret) {
    return Status::InvalidArgument("no new password: set TANDEM_NEW_PASSWORD or run interactively");
  }
  ASSIGN_OR_RETURN(std::string first,
                   env.read_secret("New password for " + std::string(user) + ": "));
  if (first.empty()) return Status::InvalidArgument("the new password must not be empty");
  ASSIGN_OR_RETURN(std::string second, env.read_secret("Repeat the new password: "));
  if (first != second) return Status::InvalidArgument("the two passwords do not match");
  return first;
}

Result<std::string> RemotePassword(const Environment& env, const char* variable,
                                   std::string_view user, std::string_view where) {
  if (std::optional<std::string> password = env.Variable(variable)) return *password;
  if (!env.read_secret) {
    return Status::InvalidArgument("no password for " + std::string(user) + " at " +
                                   std::string(where) + ": set " + variable +
                                   " or run interactively");
  }
  ASSIGN_OR_RETURN(std::string password, env.read_secret("Password of " + std::string(user) +
                                                         " at " + std::string(where) + ": "));
  if (password.empty()) return Status::InvalidArgument("the password must not be empty");
  return password;
}

}  // namespace tandem
