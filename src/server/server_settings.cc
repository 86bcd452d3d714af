#include "server/server_settings.h"

#include <functional>
#include <map>

#include "common/canonical_json.h"
#include "common/hocon.h"

namespace tandem {
namespace {

// One known key: how to apply its value to the settings.
using Apply = std::function<Status(const ConfigValue&, const std::string&, ServerSettings&)>;

template <typename T>
Apply Int(T ServerSettings::*field, int64_t min, int64_t max) {
  return [field, min, max](const ConfigValue& v, const std::string& key, ServerSettings& s) {
    ASSIGN_OR_RETURN(int64_t n, ConfigInt(v, key, min, max));
    s.*field = static_cast<T>(n);
    return Status::Ok();
  };
}

Apply String(std::string ServerSettings::*field) {
  return [field](const ConfigValue& v, const std::string& key, ServerSettings& s) {
    ASSIGN_OR_RETURN(s.*field, ConfigString(v, key));
    return Status::Ok();
  };
}

Status CheckLogLevel(const std::string& level, const std::string& where) {
  for (const char* ok : {"trace", "debug", "info", "warn", "error", "off"}) {
    if (level == ok) return Status::Ok();
  }
  return Status::InvalidArgument(where + "log level must be trace, debug, info, warn, error or off, got '" +
                                 level + "'");
}

const std::map<std::string, Apply>& KnownKeys() {
  static const auto* keys = new std::map<std::string, Apply>{
      {"server.bind", String(&ServerSettings::bind)},
      {"server.port", Int(&ServerSettings::port, -1, 65535)},
      {"server.data-dir", String(&ServerSettings::data_dir)},
      {"server.threads", Int(&ServerSettings::threads, 2, 1024)},
      {"server.max-body-bytes", Int(&ServerSettings::max_body_bytes, 1024, int64_t{1} << 34)},
      {"server.max-json-depth", Int(&ServerSettings::max_json_depth, 8, kMaxJsonDepthCeiling)},
      {"server.max-page-size", Int(&ServerSettings::max_page_size, 1, 100'000)},
      {"server.max-wait-seconds", Int(&ServerSettings::max_wait_seconds, 0, 3600)},
      {"sysml.post-status",
       [](const ConfigValue& v, const std::string& key, ServerSettings& s) -> Status {
         ASSIGN_OR_RETURN(int64_t n, ConfigInt(v, key, 200, 201));
         s.post_status = static_cast<int>(n);
         return Status::Ok();
       }},
      {"auth.token-ttl-seconds", Int(&ServerSettings::token_ttl_seconds, 1, 90 * 86400)},
      {"server.max-header-bytes", Int(&ServerSettings::max_header_bytes, 1024, 1 << 20)},
      {"server.max-header-count", Int(&ServerSettings::max_header_count, 8, 1000)},
      {"server.max-connections", Int(&ServerSettings::max_connections, 1, 100'000)},
      {"server.max-long-polls", Int(&ServerSettings::max_long_polls, 1, 100'000)},
      {"server.header-timeout-seconds", Int(&ServerSettings::header_timeout_seconds, 1, 3600)},
      {"server.idle-timeout-seconds", Int(&ServerSettings::idle_timeout_seconds, 1, 3600)},
      {"server.body-timeout-seconds", Int(&ServerSettings::body_timeout_seconds, 1, 3600)},
      {"auth.max-failed-logins", Int(&ServerSettings::max_failed_logins, 1, 1000)},
      {"auth.lockout-max-seconds", Int(&ServerSettings::login_lockout_max_seconds, 1, 86400)},
      {"sync.max-pack-bytes", Int(&ServerSettings::sync_max_pack_bytes, 1 << 20, int64_t{1} << 50)},
      {"storage.compress-threshold-bytes",
       Int(&ServerSettings::compress_threshold_bytes, 0, int64_t{1} << 30)},
      {"storage.node-cache-entries", Int(&ServerSettings::node_cache_entries, 0, 10'000'000)},
      {"storage.write-wait-ms", Int(&ServerSettings::write_wait_ms, 10, 600'000)},
      {"storage.max-changes-per-commit",
       Int(&ServerSettings::max_changes_per_commit, 1, 100'000'000)},
      {"sync.reconcile-seconds", Int(&ServerSettings::sync_reconcile_seconds, 1, 86400)},
      {"sync.connect-timeout-seconds", Int(&ServerSettings::sync_connect_timeout_seconds, 1, 300)},
      {"sync.read-timeout-seconds", Int(&ServerSettings::sync_read_timeout_seconds, 1, 3600)},
      {"sync.request-timeout-seconds",
       Int(&ServerSettings::sync_request_timeout_seconds, 1, 86400)},
      {"sync.max-answer-bytes",
       Int(&ServerSettings::sync_max_answer_bytes, 64 << 10, int64_t{1} << 32)},
      {"sync.max-bundle-bytes", Int(&ServerSettings::max_bundle_bytes, 1 << 20, int64_t{1} << 42)},
      {"sync.max-open-uploads-per-user", Int(&ServerSettings::max_open_uploads_per_user, 1, 1000)},
      {"sync.max-open-uploads", Int(&ServerSettings::max_open_uploads, 1, 10'000)},
      {"metrics.anonymous",
       [](const ConfigValue& v, const std::string& key, ServerSettings& s) -> Status {
         ASSIGN_OR_RETURN(s.metrics_anonymous, ConfigBool(v, key));
         return Status::Ok();
       }},
      {"log.level",
       [](const ConfigValue& v, const std::string& key, ServerSettings& s) -> Status {
         ASSIGN_OR_RETURN(s.log_level, ConfigString(v, key));
         return CheckLogLevel(s.log_level, v.file + ":" + std::to_string(v.line) + ": ");
       }},
  };
  return *keys;
}

}  // namespace

Result<ServerSettings> LoadServerSettings(const std::optional<std::string>& config_path,
                                          const SettingsOverrides& overrides,
                                          std::vector<std::string>& warnings) {
  if (!config_path) return ServerSettingsFrom(nullptr, overrides, warnings);
  ASSIGN_OR_RETURN(ConfigDocument doc, ConfigDocument::ParseFile(*config_path));
  return ServerSettingsFrom(&doc, overrides, warnings);
}

Result<ServerSettings> ServerSettingsFrom(const ConfigDocument* doc,
                                          const SettingsOverrides& overrides,
                                          std::vector<std::string>& warnings) {
  ServerSettings s;
  if (doc) {
    for (const auto& [key, value] : doc->values()) {
      std::string where = value.file + ":" + std::to_string(value.line) + ": ";
      auto known = KnownKeys().find(key);
      if (known != KnownKeys().end()) {
        RETURN_IF_ERROR(known->second(value, key, s));
      } else if (auto tls = ApplyTlsKey(key, value, s.tls)) {
        RETURN_IF_ERROR(*tls);
      } else {
        warnings.push_back(where + "unknown key '" + key + "' (ignored; see docs/configuration.md)");
      }
    }
  }
  if (overrides.bind) s.bind = *overrides.bind;
  if (overrides.port) s.port = *overrides.port;
  if (overrides.data_dir) s.data_dir = *overrides.data_dir;
  if (overrides.log_level) {
    RETURN_IF_ERROR(CheckLogLevel(*overrides.log_level, "--log-level: "));
    s.log_level = *overrides.log_level;
  }
  if (s.port < -1 || s.port > 65535) {
    return Status::InvalidArgument("--port must be from 0 to 65535 (or -1: no plain HTTP), got " +
                                   std::to_string(s.port));
  }
  if (s.max_open_uploads < s.max_open_uploads_per_user) {
    return Status::InvalidArgument(
        "sync.max-open-uploads (" + std::to_string(s.max_open_uploads) +
        ", all users together) must be at least sync.max-open-uploads-per-user (" +
        std::to_string(s.max_open_uploads_per_user) + ")");
  }
  RETURN_IF_ERROR(FinishTlsSettings(overrides.tls, s.port, s.tls));
  if (s.data_dir.empty()) return Status::InvalidArgument("the data directory must not be empty");
  return s;
}

}  // namespace tandem
