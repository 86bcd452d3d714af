// ServerProcess: a real tandem-server started for an end-to-end test, on port
// 0 in a temporary data directory, with its stdout read until the "listening
// on" line of each listener it was asked for (with a deadline, never a fixed
// sleep): plain HTTP unless `port` is -1, HTTPS when `extra_args` hold
// --https-port. Also runs other binaries to completion. Not thread-safe.
//
// In a ThreadSanitizer build (make test-tsan) the server and the binaries run
// here are instrumented too, and their reports go to their own stderr: a
// test fails when a server it stopped (Terminate, Kill, or the destructor)
// or a binary it ran wrote one.
#pragma once

#include <httplib.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tandem::e2e {

using Json = nlohmann::json;

std::string BinaryPath(const std::string& relative);  // under the build directory
std::string SharedPath(const std::string& relative);  // under ../shared
std::string ReadFile(const std::string& path);

// A fresh directory removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::string Sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `args` (args[0] is the binary) to completion with extra environment.
ProcessResult RunProcess(const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env = {},
                         const std::string& stdin_text = "");

// A binary started in the background (stdout and stderr to files), for tests
// that kill a command at a chosen moment. Killed and reaped when it dies.
class BackgroundProcess {
 public:
  static std::unique_ptr<BackgroundProcess> Start(const std::vector<std::string>& args,
                                                  const std::map<std::string, std::string>& env = {});
  ~BackgroundProcess();
  // Whether it has not exited yet (reaps it when it has).
  bool Running();
  // SIGKILL (if still running) and reap.
  void Kill();
  // Waits for the exit; the exit code, -1 if a signal ended it, -2 after the
  // timeout (then it is killed).
  int Wait(std::chrono::seconds timeout);
  std::string Output() const;  // stdout and stderr so far

 private:
  BackgroundProcess() = default;
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string binary_;
  std::unique_ptr<TempDir> io_;
};

class ServerProcess {
 public:
  struct Options {
    std::string data_dir;
    std::vector<std::string> extra_args;
    std::string admin_password = "admin-password-1";
    int port = 0;  // 0 picks a free port; -1: no plain HTTP
  };
  // Starts the server and waits until it listens (or fails with its stderr).
  static std::unique_ptr<ServerProcess> Start(const Options& options);
  ~ServerProcess();

  int port() const { return port_; }
  int https_port() const { return https_port_; }  // -1 without an HTTPS listener
  const std::string& admin_password() const { return password_; }
  const std::string& stdout_text() const { return stdout_; }
  std::string StderrText() const;
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }  // of the server process (-1 once it has ended)

  // An HTTP client for this server, authenticated as `user` when given.
  std::unique_ptr<httplib::Client> Client(const std::string& user = "admin",
                                          const std::string& password = "") const;

  // An HTTPS client for 127.0.0.1 that trusts the CA certificates of
  // `ca_file` (PEM), authenticated as `user` when given; it presents the
  // client certificate `cert_file` with `key_file` (PEM) when those are given.
  std::unique_ptr<httplib::Client> HttpsClient(const std::string& ca_file,
                                                  const std::string& user = "admin",
                                                  const std::string& password = "",
                                                  const std::string& cert_file = "",
                                                  const std::string& key_file = "") const;

  // SIGTERM and wait; returns the exit code (-1 if it died by a signal).
  int Terminate(std::chrono::seconds timeout = std::chrono::seconds(20));
  // SIGKILL and reap.
  void Kill();

 private:
  ServerProcess() = default;
  // A test failure if the server's stderr holds a ThreadSanitizer report.
  void CheckForRaceReports() const;
  pid_t pid_ = -1;
  int port_ = 0;
  int https_port_ = -1;
  std::string password_;
  std::string stdout_;
  std::string stderr_path_;
};

// Convenience: parse a response body as JSON (null on failure).
Json BodyJson(const httplib::Result& r);

}  // namespace tandem::e2e
