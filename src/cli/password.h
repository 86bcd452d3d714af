// Where the tandem CLI gets passwords: the environment first, else a prompt
// on the terminal with echo off. Passwords are never written to any output.
// Thread-compatible (calls Environment::read_secret).
#pragma once

#include <string>
#include <string_view>

#include "cli/environment.h"
#include "common/status.h"

namespace tandem {

// The password `user` logs in with: TANDEM_PASSWORD, else one prompt.
// InvalidArgument "set TANDEM_PASSWORD or run interactively" without a terminal.
Result<std::string> LoginPassword(const Environment& env, std::string_view user,
                                  std::string_view server);

// A new password for `user` (user create, user passwd): TANDEM_NEW_PASSWORD,
// else a prompt and a confirmation prompt that must match. Never empty.
Result<std::string> NewPassword(const Environment& env, std::string_view user);

// The password of `user` at another server (a sync source, an import
// source): the environment variable `variable`, else one prompt naming
// `where`. Never taken from a flag, where other users could read it in the
// process list. Never empty.
Result<std::string> RemotePassword(const Environment& env, const char* variable,
                                   std::string_view user, std::string_view where);

}  // namespace tandem
