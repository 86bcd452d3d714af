#include "datamanager/command_line.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace tandem::datamanager {
namespace {

struct CommandSpec {
  Command command;
  const char* short_name;
  const char* long_name;
  bool takes_positional;
  std::set<std::string> options;  // canonical names it accepts besides the store location
};

const std::vector<CommandSpec>& Commands() {
  static const auto* commands = new std::vector<CommandSpec>{
      {Command::kHelp, "help", "help", false, {}},
      {Command::kVersion, "version", "version", false, {}},
      {Command::kListResources, "lr", "list-resources", false, {"json"}},
      {Command::kDeleteResource, "dr", "delete-resource", true, {"force", "require-copy-at"}},
      {Command::kDeleteBranch, "drb", "delete-branch", false,
       {"resourceID", "branchID", "includeChildBranch"}},
      {Command::kListUsers, "lu", "list-users", false, {"json"}},
      {Command::kDeleteUser, "du", "delete-user", true, {}},
      {Command::kRemoveReadOnlyFlag, "rrof", "remove-read-only-flag", false,
       {"resourceID", "categoryID", "force"}},
      {Command::kVerify, "verify", "verify", false, {"resourceID"}},
      {Command::kCollectGarbage, "gc", "collect-garbage", false, {}},
  };
  return *commands;
}

// Options, by their canonical spelling; matched case-insensitively.
struct OptionSpec {
  const char* name;
  bool takes_value;
};
const std::vector<OptionSpec>& Options() {
  static const auto* options = new std::vector<OptionSpec>{
      {"config", true},      {"data-dir", true},          {"json", false},
      {"force", false},      {"require-copy-at", true},   {"resourceID", true},
      {"branchID", true},    {"includeChildBranch", false}, {"categoryID", true},
  };
  return *options;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

const CommandSpec* FindCommand(const std::string& name) {
  for (const auto& c : Commands()) {
    if (name == c.short_name || name == c.long_name) return &c;
  }
  if (name == "h") return &Commands().front();
  return nullptr;
}

const OptionSpec* FindOption(const std::string& name) {
  for (const auto& o : Options()) {
    if (Lower(name) == Lower(o.name)) return &o;
  }
  return nullptr;
}

}  // namespace

std::optional<std::string> Invocation::Value(const std::string& option) const {
  auto it = options.find(option);
  if (it == options.end()) return std::nullopt;
  return it->second;
}

Result<std::vector<std::string>> Invocation::List(const std::string& option) const {
  std::vector<std::string> out;
  auto value = Value(option);
  if (!value) return out;
  size_t start = 0;
  while (true) {
    size_t comma = value->find(',', start);
    std::string item = value->substr(start, comma == std::string::npos ? std::string::npos
                                                                       : comma - start);
    if (item.empty()) {
      return Status::InvalidArgument("--" + option + " has an empty item in '" + *value +
                                     "'; give ids separated by single commas");
    }
    out.push_back(item);
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

Result<Invocation> ParseCommandLine(const std::vector<std::string>& args) {
  Invocation inv;
  const CommandSpec* command = nullptr;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 2 || arg[0] != '-') {
      inv.positional.push_back(arg);
      continue;
    }
    std::string body = arg.substr(arg[1] == '-' ? 2 : 1);
    std::optional<std::string> value;
    if (auto eq = body.find('='); eq != std::string::npos) {
      value = body.substr(eq + 1);
      body = body.substr(0, eq);
    }
    if (const CommandSpec* c = FindCommand(body)) {
      if (value) return Status::InvalidArgument(arg + ": a command takes no '=' value");
      if (command && command != c) {
        return Status::InvalidArgument(std::string("give one command at a time, not both --") +
                                       command->long_name + " and --" + c->long_name);
      }
      command = c;
      continue;
    }
    const OptionSpec* o = FindOption(body);
    if (!o) {
      return Status::InvalidArgument("unknown command or option '" + arg +
                                     "'; run 'datamanager -help' for the list");
    }
    if (o->takes_value && !value) {
      if (i + 1 >= args.size()) return Status::InvalidArgument(arg + " needs a value");
      value = args[++i];
    }
    if (!o->takes_value && value) return Status::InvalidArgument(arg + " takes no value");
    if (o->takes_value && value->empty()) return Status::InvalidArgument(arg + " has an empty value");
    if (inv.options.count(o->name)) {
      return Status::InvalidArgument("--" + std::string(o->name) + " is given twice");
    }
    inv.options[o->name] = value.value_or("");
  }
  if (!command) {
    return Status::InvalidArgument("no command given; run 'datamanager -help' for the list");
  }
  inv.command = command->command;
  inv.command_name = command->long_name;
  for (const auto& [name, value] : inv.options) {
    if (name == "config" || name == "data-dir") continue;
    if (!command->options.count(name)) {
      return Status::InvalidArgument("--" + name + " does not apply to --" + command->long_name);
    }
  }
  if (!command->takes_positional && !inv.positional.empty()) {
    return Status::InvalidArgument("--" + std::string(command->long_name) +
                                   " takes no arguments, got '" + inv.positional.front() + "'");
  }
  return inv;
}

std::string HelpText() {
  return R"(datamanager: administer a Tandem server's stored data directly.
Safe while the server runs: each command is one transaction, and the server
sees its result at once. Each command is logged to DATA_DIR/datamanager.log.

Usage: datamanager (--config application.conf | --data-dir DIR) COMMAND [OPTIONS]

Commands (short and long names, one or two dashes):
  -help, --help                      this text
  -version, --version                the version of this tool
  -lr, --list-resources [--json]     every resource: id, Project ID, name, category,
                                     read-only, origin, size, last commit
  -dr, --delete-resource ID [ID ...] [--force] [--require-copy-at URL]
                                     delete resources with their whole history and
                                     free the space no remaining commit uses.
                                     --require-copy-at: first ask that server (user and
                                     password from TANDEM_USER, TANDEM_PASSWORD) whether
                                     it holds a copy of each with the same head commit
                                     hash on every branch; refuse if not.
                                     --force: delete even when other resources use one
                                     of them (ProjectUsage)
  -drb, --delete-branch --resourceID=ID --branchID=ID[,ID] [--includeChildBranch]
                                     delete branches (and the branches forked from them)
                                     and the commits nothing else reaches
  -lu, --list-users [--json]         every user: name, role, scopes, created
  -du, --delete-user NAME [NAME ...] delete users; a running server refuses them at once
  -rrof, --remove-read-only-flag [--resourceID=ID[,ID...]] [--categoryID=ID[,ID...]] [--force]
                                     make resources (and every resource in the categories
                                     and their sub-categories) editable; refused for a
                                     resource an enabled, ongoing remote configuration
                                     still synchronizes, unless --force
  --verify [--resourceID=ID[,ID...]] recompute every commit hash, trie node and element
                                     version hash; report each corruption
  -gc, --collect-garbage             free element versions and trie nodes no commit uses

Exit codes: 0 done; 1 failed (nothing changed); 2 bad command line;
3 the store cannot be opened; 4 refused or not found (nothing changed);
5 --verify found corruption.
)";
}

}  // namespace tandem::datamanager
