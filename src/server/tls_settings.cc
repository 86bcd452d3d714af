#include "server/tls_settings.h"

#include <cctype>

#include "common/canonical_json.h"

namespace tandem {
namespace {

constexpr char kClientUsers[] = "server.tls-client-users.";

// A HOCON path segment as ConfigDocument renders it: quoted when it holds a
// dot or other special characters.
std::string Unquote(const std::string& segment) {
  if (segment.size() < 2 || segment.front() != '"') return segment;
  auto j = ParseJsonOrDiscarded(segment);
  return j.is_string() ? j.get<std::string>() : segment;
}

// "sha256:AB:CD..." -> "sha256:abcd..."; a subject CN stays as it is.
Result<std::string> CertificateKey(const std::string& text, const std::string& where) {
  std::string lower;
  for (char c : text) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower.rfind("sha256:", 0) != 0) {
    if (text.empty()) return Status::InvalidArgument(where + "an empty certificate name");
    return text;
  }
  std::string hex;
  bool valid = true;
  for (char c : lower.substr(7)) {
    if (c == ':') continue;
    valid = valid && std::isxdigit(static_cast<unsigned char>(c));
    hex.push_back(c);
  }
  if (!valid || hex.size() != 64) {
    return Status::InvalidArgument(where + "'" + text +
                                   "' is not a SHA-256 fingerprint (64 hex digits, colons allowed)");
  }
  return "sha256:" + hex;
}

Status SetString(const ConfigValue& v, const std::string& key, std::string& field) {
  ASSIGN_OR_RETURN(field, ConfigString(v, key));
  return Status::Ok();
}

Status SetBool(const ConfigValue& v, const std::string& key, bool& field) {
  ASSIGN_OR_RETURN(field, ConfigBool(v, key));
  return Status::Ok();
}

}  // namespace

std::optional<Status> ApplyTlsKey(const std::string& key, const ConfigValue& v, TlsSettings& s) {
  if (key == "server.https-port") {
    auto n = ConfigInt(v, key, -1, 65535);
    if (!n.ok()) return n.status();
    s.https_port = static_cast<int>(*n);
    return Status::Ok();
  }
  if (key == "server.tls-cert") return SetString(v, key, s.cert_file);
  if (key == "server.tls-key") return SetString(v, key, s.key_file);
  if (key == "server.tls-keystore") return SetString(v, key, s.keystore_file);
  if (key == "server.tls-keystore-password") return SetString(v, key, s.keystore_password);
  if (key == "server.tls-client-ca") return SetString(v, key, s.client_ca_file);
  if (key.rfind(kClientUsers, 0) == 0) {
    std::string where = v.file + ":" + std::to_string(v.line) + ": server.tls-client-users: ";
    auto name = CertificateKey(Unquote(key.substr(sizeof kClientUsers - 1)), where);
    if (!name.ok()) return name.status();
    auto user = ConfigString(v, key);
    if (!user.ok()) return user.status();
    if (user->empty()) return Status::InvalidArgument(where + "'" + *name + "' maps to no user");
    s.client_users[*name] = *user;
    return Status::Ok();
  }
  if (key == "esi.server.sync.tls-enabled") return SetBool(v, key, s.sync_tls_only);
  if (key == "esi.server.sync.require-client-certificate") {
    return SetBool(v, key, s.sync_require_client_cert);
  }
  if (key == "twc.client.tls") return SetBool(v, key, s.client_tls);
  if (key == "twc.client.keystore.type") return SetString(v, key, s.client_keystore_type);
  if (key == "twc.client.keystore.path") return SetString(v, key, s.client_keystore_path);
  if (key == "twc.client.keystore.password") return SetString(v, key, s.client_keystore_password);
  if (key == "twc.client.truststore.path") return SetString(v, key, s.client_truststore_path);
  return std::nullopt;
}

