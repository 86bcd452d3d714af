#include "server/tandem_server.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>

#include "common/clock.h"
#include "sync/http_sync_source.h"
#include "tandem_version.h"

namespace tandem {
namespace {

constexpr char kAdminPasswordVariable[] = "TANDEM_ADMIN_PASSWORD";

// The first admin password, taken out of the environment before any thread
// starts: unset, and its bytes overwritten where the kernel shows them
// (/proc/<pid>/environ reads the original block, which unsetenv leaves as it
// is), so neither a child process nor a reader of /proc sees it.
std::optional<std::string> TakeAdminPasswordFromEnvironment() {
  const size_t name_length = std::strlen(kAdminPasswordVariable);
  char* entry = nullptr;
  for (char** e = environ; e && *e; ++e) {
    if (std::strncmp(*e, kAdminPasswordVariable, name_length) == 0 && (*e)[name_length] == '=') {
      entry = *e;
      break;
    }
  }
  if (!entry) return std::nullopt;
  std::string value(entry + name_length + 1);
  unsetenv(kAdminPasswordVariable);  // drops the pointer; the bytes stay valid
  std::memset(entry, 0, std::strlen(entry));
  if (value.empty()) return std::nullopt;
  return value;
}

// Group or world bits on the data directory: the store files are 0600, but
// everything else in there (uploads in transit, logs) is the directory's to guard.
void WarnIfDataDirIsOpen(const std::string& dir) {
  std::error_code ec;
  auto perms = std::filesystem::status(dir, ec).permissions();
  if (ec) return;
  using std::filesystem::perms;
  if ((perms & (perms::group_all | perms::others_all)) != perms::none) {
    spdlog::warn("the data directory {} can be read by other users (mode {:o}); restrict it with "
                 "'chmod 700 {}'", dir, static_cast<unsigned>(perms) & 0777, dir);
  }
}

}  // namespace

TandemServer::TandemServer(ServerSettings settings) : settings_(std::move(settings)) {}

TandemServer::~TandemServer() {
  Stop();
  StopEngine();
  api_.reset();
  engine_.reset();
  auth_.reset();
  repo_.reset();
  store_.reset();
  if (lock_fd_ >= 0) close(lock_fd_);
}

Result<TandemServer::Ports> TandemServer::Start(const std::optional<std::string>& admin_password,
                                                std::ostream& out) {
  namespace fs = std::filesystem;
  // Certificates first: a bad one stops the server before it touches data.
  ASSIGN_OR_RETURN(TlsMaterial tls, LoadTlsMaterial(settings_.tls));
  // An expired certificate still starts the server (peers will say why they
  // refuse it), but the operator hears about it first.
  if (tls.listener) {
    if (auto w = ExpiryWarning(tls.listener->identity.cert.get(), "the HTTPS certificate", 30)) {
      spdlog::warn("{}", *w);
    }
  }
  if (tls.client.identity) {
    if (auto w = ExpiryWarning(tls.client.identity->cert.get(),
                               "the client certificate (twc.client.keystore.path)", 30)) {
      spdlog::warn("{}", *w);
    }
  }
  std::error_code ec;
  bool created_dir = fs::create_directories(settings_.data_dir, ec);
  if (ec) {
    return Status::IOError("cannot create data directory " + settings_.data_dir + ": " +
                           ec.message());
  }
  if (created_dir) {
    // Only a directory we made is ours to restrict; an operator's stays as set.
    fs::permissions(settings_.data_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) return Status::IOError("cannot restrict " + settings_.data_dir + ": " + ec.message());
  }
  WarnIfDataDirIsOpen(settings_.data_dir);
  std::string lock_path = (fs::path(settings_.data_dir) / "LOCK").string();
  lock_fd_ = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) {
    return Status::IOError("cannot open " + lock_path + ": " + std::strerror(errno));
  }
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Status::Unavailable("another tandem-server is already using the data directory " +
                               settings_.data_dir + "; stop it or choose another --data-dir");
  }

  SqliteOptions store_options;
  store_options.compress_threshold = settings_.compress_threshold_bytes;
  store_options.write_wait = std::chrono::milliseconds(settings_.write_wait_ms);
  ASSIGN_OR_RETURN(store_, SqliteStore::Open((fs::path(settings_.data_dir) / "tandem.db").string(),
                                             store_options));
  RepositoryOptions repo_options;
  repo_options.node_cache_entries = settings_.node_cache_entries;
  repo_options.max_changes_per_commit = settings_.max_changes_per_commit;
  repo_options.max_json_depth = settings_.max_json_depth;
  repo_ = std::make_unique<Repository>(*store_, SystemClock::Instance(), repo_options);
  RETURN_IF_ERROR(repo_->Bootstrap());

  AuthOptions auth_options;
  auth_options.token_ttl = std::chrono::seconds(settings_.token_ttl_seconds);
  auth_options.login_throttle.free_failures = settings_.max_failed_logins;
  auth_options.login_throttle.max_delay = std::chrono::seconds(settings_.login_lockout_max_seconds);
  auth_ = std::make_unique<Authenticator>(*store_, SystemClock::Instance(), auth_options);
  ASSIGN_OR_RETURN(auto created, auth_->BootstrapAdmin(admin_password));
  if (created) {
    if (admin_password) {
      out << "created user 'admin' with the password from TANDEM_ADMIN_PASSWORD" << std::endl;
    } else {
      // Shown once, on the first start only; it is stored only as an Argon2id hash.
      out << "created user 'admin' with generated password: " << *created << std::endl
          << "(shown only this once; change it with: tandem user passwd admin)" << std::endl;
    }
  }

  ASSIGN_OR_RETURN(CredentialBox box,
                   CredentialBox::Open((fs::path(settings_.data_dir) / "secret.key").string()));
  SyncEngineOptions sync_options;
  sync_options.reconcile_interval = std::chrono::seconds(settings_.sync_reconcile_seconds);
  sync_options.pack_limits.max_total_bytes = settings_.sync_max_pack_bytes;
  SyncClientOptions client;
  client.tls = {settings_.tls.OutgoingRequiresTls(), tls.client};
  client.connect_timeout = std::chrono::seconds(settings_.sync_connect_timeout_seconds);
  client.read_timeout = std::chrono::seconds(settings_.sync_read_timeout_seconds);
  client.request_timeout = std::chrono::seconds(settings_.sync_request_timeout_seconds);
  client.max_answer_bytes = settings_.sync_max_answer_bytes;
  SyncClientOptions import_client = client;  // imports reach their sources as sync runs do
  engine_ = std::make_unique<SyncEngine>(*repo_, std::move(box), SystemClock::Instance(),
                                         HttpSourceFactory(std::move(client)), sync_options);

  ApiOptions api_options;
  api_options.http.max_body_bytes = settings_.max_body_bytes;
  api_options.max_json_depth = settings_.max_json_depth;
  api_options.max_page_size = settings_.max_page_size;
  api_options.post_status = settings_.post_status;
  api_options.http.threads = settings_.threads;
  api_options.http.max_header_bytes = settings_.max_header_bytes;
  api_options.http.max_header_count = settings_.max_header_count;
  api_options.http.max_connections = settings_.max_connections;
  api_options.http.max_long_polls = settings_.max_long_polls;
  api_options.http.header_timeout = std::chrono::seconds(settings_.header_timeout_seconds);
  api_options.http.idle_timeout = std::chrono::seconds(settings_.idle_timeout_seconds);
  api_options.http.body_timeout = std::chrono::seconds(settings_.body_timeout_seconds);
  api_options.max_wait = std::chrono::seconds(settings_.max_wait_seconds);
  api_options.version = TANDEM_VERSION;
  api_options.bundle_dir = (fs::path(settings_.data_dir) / "bundle-uploads").string();
  api_options.max_bundle_bytes = settings_.max_bundle_bytes;
  api_options.max_open_uploads_per_user = settings_.max_open_uploads_per_user;
  api_options.max_open_uploads = settings_.max_open_uploads;
  api_options.metrics_anonymous = settings_.metrics_anonymous;
  api_options.imports.client = std::move(import_client);
  api_options.tls = {settings_.tls.sync_tls_only, settings_.tls.sync_require_client_cert,
                     settings_.tls.client_users};
  api_ = std::make_unique<ApiServer>(*repo_, *auth_, engine_.get(), api_options);
  Ports ports;
  if (settings_.port >= 0) {
    ASSIGN_OR_RETURN(ports.http, api_->Bind(settings_.bind, settings_.port));
  }
  if (tls.listener) {
    ASSIGN_OR_RETURN(ports.https,
                     api_->BindTls(settings_.bind, settings_.tls.https_port, *tls.listener));
  }
  RETURN_IF_ERROR(engine_->Start());
  return ports;
}

