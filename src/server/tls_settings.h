// TlsSettings: the TLS part of tandem-server's settings — the HTTPS listener
// (`server.https-port`, `server.tls-*`), the seed product's synchronization
// keys (`esi.server.sync.tls-enabled`, `twc.client.*`) and mutual TLS — and
// loading the certificates they name. Each key is documented in
// docs/configuration.md and docs/tls.md. Value types; thread-compatible.
// Passwords are kept here only to open keystores and never appear in messages.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "common/hocon.h"
#include "tls/tls_context.h"

namespace tandem {

struct TlsSettings {
  // The HTTPS listener.
  int https_port = -1;            // -1: none; 0 picks a free port
  std::string cert_file;          // PEM certificate chain ...
  std::string key_file;           // ... and its PEM private key, or
  std::string keystore_file;      // a PKCS#12 keystore
  std::string keystore_password;  // of keystore_file
  std::string client_ca_file;     // PEM CAs of accepted client certificates
  // Client certificate (subject CN, or "sha256:" + lowercase hex fingerprint)
  // -> user name a request without an Authorization header runs as.
  std::map<std::string, std::string> client_users;
  // Synchronization, server side.
  bool sync_tls_only = false;             // esi.server.sync.tls-enabled
  bool sync_require_client_cert = false;  // esi.server.sync.require-client-certificate
  // Synchronization, client side (outgoing connections to sources).
  bool client_tls = false;  // twc.client.tls
  std::string client_keystore_type = "PKCS12";
  std::string client_keystore_path;
  std::string client_keystore_password;
  std::string client_truststore_path;

  // Outgoing synchronization must use https:// sources.
  bool OutgoingRequiresTls() const { return sync_tls_only || client_tls; }
};

// Command-line flags and the environment; each set one wins over the file.
struct TlsOverrides {
  std::optional<int> https_port;
  std::optional<std::string> cert_file;
  std::optional<std::string> key_file;
  std::optional<std::string> keystore_file;
  std::optional<std::string> keystore_password;  // $TANDEM_TLS_KEYSTORE_PASSWORD
};

// Applies one key of application.conf; nullopt when `key` is not a TLS key.
std::optional<Status> ApplyTlsKey(const std::string& key, const ConfigValue& value,
                                  TlsSettings& settings);

// Applies `overrides` and checks that the settings fit together (a listener
// has one certificate source, TLS-only synchronization has an HTTPS listener,
// JKS is refused, ...). `plain_port` is the HTTP port (-1: off).
Status FinishTlsSettings(const TlsOverrides& overrides, int plain_port, TlsSettings& settings);

// The certificates the settings name, read from disk.
struct TlsMaterial {
  std::optional<TlsServerMaterial> listener;  // set when https_port >= 0
  TlsClientMaterial client;
};
Result<TlsMaterial> LoadTlsMaterial(const TlsSettings& settings);

}  // namespace tandem
