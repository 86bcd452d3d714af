// CommandContext: what a tandem CLI command runs with (the API client, the
// standard streams, the environment, --json), how a parsed command is handed
// to the runner (CommandAction), and lookups several commands share.
//
// Commands are registered on a CLI::App by the Add*Commands functions in
// commands.h; when CLI11 parses a command line, the chosen subcommand stores
// its action, which RunCli calls once the connection is set up. Single-threaded.
#pragma once

#include <functional>
#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>

#include "cli/api_client.h"
#include "cli/environment.h"
#include "common/status.h"

namespace tandem {

struct CommandContext {
  ApiClient& api;
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  const Environment& env;
  std::string server;  // the server URL, for messages
  bool json = false;   // --json: print the server's JSON instead of text
};

// A parsed command, ready to run. Its Status is printed as "error: ..." by RunCli.
using CommandAction = std::function<Status(CommandContext&)>;

// What the CLI needs to know about a resource to use the SysML v2 API on it.
struct ResourceInfo {
  std::string id;                 // Resource ID, which is also the SysML v2 project @id
  std::string default_branch_id;  // "" if the server sent none
  nlohmann::json record;          // the admin API's resource record
};

// GET /api/v1/resources/{id}.
Result<ResourceInfo> LookupResource(CommandContext& ctx, std::string_view resource_id);

// "/sysml/v2/projects/{project}" with the id percent-encoded.
std::string ProjectPath(std::string_view resource_id);

}  // namespace tandem
