#include "datamanager/data_manager.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "common/clock.h"
#include "common/ids.h"
#include "common/log_safe.h"
#include "datamanager/command_context.h"
#include "datamanager/command_log.h"
#include "server/server_settings.h"
#include "store/sqlite/sqlite_store.h"
#include "tandem_version.h"

namespace tandem::datamanager {
namespace {

int ExitCodeOf(const Status& st) {
  switch (st.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kInvalidArgument: return kExitUsage;
    case StatusCode::kNotFound:
    case StatusCode::kConflict:
    case StatusCode::kReadOnly:
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnauthenticated: return kExitRefused;
    case StatusCode::kCorruption: return kExitCorrupt;
    default: return kExitFailed;
  }
}

// The settings a command uses: the store's place and the limits stored data
// is checked against (defaults unless a configuration file is given).
struct StoreSettings {
  std::string data_dir;
  size_t max_json_depth = ServerSettings{}.max_json_depth;
};

// Where the store is: --data-dir wins over the config file's server.data-dir.
Result<StoreSettings> LoadStoreSettings(const Invocation& inv, std::ostream& err) {
  StoreSettings out;
  auto dir = inv.Value("data-dir");
  auto config = inv.Value("config");
  if (!config) {
    if (dir) {
      out.data_dir = *dir;
      return out;
    }
    return Status::InvalidArgument("say where the store is: --config application.conf or --data-dir DIR");
  }
  if (!std::filesystem::is_regular_file(*config)) {
    return Status::NotFound("the configuration file " + *config + " does not exist");
  }
  std::vector<std::string> warnings;
  auto settings = LoadServerSettings(*config, SettingsOverrides{}, warnings);
  for (const auto& w : warnings) err << "datamanager: warning: " << w << "\n";
  if (!settings.ok()) return Status::IOError(settings.status().message());
  out.data_dir = dir.value_or(settings->data_dir);
  out.max_json_depth = settings->max_json_depth;
  return out;
}

Result<std::string> Run(CommandContext& ctx) {
  switch (ctx.invocation.command) {
    case Command::kListResources: return ListResources(ctx);
    case Command::kDeleteResource: return DeleteResources(ctx);
    case Command::kDeleteBranch: return DeleteBranches(ctx);
    case Command::kListUsers: return ListUsers(ctx);
    case Command::kDeleteUser: return DeleteUsers(ctx);
    case Command::kRemoveReadOnlyFlag: return RemoveReadOnlyFlag(ctx);
    case Command::kVerify: return Verify(ctx);
    case Command::kCollectGarbage: return CollectGarbageWithReport(ctx);
    case Command::kHelp:
    case Command::kVersion: break;
  }
  return Status::InvalidArgument("command --" + ctx.invocation.command_name + " needs no store");
}

}  // namespace

Environment SystemEnvironment() {
  Environment env;
  env.get_env = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
  env.sources = HttpSourceFactory();
  env.err_is_terminal = isatty(STDERR_FILENO) == 1;
  return env;
}

void CommandContext::Progress(const std::string& what, uint64_t done, uint64_t total) const {
  std::string line = what + ": " + std::to_string(done) + "/" + std::to_string(total);
  if (env.err_is_terminal) {
    err << "\r" << line << (done == total ? "\n" : "") << std::flush;
  } else {
    err << line << "\n" << std::flush;
  }
}

Result<std::vector<std::string>> ParseIds(const std::vector<std::string>& ids,
                                          const std::string& where) {
  std::vector<std::string> out;
  for (const auto& id : ids) {
    if (!IsUuid(id)) {
      return Status::InvalidArgument(where + ": '" + id + "' is not an id (a UUID such as "
                                     "a4c498c9-f125-453c-b9cb-3d5a6e675714)");
    }
    out.push_back(NormalizeUuid(id));
  }
  return out;
}

int RunDataManager(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                   const Environment& env) {
  auto inv = ParseCommandLine(args);
  if (!inv.ok()) {
    err << "datamanager: " << inv.status().message() << "\n";
    return kExitUsage;
  }
  if (inv->command == Command::kHelp) {
    out << HelpText();
    return kExitOk;
  }
  if (inv->command == Command::kVersion) {
    out << "datamanager " << TANDEM_VERSION << " (store schema " << SqliteStore::kSchemaVersion
        << ")\n";
    return kExitOk;
  }

  auto settings = LoadStoreSettings(*inv, err);
  if (!settings.ok()) {
    err << "datamanager: " << settings.status().message() << "\n";
    return settings.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitNoStore;
  }
  const std::string& data_dir = settings->data_dir;
  CommandLog log(data_dir, args);
  std::string db = (std::filesystem::path(data_dir) / "tandem.db").string();
  auto fail_open = [&](const std::string& why) {
    err << "datamanager: " << why << "\n";
    log.Record(kExitNoStore, why);
    return kExitNoStore;
  };
  if (!std::filesystem::is_regular_file(db)) {
    return fail_open("no Tandem store at " + db +
                     "; check --data-dir (or server.data-dir in the configuration file)");
  }
  auto store = SqliteStore::Open(db);
  if (!store.ok()) return fail_open("cannot open the store " + db + ": " + store.status().message());

  RepositoryOptions repo_options;
  repo_options.max_json_depth = settings->max_json_depth;
  Repository repo(**store, SystemClock::Instance(), repo_options);
  Authenticator auth(**store, SystemClock::Instance());
  CommandContext ctx{*inv, data_dir, **store, repo, auth, out, err, env, settings->max_json_depth};
  auto result = Run(ctx);
  if (result.ok()) {
    log.Record(kExitOk, *result);
    return kExitOk;
  }
  int code = ExitCodeOf(result.status());
  std::string message = result.status().message();
  err << "datamanager: " << TerminalSafe(message) << "\n";
  if (code == kExitRefused || code == kExitUsage) err << "datamanager: nothing was changed\n";
  log.Record(code, message);
  return code;
}

}  // namespace tandem::datamanager
