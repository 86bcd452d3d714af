#include "tests/e2e/server_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string_view>

namespace tandem::e2e {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::vector<std::string> Environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    std::string key = entry.substr(0, entry.find('='));
    if (!extra.count(key)) env.push_back(entry);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

// Test runners may start us with stdin (or more) closed; then pipe() and
// open() hand out fds 0-2 and the child's redirections would collide.
void EnsureStandardFds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) == -1) {
      int null_fd = open("/dev/null", O_RDWR);
      if (null_fd != fd && null_fd >= 0) {
        dup2(null_fd, fd);
        close(null_fd);
      }
    }
  }
}

int WaitExit(pid_t pid, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -2;
    }
    usleep(10'000);
  }
}

// Every ThreadSanitizer report starts with this line.
constexpr std::string_view kRaceReport = "WARNING: ThreadSanitizer:";

void CheckForRaceReport(const std::string& what, const std::string& err) {
  auto at = err.find(kRaceReport);
  if (at == std::string::npos) return;
  ADD_FAILURE() << what << " wrote a ThreadSanitizer report:\n" << err.substr(at, 8000);
}

// Forks and runs `argv` with stdin from `in_path`, stdout to `out_path` and
// stderr to `err_path` (which may be `out_path`); the child's pid.
pid_t Spawn(std::vector<std::string> argv, std::vector<std::string> envv, const std::string& in_path,
            const std::string& out_path, const std::string& err_path) {
  EnsureStandardFds();
  pid_t pid = fork();
  if (pid == 0) {
    int in = open(in_path.c_str(), O_RDONLY);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = err_path == out_path ? out : open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execve(argv[0].c_str(), CStrings(argv).data(), CStrings(envv).data());
    _exit(127);
  }
  return pid;
}

