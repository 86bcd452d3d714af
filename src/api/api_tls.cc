#include "api/api_tls.h"

#include <strings.h>

#include <openssl/x509_vfy.h>

#include "tls/tls_context.h"

namespace tandem {

bool IsSyncEndpoint(const std::string& pattern) { return pattern.rfind("/sync/v1/", 0) == 0; }

Status CheckSyncTransport(const HttpRequest& req, const ApiTlsOptions& tls, int https_port) {
  if (tls.sync_tls_only && req.ssl == nullptr) {
    std::string where = https_port > 0 ? "its HTTPS port " + std::to_string(https_port)
                                       : "its HTTPS port";
    return Status::PermissionDenied(
        "this server serves synchronization only over TLS (esi.server.sync.tls-enabled = true): "
        "use https://HOST:PORT with " + where + " as the source url");
  }
  if (!tls.sync_require_client_cert) return Status::Ok();
  PeerCertificate peer = PeerOf(req.ssl);
  if (!peer.present) {
    return Status::PermissionDenied(
        "this server requires a client certificate for synchronization "
        "(esi.server.sync.require-client-certificate = true): set twc.client.keystore.type, "
        "twc.client.keystore.path and twc.client.keystore.password on the target server");
  }
  if (!peer.verified) {
    return Status::PermissionDenied(
        std::string("the client certificate was not accepted (") +
        X509_verify_cert_error_string(peer.verify_result) +
        "): it must be valid and signed by a CA in this server's server.tls-client-ca");
  }
  return Status::Ok();
}

std::optional<std::string> CertificateUser(const HttpRequest& req, const ApiTlsOptions& tls) {
  if (tls.certificate_users.empty() || req.ssl == nullptr) return std::nullopt;
  PeerCertificate peer = PeerOf(req.ssl);
  if (!peer.verified) return std::nullopt;
  // A fingerprint names one certificate; it wins over a name many may share.
  auto it = tls.certificate_users.find("sha256:" + peer.sha256);
  // Keys that start with "sha256:" are fingerprints (tls_settings.cc), so a
  // subject CN spelled like one must not match them: anyone whom the client CA
  // signs could otherwise claim another certificate's entry by its name.
  bool cn_looks_like_fingerprint =
      peer.common_name.size() >= 7 && strncasecmp(peer.common_name.c_str(), "sha256:", 7) == 0;
  if (it == tls.certificate_users.end() && !peer.common_name.empty() &&
      !cn_looks_like_fingerprint) {
    it = tls.certificate_users.find(peer.common_name);
  }
  if (it == tls.certificate_users.end()) return std::nullopt;
  return it->second;
}

}  // namespace tandem
