// The datamanager command line: one command, given by the existing product's
// short or long name (`-lr` or `--list-resources`; one or two dashes both
// work, as the seed writes `-rrof --resourceID=...`), its options
// (`--resourceID=ID,ID` or `--resourceID ID,ID`) and its positional ids.
// Pure parsing; which options a command accepts is checked here too, so a
// misspelt option is an error rather than silently ignored. Value types.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace tandem::datamanager {

enum class Command {
  kHelp,
  kVersion,
  kListResources,
  kDeleteResource,
  kDeleteBranch,
  kListUsers,
  kDeleteUser,
  kRemoveReadOnlyFlag,
  kVerify,
  kCollectGarbage,
};

struct Invocation {
  Command command = Command::kHelp;
  std::string command_name;              // the long name, e.g. "list-resources"
  std::vector<std::string> positional;   // ids or user names
  std::map<std::string, std::string> options;  // canonical option name -> value ("" for flags)

  bool Has(const std::string& option) const { return options.count(option) > 0; }
  std::optional<std::string> Value(const std::string& option) const;
  // A comma-separated option value split into items (empty items refused).
  Result<std::vector<std::string>> List(const std::string& option) const;
};

// InvalidArgument names the unknown command or option, or what is missing.
Result<Invocation> ParseCommandLine(const std::vector<std::string>& args);

// The help text: every command with both names, its options, and exit codes.
std::string HelpText();

}  // namespace tandem::datamanager