// SIGKILL and reap; the exit code if it had exited already, else -1.
int KillAndReap(pid_t pid) {
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::string BinaryPath(const std::string& relative) {
  return EnvOr("TANDEM_BIN_DIR", TANDEM_DEFAULT_BIN_DIR) + "/" + relative;
}

std::string SharedPath(const std::string& relative) {
  return EnvOr("TANDEM_SHARED_DIR", TANDEM_DEFAULT_SHARED_DIR) + "/" + relative;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("tandem-e2e-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

ProcessResult RunProcess(const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env,
                         const std::string& stdin_text) {
  EnsureStandardFds();
  TempDir io;
  std::string out_path = io.Sub("out"), err_path = io.Sub("err"), in_path = io.Sub("in");
  std::ofstream(in_path) << stdin_text;
  pid_t pid = Spawn(args, Environment(env), in_path, out_path, err_path);
  ProcessResult r;
  r.exit_code = WaitExit(pid, std::chrono::seconds(120));
  r.out = ReadFile(out_path);
  r.err = ReadFile(err_path);
  CheckForRaceReport(args[0], r.err);
  return r;
}

std::unique_ptr<BackgroundProcess> BackgroundProcess::Start(
    const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  auto process = std::unique_ptr<BackgroundProcess>(new BackgroundProcess());
  process->io_ = std::make_unique<TempDir>();
  process->binary_ = args.at(0);
  std::string out_path = process->io_->Sub("out");
  pid_t pid = Spawn(args, Environment(env), "/dev/null", out_path, out_path);
  process->pid_ = pid;
  return process;
}

BackgroundProcess::~BackgroundProcess() { Kill(); }

bool BackgroundProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return true;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  pid_ = -1;
  return false;
}

void BackgroundProcess::Kill() {
  if (pid_ <= 0) return;
  exit_code_ = KillAndReap(pid_);
  pid_ = -1;
  CheckForRaceReport(binary_, Output());
}

int BackgroundProcess::Wait(std::chrono::seconds timeout) {
  if (pid_ <= 0) return exit_code_;
  exit_code_ = WaitExit(pid_, timeout);
  pid_ = -1;
  CheckForRaceReport(binary_, Output());
  return exit_code_;
}

std::string BackgroundProcess::Output() const { return ReadFile(io_->Sub("out")); }

std::unique_ptr<ServerProcess> ServerProcess::Start(const Options& options) {
  auto server = std::unique_ptr<ServerProcess>(new ServerProcess());
  server->password_ = options.admin_password;
  server->stderr_path_ = options.data_dir + ".stderr";
  std::vector<std::string> argv = {BinaryPath("tools/tandem-server/tandem-server"), "--data-dir",
                                   options.data_dir, "--port", std::to_string(options.port)};
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  std::vector<std::string> envv = Environment({{"TANDEM_ADMIN_PASSWORD", options.admin_password}});
  EnsureStandardFds();
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid == 0) {
    int err = open(server->stderr_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(pipe_fds[1], 1);
    dup2(err, 2);
    close(pipe_fds[0]);
    execve(argv[0].c_str(), CStrings(argv).data(), CStrings(envv).data());
    _exit(127);
  }
  close(pipe_fds[1]);
  server->pid_ = pid;
  // Read stdout until the listening lines, the process's end, or the deadline.
  bool want_http = options.port != -1;
  bool want_https = std::find(options.extra_args.begin(), options.extra_args.end(),
                              "--https-port") != options.extra_args.end();
  // The port of a "listening on SCHEME://HOST:PORT" line, or -1 if not there yet.
  auto listening_port = [&](const std::string& scheme) {
    const std::string marker = "listening on " + scheme + "://";
    auto pos = server->stdout_.find(marker);
    auto eol = pos == std::string::npos ? pos : server->stdout_.find('\n', pos);
    if (eol == std::string::npos) return -1;
    std::string addr = server->stdout_.substr(pos + marker.size(), eol - pos - marker.size());
    return std::stoi(addr.substr(addr.rfind(':') + 1));
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{pipe_fds[0], POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      char buf[4096];
      ssize_t n = read(pipe_fds[0], buf, sizeof buf);
      if (n <= 0) break;  // stdout closed: the process is gone
      server->stdout_.append(buf, static_cast<size_t>(n));
      int http = want_http ? listening_port("http") : 0;
      int https = want_https ? listening_port("https") : 0;
      if (http >= 0 && https >= 0) {
        server->port_ = want_http ? http : -1;
        server->https_port_ = want_https ? https : -1;
        // Keep draining stdout in the background is unnecessary: the server
        // prints nothing more there, so closing our end is safe.
        close(pipe_fds[0]);
        return server;
      }
    }
  }
  close(pipe_fds[0]);
  server->Kill();
  throw std::runtime_error("tandem-server did not start; stdout: " + server->stdout_ +
                           " stderr: " + server->StderrText());
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Kill();
}

std::string ServerProcess::StderrText() const { return ReadFile(stderr_path_); }

void ServerProcess::CheckForRaceReports() const {
  CheckForRaceReport("tandem-server (pid " + std::to_string(pid_) + ")", StderrText());
}

std::unique_ptr<httplib::Client> ServerProcess::Client(const std::string& user,
                                                       const std::string& password) const {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
  c->set_read_timeout(120, 0);
  c->set_write_timeout(120, 0);
  if (!user.empty()) c->set_basic_auth(user, password.empty() ? password_ : password);
  return c;
}

std::unique_ptr<httplib::Client> ServerProcess::HttpsClient(const std::string& ca_file,
                                                               const std::string& user,
                                                               const std::string& password,
                                                               const std::string& cert_file,
                                                               const std::string& key_file) const {
  std::string address = "https://127.0.0.1:" + std::to_string(https_port_);
  auto c = cert_file.empty() ? std::make_unique<httplib::Client>(address)
                             : std::make_unique<httplib::Client>(address, cert_file, key_file);
  c->set_ca_cert_path(ca_file.c_str());
  c->enable_server_certificate_verification(true);
  c->set_read_timeout(120, 0);
  c->set_write_timeout(120, 0);
  if (!user.empty()) c->set_basic_auth(user, password.empty() ? password_ : password);
  return c;
}

int ServerProcess::Terminate(std::chrono::seconds timeout) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int code = WaitExit(pid_, timeout);
  CheckForRaceReports();
  pid_ = -1;
  return code;
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  KillAndReap(pid_);
  CheckForRaceReports();
  pid_ = -1;
}

Json BodyJson(const httplib::Result& r) {
  if (!r) return nullptr;
  auto j = Json::parse(r->body, nullptr, false);
  return j.is_discarded() ? Json(nullptr) : j;
}

}  // namespace tandem::e2e
