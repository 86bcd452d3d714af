// Keystores: the certificates and private keys Tandem presents over TLS, and
// the extra CA certificates it trusts. A keystore is a PKCS#12 file
// (password-protected) or a PEM file holding a certificate chain and its
// private key; a Java keystore (JKS) is refused with the keytool command that
// converts it. Loaded once at start-up; the loaded values are immutable and
// safe to share between threads. No message ever contains a password.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace tandem {

using X509Ptr = std::shared_ptr<X509>;
using KeyPtr = std::shared_ptr<EVP_PKEY>;

enum class KeystoreType { kPkcs12, kPem };

// "PKCS12" (also "P12", "PFX") or "PEM", any case. "JKS" is InvalidArgument
// naming `key` and giving the keytool conversion; anything else too.
Result<KeystoreType> ParseKeystoreType(const std::string& text, const std::string& key);

// A certificate, its private key and the intermediate certificates that lead
// to its CA (may be empty). Copyable; copies share the OpenSSL objects.
struct TlsIdentity {
  X509Ptr cert;
  KeyPtr key;
  std::vector<X509Ptr> chain;
};

// Loads a keystore. `what` names the setting in messages ("twc.client.keystore.path").
// InvalidArgument when the file is unreadable, not of `type`, the password is
// wrong, or the key does not belong to the certificate.
Result<TlsIdentity> LoadKeystore(KeystoreType type, const std::string& path,
                                 const std::string& password, const std::string& what);

// A certificate chain (the first one is the server's) and a private key, each
// in its own PEM file (the key unencrypted, as web servers keep it).
Result<TlsIdentity> LoadPemPair(const std::string& cert_path, const std::string& key_path);

// Every certificate of a PEM file (a CA bundle); InvalidArgument if none.
Result<std::vector<X509Ptr>> LoadCaCertificates(const std::string& path, const std::string& what);

// Subject common name, "" when it has none.
std::string CommonName(X509* cert);
// Lowercase hex SHA-256 of the DER encoding, without separators.
std::string Sha256Fingerprint(X509* cert);

}  // namespace tandem
