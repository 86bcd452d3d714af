#include "tls/test_certificates.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "tls/openssl_errors.h"

namespace tandem::testing {
namespace {

void Check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("test certificate: " + what + ": " + TakeOpenSslErrors());
}

KeyPtr NewKey() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  Check(key != nullptr, "key generation");
  return KeyPtr(key, EVP_PKEY_free);
}

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  Check(ext != nullptr, "extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509Ptr NewCertificate(const std::string& common_name, EVP_PKEY* key, long from_days,
                       long until_days) {
  X509Ptr cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  Check(RAND_bytes(serial, sizeof serial) == 1, "serial");
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), from_days * 86400);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), until_days * 86400);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Tandem tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  X509_set_pubkey(cert.get(), key);
  return cert;
}

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
BioPtr WriteFile(const std::string& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "wb"), BIO_free);
  Check(bio != nullptr, "cannot write " + path);
  return bio;
}

}  // namespace

TestCa MakeTestCa(const std::string& common_name) {
  KeyPtr key = NewKey();
  X509Ptr cert = NewCertificate(common_name, key.get(), -1, 365);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  AddExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  Check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "signing the CA");
  return {cert, key};
}

TlsIdentity MakeTestCertificate(const TestCa& ca, const CertificateSpec& spec) {
  KeyPtr key = NewKey();
  X509Ptr cert = NewCertificate(spec.common_name, key.get(), spec.valid_from_days,
                                spec.valid_until_days);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.cert.get()));
  AddExtension(cert.get(), ca.cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(cert.get(), ca.cert.get(), NID_key_usage, "critical,digitalSignature");
  AddExtension(cert.get(), ca.cert.get(), NID_ext_key_usage,
               spec.client ? "clientAuth" : "serverAuth");
  AddExtension(cert.get(), ca.cert.get(), NID_authority_key_identifier, "keyid:always");
  std::string san;
  for (const auto& d : spec.dns_names) san += (san.empty() ? "" : ",") + ("DNS:" + d);
  for (const auto& ip : spec.ip_addresses) san += (san.empty() ? "" : ",") + ("IP:" + ip);
  if (!san.empty()) AddExtension(cert.get(), ca.cert.get(), NID_subject_alt_name, san);
  Check(X509_sign(cert.get(), ca.key.get(), EVP_sha256()) > 0, "signing");
  return {cert, key, {}};
}

void WritePemCertificate(const std::string& path, X509* cert) {
  BioPtr bio = WriteFile(path);
  Check(PEM_write_bio_X509(bio.get(), cert) == 1, "writing " + path);
}

void WritePemKey(const std::string& path, EVP_PKEY* key, const std::string& password) {
  BioPtr bio = WriteFile(path);
  const EVP_CIPHER* cipher = password.empty() ? nullptr : EVP_aes_256_cbc();
  Check(PEM_write_bio_PKCS8PrivateKey(bio.get(), key, cipher, password.c_str(),
                                      static_cast<int>(password.size()), nullptr, nullptr) == 1,
        "writing " + path);
}

void WritePemKeystore(const std::string& path, const TlsIdentity& id, const std::string& password) {
  BioPtr bio = WriteFile(path);
  Check(PEM_write_bio_X509(bio.get(), id.cert.get()) == 1, "writing " + path);
  const EVP_CIPHER* cipher = password.empty() ? nullptr : EVP_aes_256_cbc();
  Check(PEM_write_bio_PKCS8PrivateKey(bio.get(), id.key.get(), cipher, password.c_str(),
                                      static_cast<int>(password.size()), nullptr, nullptr) == 1,
        "writing " + path);
}

void WritePkcs12(const std::string& path, const TlsIdentity& id, const std::string& password) {
  STACK_OF(X509)* chain = sk_X509_new_null();
  for (const auto& c : id.chain) sk_X509_push(chain, c.get());
  PKCS12* p12 = PKCS12_create(password.c_str(), "tandem", id.key.get(), id.cert.get(), chain, 0,
                              0, 0, 0, 0);
  sk_X509_free(chain);
  Check(p12 != nullptr, "PKCS12_create");
  BioPtr bio = WriteFile(path);
  bool ok = i2d_PKCS12_bio(bio.get(), p12) == 1;
  PKCS12_free(p12);
  Check(ok, "writing " + path);
}

}  // namespace tandem::testing
