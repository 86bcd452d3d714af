// TLS set-up of Tandem's connections: how an HTTPS listener and an outgoing
// synchronization connection configure their OpenSSL contexts (TLS 1.2 at
// least, forward-secret AEAD ciphers, certificates always verified with host
// names), what a peer's certificate says, and how a verification failure is
// explained to an operator. Pure functions over OpenSSL objects; the settings
// structs are immutable after start-up and safe to share between threads.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "tls/keystore.h"

namespace tandem {

// What an HTTPS listener presents and whom it asks for client certificates.
struct TlsServerMaterial {
  TlsIdentity identity;
  // CAs whose client certificates are accepted; empty: no client certificates
  // are asked for. A client without one still connects (endpoints that need
  // one refuse the request with a clear message instead of a failed handshake).
  std::vector<X509Ptr> client_cas;
};

// Configures a server context; InvalidArgument if OpenSSL refuses the material.
Status ConfigureServerContext(SSL_CTX& ctx, const TlsServerMaterial& material);

// What an outgoing connection presents and trusts besides the system's store.
struct TlsClientMaterial {
  std::optional<TlsIdentity> identity;  // client certificate for mutual TLS
  std::vector<X509Ptr> extra_cas;       // e.g. a private CA (twc.client.truststore.path)
};

// Configures a client context for connections to `host` (a DNS name or an IP
// address): the system's CAs plus `extra_cas`, chain and host name verified.
// When `verify_failure` is given (it must outlive the context), the first
// verification failure of a connection is stored there (X509_V_ERR_*); the
// caller resets it to X509_V_OK before connecting.
Status ConfigureClientContext(SSL_CTX& ctx, const TlsClientMaterial& material,
                              const std::string& host,
                              std::atomic<long>* verify_failure = nullptr);

// The certificate a peer presented on a connection.
struct PeerCertificate {
  bool present = false;
  bool verified = false;  // chain checked against the listener's client CAs
  long verify_result = 0;
  std::string common_name;
  std::string sha256;  // lowercase hex
};
PeerCertificate PeerOf(const SSL* ssl);

// A warning when `cert` has expired or expires within `days`, naming `what`
// and the date; nullopt otherwise.
std::optional<std::string> ExpiryWarning(X509* cert, const std::string& what, int days);

// What the Server page shows of a listener's certificate.
struct CertificateSummary {
  std::string subject;           // RFC 2253, "CN=tandem.example,O=..."
  int64_t not_after_micros = 0;  // end of validity, microseconds since the epoch
};
CertificateSummary SummarizeCertificate(X509* cert);

// "certificate has expired: ..." — the reason of an X509_V_ERR_* code in an
// operator's words, with what to do about it.
std::string DescribeVerifyFailure(long verify_result);

}  // namespace tandem
