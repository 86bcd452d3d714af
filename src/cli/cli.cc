#include "cli/cli.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <memory>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/httplib_transport.h"
#include "cli/password.h"
#include "common/log_safe.h"
#include "net/http_url.h"
#include "tandem_version.h"

namespace tandem {
namespace {

struct GlobalOptions {
  std::string server;
  std::string user;
  std::string cacert;
  bool json = false;
};

// The exit code for a failed command, from where its Status came from.
int ExitCodeFor(const Status& status, ApiFailure failure) {
  switch (failure) {
    case ApiFailure::kConnection:
      return kExitConnection;
    case ApiFailure::kServer:
      return kExitServerError;
    case ApiFailure::kNone:
      break;
  }
  return status.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitServerError;
}

void PrintError(std::ostream& err, const Status& status) {
  // Server messages quote names and descriptions a source may have chosen:
  // their control characters are escaped. Line breaks stay, since the
  // client's own hints follow on lines of their own.
  std::string_view message = status.message();
  err << "error: ";
  for (size_t start = 0;;) {
    size_t end = message.find('\n', start);
    err << TerminalSafe(message.substr(start, end - start));
    if (end == std::string_view::npos) break;
    err << "\n";
    start = end + 1;
  }
  err << "\n";
}

}  // namespace

void OnSelect(CLI::App* command, CommandAction& selected, CommandAction action) {
  command->callback([&selected, action = std::move(action)] { selected = action; });
}

int RunCli(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
           std::ostream& err, const Environment& env) {
  GlobalOptions global;
  global.server = env.Variable("TANDEM_SERVER").value_or(kDefaultServer);
  global.user = env.Variable("TANDEM_USER").value_or(kDefaultUser);
  global.cacert = env.Variable("TANDEM_CACERT").value_or("");

  CLI::App app(
      "tandem: command-line client for a Tandem SysML v2 model repository server.\n"
      "The password comes from TANDEM_PASSWORD, else from a prompt.",
      "tandem");
  app.set_version_flag("--version", TANDEM_VERSION);
  app.fallthrough();  // global options may follow the subcommand
  app.require_subcommand(1);
  app.add_option("--server", global.server, "Server URL, http:// or https:// (env TANDEM_SERVER)")
      ->default_str(global.server);
  app.add_option("--user", global.user, "User name (env TANDEM_USER)")->default_str(global.user);
  app.add_option("--cacert", global.cacert,
                 "PEM file of CA certificates to verify an https server with, instead of the "
                 "system's (env TANDEM_CACERT)");
  app.add_flag("--json", global.json, "Print the server's JSON responses, for scripts");
  app.footer(
      "Global options (--server, --user, --cacert, --json) may also follow the command.\n"
      "Exit codes: 0 ok, 1 server error, 2 usage error, 3 server unreachable.\n"
      "Run 'tandem COMMAND --help' for a command's options. See docs/cli.md.");

  CommandAction selected;
  AddServerCommands(app, selected);
  AddCategoryCommands(app, selected);
  AddResourceCommands(app, selected);
  AddCommitCommands(app, selected);
  AddRefCommands(app, selected);
  AddElementCommands(app, selected);
  AddSyncCommands(app, selected);
  AddBundleCommands(app, selected);
  AddImportCommands(app, selected);

  if (args.empty()) {
    err << app.help();
    return kExitUsage;
  }
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 wants them reversed
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, out, err);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (!selected) {  // cannot happen: every leaf command selects an action
    err << "error: no command given\n";
    return kExitUsage;
  }

  Result<ServerUrl> url = ParseServerUrl(global.server);
  if (!url.ok()) {
    PrintError(err, url.status());
    return kExitUsage;
  }
  if (!global.cacert.empty() && access(global.cacert.c_str(), R_OK) != 0) {
    PrintError(err, Status::InvalidArgument("cannot read the CA file " + global.cacert));
    return kExitUsage;
  }
  Result<std::string> password = LoginPassword(env, global.user, url->ToString());
  if (!password.ok()) {
    PrintError(err, password.status());
    return kExitUsage;
  }

  TransportOptions transport_options;
  transport_options.ca_cert_file = global.cacert;
  std::unique_ptr<Transport> transport =
      env.make_transport ? env.make_transport(*url, transport_options)
                         : std::make_unique<HttplibTransport>(*url, transport_options);
  ApiClient api(*transport, global.user, std::move(password).value());
  CommandContext ctx{api, in, out, err, env, url->ToString(), global.json};

  Status status = selected(ctx);
  out.flush();
  if (status.ok()) return kExitOk;
  PrintError(err, status);
  int code = ExitCodeFor(status, api.last_failure());
  if (code == kExitConnection && status.code() == StatusCode::kUnavailable) {
    err << "hint: is tandem-server running at " << url->ToString() << "?\n";
  } else if (code == kExitServerError && status.code() == StatusCode::kUnauthenticated) {
    err << "hint: check the user name (--user, TANDEM_USER) and the password (TANDEM_PASSWORD)\n";
  }
  return code;
}

int RunCliMain(int argc, char** argv) {
  std::vector<std::string> args(argv + std::min(argc, 1), argv + argc);
  return RunCli(args, std::cin, std::cout, std::cerr, ProcessEnvironment());
}

}  // namespace tandem
