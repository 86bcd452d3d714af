// RunDataManager: the administrator's command-line tool that works directly
// on a server's stored data (the existing product's Data Manager). It finds
// the store from `--config application.conf` or `--data-dir DIR`, runs one
// command as one store transaction (plus, after deletions, the garbage
// collection that frees space), and appends what it ran and how it ended to
// DATA_DIR/datamanager.log. It takes no lock a running tandem-server holds:
// SQLite serializes its writes with the server's, and the server reads every
// record per request, so it sees the result without a restart
// (docs/datamanager.md, "Running beside a server").
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "sync/http_sync_source.h"

namespace tandem::datamanager {

// What the tool takes from its surroundings (tests give their own).
struct Environment {
  std::function<std::optional<std::string>(const std::string&)> get_env;
  SourceFactory sources;  // for --require-copy-at
  bool err_is_terminal = false;  // progress lines overwrite each other on a terminal
};
Environment SystemEnvironment();

// Exit codes (docs/datamanager.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNoStore = 3;
inline constexpr int kExitRefused = 4;
inline constexpr int kExitCorrupt = 5;

// `args` without the program name. Results go to `out`, messages and progress to `err`.
int RunDataManager(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                   const Environment& env = SystemEnvironment());

}  // namespace tandem::datamanager
