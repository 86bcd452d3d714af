// What the HTTP front does with TLS per request: synchronization endpoints
// (/sync/v1/...) refused over plain HTTP when the server is TLS-only, or
// without a verified client certificate when it requires mutual TLS, and a
// verified client certificate mapped to a user account (docs/tls.md).
// Pure functions of the request and immutable options; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "api/http_request.h"
#include "common/status.h"

namespace tandem {

struct ApiTlsOptions {
  bool sync_tls_only = false;             // esi.server.sync.tls-enabled
  bool sync_require_client_cert = false;  // esi.server.sync.require-client-certificate
  // Subject CN, or "sha256:" + lowercase hex fingerprint -> user name.
  std::map<std::string, std::string> certificate_users;
};

// True for the endpoints the TLS rules of synchronization apply to.
bool IsSyncEndpoint(const std::string& pattern);

// PermissionDenied, naming the setting and what the caller should do, when a
// request to a synchronization endpoint breaks the TLS rules. `https_port` is
// the HTTPS listener's port for the message (-1: none).
Status CheckSyncTransport(const HttpRequest& req, const ApiTlsOptions& tls, int https_port);

// The user a request's verified client certificate maps to; nullopt when the
// request came without TLS, without a verified certificate, or unmapped.
std::optional<std::string> CertificateUser(const HttpRequest& req, const ApiTlsOptions& tls);

}  // namespace tandem