Status TandemServer::Serve() { return api_->Serve(); }

void TandemServer::Stop() {
  // The engine first: its runs end within a second and requests waiting on
  // them (?wait=true) are answered, so the listeners have nothing to wait for.
  StopEngine();
  if (api_) api_->Stop();
}

void TandemServer::StopEngine() {
  if (engine_) engine_->Stop();
}

int RunServerMain(int argc, char** argv) {
  CLI::App app{"tandem-server: SysML v2 model repository server"};
  std::optional<std::string> config;
  SettingsOverrides overrides;
  app.add_option("--config", config, "application.conf (HOCON) to read settings from")
      ->check(CLI::ExistingFile);
  app.add_option("--data-dir", overrides.data_dir, "directory of the embedded store (default: data)");
  app.add_option("--bind", overrides.bind, "address to listen on (default: 127.0.0.1)");
  app.add_option("--port", overrides.port,
                 "HTTP port (default: 8111; 0 picks a free port; -1: no plain HTTP)");
  app.add_option("--https-port", overrides.tls.https_port,
                 "HTTPS port (default: none; 0 picks a free port)");
  app.add_option("--tls-cert", overrides.tls.cert_file, "PEM certificate (chain) for HTTPS")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", overrides.tls.key_file, "PEM private key of --tls-cert")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-keystore", overrides.tls.keystore_file,
                 "PKCS#12 keystore for HTTPS (password: $TANDEM_TLS_KEYSTORE_PASSWORD or "
                 "server.tls-keystore-password)")
      ->check(CLI::ExistingFile);
  app.add_option("--log-level", overrides.log_level, "trace, debug, info, warn, error or off");
  app.set_version_flag("--version", std::string("tandem-server ") + TANDEM_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  // A password never goes on the command line, where other users see it.
  if (const char* pw = std::getenv("TANDEM_TLS_KEYSTORE_PASSWORD"); pw && *pw) {
    overrides.tls.keystore_password = pw;
  }
  std::vector<std::string> warnings;
  auto settings = LoadServerSettings(config, overrides, warnings);
  if (!settings.ok()) {
    std::cerr << "tandem-server: " << settings.status().message() << std::endl;
    return 2;
  }
  auto logger = spdlog::stderr_color_mt("tandem");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(settings->log_level));
  for (const auto& w : warnings) spdlog::warn("{}", w);

  // Block the stop signals before any thread starts, so only the watcher gets them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::optional<std::string> admin_password = TakeAdminPasswordFromEnvironment();
  TandemServer server(*settings);
  auto ports = server.Start(admin_password, std::cout);
  if (!ports.ok()) {
    std::cerr << "tandem-server: " << ports.status().message() << std::endl;
    return 1;
  }
  if (ports->https >= 0) {
    std::cout << "listening on https://" << settings->bind << ":" << ports->https << std::endl;
  }
  if (ports->http >= 0) {
    std::cout << "listening on http://" << settings->bind << ":" << ports->http << std::endl;
  }
  if (settings->tls.sync_tls_only) {
    spdlog::info("synchronization is served and fetched over TLS only (esi.server.sync.tls-enabled)");
  }
  spdlog::info("data directory {}", std::filesystem::absolute(settings->data_dir).string());

  std::thread watcher([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    spdlog::info("received {}, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    server.Stop();
  });
  Status st = server.Serve();
  // Serve returns after Stop(); wake the watcher if it is still waiting.
  pthread_kill(watcher.native_handle(), SIGTERM);
  watcher.join();
  if (!st.ok()) {
    std::cerr << "tandem-server: " << st.message() << std::endl;
    return 1;
  }
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace tandem
