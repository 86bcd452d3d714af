// TandemServer: one running Tandem server: its data directory (locked against
// a second server), SQLite store, repository, authenticator and HTTP API.
// tools/tandem-server/main.cc is a thin wrapper around RunServerMain; tests
// start the real binary instead. Start() then Serve() on one thread; Stop()
// from any thread.
#pragma once

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include "api/api_server.h"
#include "auth/authenticator.h"
#include "repo/repository.h"
#include "server/server_settings.h"
#include "store/sqlite/sqlite_store.h"

namespace tandem {

class TandemServer {
 public:
  explicit TandemServer(ServerSettings settings);
  ~TandemServer();

  // The bound ports; -1 for a listener that is off.
  struct Ports {
    int http = -1;
    int https = -1;
  };
  // Reads the TLS certificates, opens the data directory and store, creates
  // the admin user on first start (password from `admin_password` or
  // generated; written to `out` once) and binds the listeners.
  Result<Ports> Start(const std::optional<std::string>& admin_password, std::ostream& out);
  Status Serve();
  // Stops synchronization (runs end within about a second) and then the
  // listeners. Safe from any thread, e.g. the signal watcher.
  void Stop();
  // Stops synchronization workers: each run is cancelled and joined.
  void StopEngine();

 private:
  ServerSettings settings_;
  int lock_fd_ = -1;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Repository> repo_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<SyncEngine> engine_;
  std::unique_ptr<ApiServer> api_;
};

// The whole tandem-server program: flags, config, signals. Returns the exit code.
int RunServerMain(int argc, char** argv);

}  // namespace tandem