Status FinishTlsSettings(const TlsOverrides& o, int plain_port, TlsSettings& s) {
  if (o.https_port) s.https_port = *o.https_port;
  if (o.cert_file) s.cert_file = *o.cert_file;
  if (o.key_file) s.key_file = *o.key_file;
  if (o.keystore_file) s.keystore_file = *o.keystore_file;
  if (o.keystore_password) s.keystore_password = *o.keystore_password;
  if (s.https_port < -1 || s.https_port > 65535) {
    return Status::InvalidArgument("--https-port must be from 0 to 65535 (or -1 for none), got " +
                                   std::to_string(s.https_port));
  }
  bool https = s.https_port >= 0;
  if (plain_port < 0 && !https) {
    return Status::InvalidArgument("nothing to listen on: --port -1 turns plain HTTP off, so give "
                                   "--https-port (and a certificate)");
  }
  bool pem = !s.cert_file.empty() || !s.key_file.empty();
  bool keystore = !s.keystore_file.empty();
  if (https) {
    if (pem && keystore) {
      return Status::InvalidArgument("give --tls-cert and --tls-key, or --tls-keystore, not both");
    }
    if (!pem && !keystore) {
      return Status::InvalidArgument("--https-port needs a certificate: --tls-cert FILE --tls-key "
                                     "FILE (PEM) or --tls-keystore FILE (PKCS#12); see docs/tls.md");
    }
    if (pem && (s.cert_file.empty() || s.key_file.empty())) {
      return Status::InvalidArgument(s.cert_file.empty() ? "--tls-key needs --tls-cert"
                                                         : "--tls-cert needs --tls-key");
    }
  } else {
    const char* needs_listener = nullptr;
    if (pem || keystore) needs_listener = "a server certificate (--tls-cert, --tls-keystore)";
    if (!s.client_ca_file.empty()) needs_listener = "server.tls-client-ca";
    if (!s.client_users.empty()) needs_listener = "server.tls-client-users";
    if (s.sync_require_client_cert) needs_listener = "esi.server.sync.require-client-certificate";
    if (s.sync_tls_only) needs_listener = "esi.server.sync.tls-enabled = true";
    if (needs_listener) {
      return Status::InvalidArgument(std::string(needs_listener) +
                                     " needs the HTTPS listener: set server.https-port "
                                     "(--https-port) and a certificate; see docs/tls.md");
    }
  }
  if ((s.sync_require_client_cert || !s.client_users.empty()) && s.client_ca_file.empty()) {
    return Status::InvalidArgument(std::string(s.sync_require_client_cert
                                                   ? "esi.server.sync.require-client-certificate"
                                                   : "server.tls-client-users") +
                                   " needs server.tls-client-ca: the PEM file of the CAs that "
                                   "sign the client certificates");
  }
  // JKS (the seed product's default) is refused even without a path, so the
  // operator learns at once how to convert it.
  auto type = ParseKeystoreType(s.client_keystore_type, "twc.client.keystore.type");
  if (!type.ok()) return type.status();
  if (s.client_keystore_path.empty() && !s.client_keystore_password.empty()) {
    return Status::InvalidArgument("twc.client.keystore.password is set but "
                                   "twc.client.keystore.path is not");
  }
  return Status::Ok();
}

Result<TlsMaterial> LoadTlsMaterial(const TlsSettings& s) {
  TlsMaterial out;
  if (s.https_port >= 0) {
    TlsServerMaterial listener;
    if (!s.keystore_file.empty()) {
      ASSIGN_OR_RETURN(listener.identity, LoadKeystore(KeystoreType::kPkcs12, s.keystore_file,
                                                       s.keystore_password,
                                                       "server.tls-keystore (--tls-keystore)"));
    } else {
      ASSIGN_OR_RETURN(listener.identity, LoadPemPair(s.cert_file, s.key_file));
    }
    if (!s.client_ca_file.empty()) {
      ASSIGN_OR_RETURN(listener.client_cas,
                       LoadCaCertificates(s.client_ca_file, "server.tls-client-ca"));
    }
    out.listener = std::move(listener);
  }
  if (!s.client_keystore_path.empty()) {
    ASSIGN_OR_RETURN(KeystoreType type,
                     ParseKeystoreType(s.client_keystore_type, "twc.client.keystore.type"));
    ASSIGN_OR_RETURN(TlsIdentity id, LoadKeystore(type, s.client_keystore_path,
                                                  s.client_keystore_password,
                                                  "twc.client.keystore.path"));
    out.client.identity = std::move(id);
  }
  if (!s.client_truststore_path.empty()) {
    ASSIGN_OR_RETURN(out.client.extra_cas,
                     LoadCaCertificates(s.client_truststore_path, "twc.client.truststore.path"));
  }
  return out;
}

}  // namespace tandem
