// ServerSettings: every setting of tandem-server, read from an
// application.conf (HOCON) and overridden by command-line flags. Each key is
// documented in docs/configuration.md. Value type; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/hocon.h"
#include "common/status.h"
#include "server/tls_settings.h"

namespace tandem {

struct ServerSettings {
  std::string bind = "127.0.0.1";
  int port = 8111;
  std::string data_dir = "data";
  size_t threads = 16;
  size_t max_body_bytes = 64 << 20;
  size_t max_json_depth = 64;
  size_t max_page_size = 1000;
  int max_wait_seconds = 60;
  int post_status = 201;
  int token_ttl_seconds = 8 * 3600;
  size_t compress_threshold_bytes = 512;
  size_t node_cache_entries = 20'000;
  int write_wait_ms = 10'000;  // storage.write-wait-ms
  size_t max_changes_per_commit = 1'000'000;
  std::string log_level = "info";
  int sync_reconcile_seconds = 300;
  size_t max_bundle_bytes = size_t{8} << 30;
  size_t max_open_uploads_per_user = 4;
  size_t max_open_uploads = 64;
  bool metrics_anonymous = false;  // metrics.anonymous: GET /metrics without an account
  TlsSettings tls;  // HTTPS listener and TLS of synchronization (server/tls_settings.h)
  // Security limits (docs/security.md).
  size_t max_header_bytes = 64 << 10;
  size_t max_header_count = 100;
  size_t max_connections = 512;
  size_t max_long_polls = 256;
  int header_timeout_seconds = 10;
  int idle_timeout_seconds = 30;
  int body_timeout_seconds = 30;
  int max_failed_logins = 5;
  int login_lockout_max_seconds = 900;
  uint64_t sync_max_pack_bytes = 64ull << 30;
  // Outgoing synchronization requests (docs/configuration.md).
  int sync_connect_timeout_seconds = 10;
  int sync_read_timeout_seconds = 30;
  int sync_request_timeout_seconds = 600;
  uint64_t sync_max_answer_bytes = 32ull << 20;
};

// Flags given on the command line; each set one wins over the file.
struct SettingsOverrides {
  std::optional<std::string> bind;
  std::optional<int> port;
  std::optional<std::string> data_dir;
  std::optional<std::string> log_level;
  TlsOverrides tls;
};

// Reads `config_path` (if given) and applies `overrides`. `port` -1 turns
// plain HTTP off (then an HTTPS listener is required). A malformed file or a
// value of the wrong type is InvalidArgument with file, line and reason;
// unknown keys are not errors but each adds a "FILE:LINE: ..." line to `warnings`.
Result<ServerSettings> LoadServerSettings(const std::optional<std::string>& config_path,
                                          const SettingsOverrides& overrides,
                                          std::vector<std::string>& warnings);

// LoadServerSettings over a document already parsed (null: no file), for
// callers that hold the text (and the fuzz target of application.conf).
Result<ServerSettings> ServerSettingsFrom(const ConfigDocument* doc,
                                          const SettingsOverrides& overrides,
                                          std::vector<std::string>& warnings);

}  // namespace tandem
