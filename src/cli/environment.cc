#include "cli/environment.h"

#include <unistd.h>

#include "cli/terminal.h"

extern char** environ;

namespace tandem {

std::optional<std::string> Environment::Variable(std::string_view name) const {
  auto it = variables.find(name);
  if (it == variables.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

Environment ProcessEnvironment() {
  Environment env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    size_t eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    env.variables.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
  }
  if (isatty(STDIN_FILENO) == 1) env.read_secret = ReadSecretFromTerminal;
  return env;
}

}  // namespace tandem
