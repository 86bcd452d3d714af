#include "tls/keystore.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "tls/openssl_errors.h"

namespace tandem {
namespace {

X509Ptr Own(X509* cert) { return X509Ptr(cert, X509_free); }
KeyPtr Own(EVP_PKEY* key) { return KeyPtr(key, EVP_PKEY_free); }

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

Result<BioPtr> OpenFile(const std::string& path, const std::string& what) {
  BioPtr bio(BIO_new_file(path.c_str(), "rb"), BIO_free);
  if (!bio) {
    ERR_clear_error();
    return Status::InvalidArgument(what + ": cannot read '" + path + "': " + std::strerror(errno));
  }
  return bio;
}

// PEM reads ask this for a password instead of prompting on a terminal.
int PasswordCallback(char* buf, int size, int, void* user) {
  const auto* password = static_cast<const std::string*>(user);
  if (password == nullptr || password->empty()) return 0;
  int n = std::min(size, static_cast<int>(password->size()));
  std::memcpy(buf, password->data(), static_cast<size_t>(n));
  return n;
}

Result<std::vector<X509Ptr>> ReadPemCertificates(BIO* bio) {
  std::vector<X509Ptr> certs;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, PasswordCallback, nullptr)) {
    certs.push_back(Own(cert));
  }
  // The loop ends on "no start line" at the end of the file: not an error.
  ERR_clear_error();
  return certs;
}

Status CheckKeyMatches(const TlsIdentity& id, const std::string& where) {
  if (X509_check_private_key(id.cert.get(), id.key.get()) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument(where + ": the private key does not belong to the certificate");
  }
  return Status::Ok();
}

Result<TlsIdentity> LoadPkcs12(const std::string& path, const std::string& password,
                               const std::string& what) {
  ASSIGN_OR_RETURN(BioPtr bio, OpenFile(path, what));
  std::unique_ptr<PKCS12, decltype(&PKCS12_free)> p12(d2i_PKCS12_bio(bio.get(), nullptr),
                                                      PKCS12_free);
  if (!p12) {
    std::string detail = TakeOpenSslErrors();
    return Status::InvalidArgument(what + ": '" + path + "' is not a PKCS#12 keystore (" + detail +
                                   "); a Java keystore (.jks) must be converted first, see "
                                   "docs/tls.md");
  }
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* ca = nullptr;
  if (PKCS12_parse(p12.get(), password.c_str(), &key, &cert, &ca) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument(what + ": cannot open the PKCS#12 keystore '" + path +
                                   "': wrong password, or a format this OpenSSL cannot read; "
                                   "check the keystore password setting");
  }
  TlsIdentity id{Own(cert), Own(key), {}};
  for (int i = 0; ca != nullptr && i < sk_X509_num(ca); ++i) {
    id.chain.push_back(Own(sk_X509_value(ca, i)));
  }
  sk_X509_free(ca);  // the certificates are owned by `chain` now
  if (!id.cert || !id.key) {
    return Status::InvalidArgument(what + ": the PKCS#12 keystore '" + path +
                                   "' needs one certificate with its private key");
  }
  RETURN_IF_ERROR(CheckKeyMatches(id, what + " '" + path + "'"));
  return id;
}

Result<KeyPtr> ReadPemKey(BIO* bio, const std::string& password, const std::string& where) {
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, PasswordCallback,
                                          const_cast<std::string*>(&password));
  if (key == nullptr) {
    ERR_clear_error();
    return Status::InvalidArgument(where + " holds no private key that can be read (an encrypted "
                                   "key needs its password)");
  }
  return Own(key);
}

Result<TlsIdentity> LoadPemKeystore(const std::string& path, const std::string& password,
                                    const std::string& what) {
  std::string where = what + ": '" + path + "'";
  ASSIGN_OR_RETURN(BioPtr certs_bio, OpenFile(path, what));
  ASSIGN_OR_RETURN(std::vector<X509Ptr> certs, ReadPemCertificates(certs_bio.get()));
  if (certs.empty()) return Status::InvalidArgument(where + " holds no PEM certificate");
  ASSIGN_OR_RETURN(BioPtr key_bio, OpenFile(path, what));
  ASSIGN_OR_RETURN(KeyPtr key, ReadPemKey(key_bio.get(), password, where));
  TlsIdentity id{certs[0], key, {certs.begin() + 1, certs.end()}};
  RETURN_IF_ERROR(CheckKeyMatches(id, where));
  return id;
}

}  // namespace

Result<KeystoreType> ParseKeystoreType(const std::string& text, const std::string& key) {
  std::string upper;
  for (char c : text) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (upper == "PKCS12" || upper == "P12" || upper == "PFX") return KeystoreType::kPkcs12;
  if (upper == "PEM") return KeystoreType::kPem;
  if (upper == "JKS" || upper == "JCEKS") {
    return Status::InvalidArgument(
        "'" + key + "' = " + text +
        ": Java keystores are not supported; convert it to PKCS#12 with "
        "'keytool -importkeystore -srckeystore FILE.jks -destkeystore FILE.p12 "
        "-deststoretype PKCS12' and set " + key + " = PKCS12 with the .p12 file as the path");
  }
  return Status::InvalidArgument("'" + key + "' must be PKCS12 or PEM, got '" + text + "'");
}

Result<TlsIdentity> LoadKeystore(KeystoreType type, const std::string& path,
                                 const std::string& password, const std::string& what) {
  if (type == KeystoreType::kPkcs12) return LoadPkcs12(path, password, what);
  return LoadPemKeystore(path, password, what);
}

Result<TlsIdentity> LoadPemPair(const std::string& cert_path, const std::string& key_path) {
  const std::string cert_what = "server.tls-cert (--tls-cert)";
  const std::string key_what = "server.tls-key (--tls-key)";
  ASSIGN_OR_RETURN(BioPtr certs_bio, OpenFile(cert_path, cert_what));
  ASSIGN_OR_RETURN(std::vector<X509Ptr> certs, ReadPemCertificates(certs_bio.get()));
  if (certs.empty()) {
    return Status::InvalidArgument(cert_what + ": '" + cert_path + "' holds no PEM certificate");
  }
  ASSIGN_OR_RETURN(BioPtr key_bio, OpenFile(key_path, key_what));
  ASSIGN_OR_RETURN(KeyPtr key, ReadPemKey(key_bio.get(), "", key_what + ": '" + key_path + "'"));
  TlsIdentity id{certs[0], key, {certs.begin() + 1, certs.end()}};
  RETURN_IF_ERROR(CheckKeyMatches(id, key_what + ": '" + key_path + "'"));
  return id;
}

Result<std::vector<X509Ptr>> LoadCaCertificates(const std::string& path, const std::string& what) {
  ASSIGN_OR_RETURN(BioPtr bio, OpenFile(path, what));
  ASSIGN_OR_RETURN(std::vector<X509Ptr> certs, ReadPemCertificates(bio.get()));
  if (certs.empty()) {
    return Status::InvalidArgument(what + ": '" + path + "' holds no PEM certificate");
  }
  return certs;
}

std::string CommonName(X509* cert) {
  X509_NAME* name = X509_get_subject_name(cert);
  int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (i < 0) return "";
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, data);
  if (n < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

std::string Sha256Fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert, EVP_sha256(), md, &n) != 1) return "";
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

}  // namespace tandem
