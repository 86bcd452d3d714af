#include "tls/tls_context.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <time.h>

#include "tls/openssl_errors.h"

namespace tandem {
namespace {

// TLS 1.2 suites: ECDHE key exchange with AEAD ciphers only (TLS 1.3 suites
// are OpenSSL's defaults, all of which are modern).
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

Status Failed(const std::string& what) {
  std::string detail = TakeOpenSslErrors();
  return Status::InvalidArgument(what + (detail.empty() ? "" : " (" + detail + ")"));
}

Status CommonSetUp(SSL_CTX& ctx) {
  if (SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION) != 1) {
    return Failed("cannot require TLS 1.2");
  }
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_cipher_list(&ctx, kTls12Ciphers) != 1) return Failed("cannot set the ciphers");
  return Status::Ok();
}

Status UseIdentity(SSL_CTX& ctx, const TlsIdentity& id) {
  if (SSL_CTX_use_certificate(&ctx, id.cert.get()) != 1) return Failed("the certificate is unusable");
  if (SSL_CTX_use_PrivateKey(&ctx, id.key.get()) != 1) return Failed("the private key is unusable");
  for (const auto& c : id.chain) {
    if (SSL_CTX_add1_chain_cert(&ctx, c.get()) != 1) return Failed("a chain certificate is unusable");
  }
  if (SSL_CTX_check_private_key(&ctx) != 1) {
    return Failed("the private key does not belong to the certificate");
  }
  return Status::Ok();
}

Status Trust(SSL_CTX& ctx, const std::vector<X509Ptr>& cas) {
  X509_STORE* store = SSL_CTX_get_cert_store(&ctx);
  for (const auto& ca : cas) {
    // A CA listed twice (or also in the system store) is not an error.
    if (X509_STORE_add_cert(store, ca.get()) != 1) ERR_clear_error();
  }
  return Status::Ok();
}

// Client certificates are checked here but judged per request: a failure is
// kept as the connection's verify result (see PeerOf) instead of ending the
// handshake, so the endpoint can say what is wrong.
int KeepVerifyResult(int, X509_STORE_CTX*) { return 1; }

int VerifyFailureSlot() {
  static const int slot = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return slot;
}

// Records the first failure for the caller's message; the decision stays OpenSSL's.
int RecordVerifyFailure(int ok, X509_STORE_CTX* store) {
  if (ok) return ok;
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl == nullptr) return ok;
  auto* failure =
      static_cast<std::atomic<long>*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), VerifyFailureSlot()));
  if (failure != nullptr) {
    long none = X509_V_OK;
    failure->compare_exchange_strong(none, X509_STORE_CTX_get_error(store));
  }
  return ok;
}

bool IsIpAddress(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

Status ConfigureServerContext(SSL_CTX& ctx, const TlsServerMaterial& material) {
  RETURN_IF_ERROR(CommonSetUp(ctx));
  SSL_CTX_set_options(&ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  RETURN_IF_ERROR(UseIdentity(ctx, material.identity));
  if (!material.client_cas.empty()) {
    RETURN_IF_ERROR(Trust(ctx, material.client_cas));
    for (const auto& ca : material.client_cas) {
      if (SSL_CTX_add_client_CA(&ctx, ca.get()) != 1) return Failed("a client CA is unusable");
    }
    SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, KeepVerifyResult);
    static const unsigned char kSessionContext[] = "tandem";
    SSL_CTX_set_session_id_context(&ctx, kSessionContext, sizeof kSessionContext - 1);
  }
  return Status::Ok();
}

Status ConfigureClientContext(SSL_CTX& ctx, const TlsClientMaterial& material,
                              const std::string& host, std::atomic<long>* verify_failure) {
  RETURN_IF_ERROR(CommonSetUp(ctx));
  if (SSL_CTX_set_default_verify_paths(&ctx) != 1) return Failed("cannot load the system's CAs");
  RETURN_IF_ERROR(Trust(ctx, material.extra_cas));
  if (material.identity) RETURN_IF_ERROR(UseIdentity(ctx, *material.identity));
  // The host name (or address) is part of chain verification, so a mismatch
  // fails the handshake with its own verify result.
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(&ctx);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  int set = IsIpAddress(host) ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                              : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  if (set != 1) return Failed("cannot verify the host name '" + host + "'");
  if (verify_failure != nullptr) {
    SSL_CTX_set_ex_data(&ctx, VerifyFailureSlot(), verify_failure);
  }
  SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, RecordVerifyFailure);
  return Status::Ok();
}

PeerCertificate PeerOf(const SSL* ssl) {
  PeerCertificate peer;
  if (ssl == nullptr) return peer;
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return peer;
  peer.present = true;
  peer.verify_result = SSL_get_verify_result(ssl);
  peer.verified = peer.verify_result == X509_V_OK;
  peer.common_name = CommonName(cert);
  peer.sha256 = Sha256Fingerprint(cert);
  X509_free(cert);
  return peer;
}

std::optional<std::string> ExpiryWarning(X509* cert, const std::string& what, int days) {
  const ASN1_TIME* not_after = X509_get0_notAfter(cert);
  int left_days = 0, left_seconds = 0;
  if (ASN1_TIME_diff(&left_days, &left_seconds, nullptr, not_after) != 1) return std::nullopt;
  std::string when;
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    ASN1_TIME_print(bio, not_after);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    when.assign(data, static_cast<size_t>(n));
    BIO_free(bio);
  }
  if (left_days < 0 || left_seconds < 0) return what + " expired on " + when + "; renew it";
  if (left_days < days) {
    return what + " expires on " + when + " (in " + std::to_string(left_days) + " days); renew it";
  }
  return std::nullopt;
}

CertificateSummary SummarizeCertificate(X509* cert) {
  CertificateSummary out;
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    out.subject.assign(data, static_cast<size_t>(n));
    BIO_free(bio);
  }
  struct tm when {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &when) == 1) {
    out.not_after_micros = static_cast<int64_t>(timegm(&when)) * 1'000'000;
  }
  return out;
}

std::string DescribeVerifyFailure(long code) {
  switch (code) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "certificate has expired: renew the source's certificate (or fix this server's clock)";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "certificate is not valid yet: check the clocks of both servers";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "host name mismatch: the certificate does not name the host in the source url; use "
             "a name the certificate lists (subjectAltName) or reissue the certificate";
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return "unknown CA: the certificate is not signed by a CA this server trusts (self-signed "
             "or private CA?); add the CA certificate (PEM) to twc.client.truststore.path";
    case X509_V_ERR_CERT_REVOKED:
      return "certificate has been revoked: the source needs a new certificate";
    case X509_V_ERR_INVALID_PURPOSE:
      return "certificate is not meant for this use (extended key usage): reissue it for "
             "serverAuth (a server) or clientAuth (a client)";
    default:
      return std::string("certificate verification failed: ") +
             X509_verify_cert_error_string(code) + "; see docs/tls.md";
  }
}

}  // namespace tandem
