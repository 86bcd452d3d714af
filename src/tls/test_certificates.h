// Certificates made on the fly for tests: a CA, server and client
// certificates signed by it (valid, expired, for another host name), written
// as PEM files or PKCS#12 keystores. For tests only; throws
// std::runtime_error when OpenSSL fails. Thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "tls/keystore.h"

namespace tandem::testing {

struct TestCa {
  X509Ptr cert;
  KeyPtr key;
};
TestCa MakeTestCa(const std::string& common_name);

struct CertificateSpec {
  std::string common_name;
  std::vector<std::string> dns_names;     // subjectAltName DNS entries
  std::vector<std::string> ip_addresses;  // subjectAltName IP entries
  long valid_from_days = -1;              // relative to now
  long valid_until_days = 30;             // negative: already expired
  bool client = false;                    // clientAuth instead of serverAuth
};
// A certificate signed by `ca`; its `chain` is empty (the CA is the issuer).
TlsIdentity MakeTestCertificate(const TestCa& ca, const CertificateSpec& spec);

void WritePemCertificate(const std::string& path, X509* cert);
// Unencrypted PKCS#8 PEM; with a password, encrypted with AES-256.
void WritePemKey(const std::string& path, EVP_PKEY* key, const std::string& password = "");
// Certificate first, then the key, in one file (a PEM keystore).
void WritePemKeystore(const std::string& path, const TlsIdentity& id, const std::string& password);
void WritePkcs12(const std::string& path, const TlsIdentity& id, const std::string& password);

}  // namespace tandem::testing
