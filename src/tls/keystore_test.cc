#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <filesystem>
#include <fstream>

#include "common/ids.h"
#include "tls/keystore.h"
#include "tls/test_certificates.h"
#include "tls/tls_context.h"

namespace tandem {
namespace {

using testing::CertificateSpec;
using testing::MakeTestCa;
using testing::MakeTestCertificate;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem-tls-" + RandomHex(6));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) { return (dir_ / name).string(); }

  std::filesystem::path dir_;
  testing::TestCa ca_ = MakeTestCa("Test CA");
};

using CtxPtr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;
using SslPtr = std::unique_ptr<SSL, decltype(&SSL_free)>;

struct Handshake {
  bool ok = false;
  long client_verify = X509_V_OK;
  PeerCertificate client_seen_by_server;
};

// A TLS handshake between two contexts over an in-memory BIO pair.
Handshake Connect(const TlsServerMaterial& server, const TlsClientMaterial& client,
                  const std::string& host) {
  CtxPtr sctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  CtxPtr cctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  EXPECT_TRUE(ConfigureServerContext(*sctx, server).ok());
  EXPECT_TRUE(ConfigureClientContext(*cctx, client, host).ok());
  SslPtr s(SSL_new(sctx.get()), SSL_free), c(SSL_new(cctx.get()), SSL_free);
  BIO *sb = nullptr, *cb = nullptr;
  BIO_new_bio_pair(&sb, 0, &cb, 0);
  SSL_set_bio(s.get(), sb, sb);
  SSL_set_bio(c.get(), cb, cb);
  SSL_set_accept_state(s.get());
  SSL_set_connect_state(c.get());
  Handshake h;
  bool s_done = false, c_done = false;
  for (int i = 0; i < 100 && !(s_done && c_done); ++i) {
    if (!c_done) {
      int r = SSL_do_handshake(c.get());
      if (r == 1) c_done = true;
      else if (SSL_get_error(c.get(), r) != SSL_ERROR_WANT_READ) break;
    }
    if (!s_done) {
      int r = SSL_do_handshake(s.get());
      if (r == 1) s_done = true;
      else if (SSL_get_error(s.get(), r) != SSL_ERROR_WANT_READ) break;
    }
  }
  ERR_clear_error();
  h.ok = s_done && c_done;
  h.client_verify = SSL_get_verify_result(c.get());
  h.client_seen_by_server = PeerOf(s.get());
  return h;
}

TEST_F(TlsTest, VerifiesChainAndHostName) {
  TlsServerMaterial server{MakeTestCertificate(ca_, {"localhost", {"localhost"}, {"127.0.0.1"}}), {}};
  TlsClientMaterial trusting{std::nullopt, {ca_.cert}};
  EXPECT_TRUE(Connect(server, trusting, "127.0.0.1").ok);
  EXPECT_TRUE(Connect(server, trusting, "localhost").ok);

  Handshake mismatch = Connect(server, trusting, "other.example");
  EXPECT_FALSE(mismatch.ok);
  EXPECT_EQ(mismatch.client_verify, X509_V_ERR_HOSTNAME_MISMATCH);
  EXPECT_NE(DescribeVerifyFailure(mismatch.client_verify).find("host name mismatch"),
            std::string::npos);

  Handshake unknown = Connect(server, TlsClientMaterial{std::nullopt, {MakeTestCa("Other").cert}},
                              "127.0.0.1");
  EXPECT_FALSE(unknown.ok);
  EXPECT_NE(DescribeVerifyFailure(unknown.client_verify).find("unknown CA"), std::string::npos);
}

TEST_F(TlsTest, ExpiredCertificateIsRefused) {
  CertificateSpec spec{"localhost", {"localhost"}, {"127.0.0.1"}, -30, -1, false};
  TlsServerMaterial server{MakeTestCertificate(ca_, spec), {}};
  Handshake h = Connect(server, TlsClientMaterial{std::nullopt, {ca_.cert}}, "127.0.0.1");
  EXPECT_FALSE(h.ok);
  EXPECT_EQ(h.client_verify, X509_V_ERR_CERT_HAS_EXPIRED);
  EXPECT_NE(DescribeVerifyFailure(h.client_verify).find("expired"), std::string::npos);
}

TEST_F(TlsTest, ClientCertificateIsCheckedAgainstClientCas) {
  TlsServerMaterial server{MakeTestCertificate(ca_, {"localhost", {"localhost"}, {}}), {ca_.cert}};
  TlsIdentity good = MakeTestCertificate(ca_, {"target-b", {}, {}, -1, 30, true});
  Handshake with = Connect(server, TlsClientMaterial{good, {ca_.cert}}, "localhost");
  ASSERT_TRUE(with.ok);
  EXPECT_TRUE(with.client_seen_by_server.present);
  EXPECT_TRUE(with.client_seen_by_server.verified);
  EXPECT_EQ(with.client_seen_by_server.common_name, "target-b");
  EXPECT_EQ(with.client_seen_by_server.sha256, Sha256Fingerprint(good.cert.get()));

  Handshake without = Connect(server, TlsClientMaterial{std::nullopt, {ca_.cert}}, "localhost");
  ASSERT_TRUE(without.ok);  // refused per endpoint, not in the handshake
  EXPECT_FALSE(without.client_seen_by_server.present);

  testing::TestCa rogue = MakeTestCa("Rogue CA");
  TlsIdentity foreign = MakeTestCertificate(rogue, {"target-b", {}, {}, -1, 30, true});
  Handshake untrusted = Connect(server, TlsClientMaterial{foreign, {ca_.cert}}, "localhost");
  ASSERT_TRUE(untrusted.ok);
  EXPECT_TRUE(untrusted.client_seen_by_server.present);
  EXPECT_FALSE(untrusted.client_seen_by_server.verified);
}

TEST_F(TlsTest, Tls12AtLeastWithAeadCiphersOnly) {
  TlsServerMaterial server{MakeTestCertificate(ca_, {"localhost", {"localhost"}, {}}), {}};
  for (bool is_server : {true, false}) {
    CtxPtr ctx(SSL_CTX_new(is_server ? TLS_server_method() : TLS_client_method()), SSL_CTX_free);
    Status st = is_server ? ConfigureServerContext(*ctx, server)
                          : ConfigureClientContext(*ctx, TlsClientMaterial{}, "localhost");
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx.get()), TLS1_2_VERSION);
    STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(ctx.get());
    ASSERT_GT(sk_SSL_CIPHER_num(ciphers), 0);
    for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
      const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
      EXPECT_TRUE(SSL_CIPHER_is_aead(c)) << SSL_CIPHER_get_name(c);
      EXPECT_NE(SSL_CIPHER_get_kx_nid(c), NID_kx_rsa) << SSL_CIPHER_get_name(c);  // forward secrecy
    }
  }
}

TEST_F(TlsTest, WarnsAboutCertificatesThatExpireSoon) {
  TlsIdentity fresh = MakeTestCertificate(ca_, {"a", {"a"}, {}, -1, 365, false});
  TlsIdentity soon = MakeTestCertificate(ca_, {"b", {"b"}, {}, -1, 10, false});
  TlsIdentity gone = MakeTestCertificate(ca_, {"c", {"c"}, {}, -30, -2, false});
  EXPECT_FALSE(ExpiryWarning(fresh.cert.get(), "server.tls-cert", 30).has_value());
  auto w = ExpiryWarning(soon.cert.get(), "server.tls-cert", 30);
  ASSERT_TRUE(w.has_value());
  EXPECT_NE(w->find("server.tls-cert expires on"), std::string::npos) << *w;
  EXPECT_NE(w->find(" days); renew it"), std::string::npos) << *w;
  auto expired = ExpiryWarning(gone.cert.get(), "twc.client.keystore.path", 30);
  ASSERT_TRUE(expired.has_value());
  EXPECT_NE(expired->find("expired on"), std::string::npos) << *expired;
}

TEST_F(TlsTest, LoadsPkcs12AndPemKeystores) {
  TlsIdentity id = MakeTestCertificate(ca_, {"target-b", {}, {}, -1, 30, true});
  testing::WritePkcs12(Path("client.p12"), id, "store-pass");
  auto p12 = LoadKeystore(KeystoreType::kPkcs12, Path("client.p12"), "store-pass", "k");
  ASSERT_TRUE(p12.ok()) << p12.status().ToString();
  EXPECT_EQ(CommonName(p12->cert.get()), "target-b");

  auto wrong = LoadKeystore(KeystoreType::kPkcs12, Path("client.p12"), "guess", "k");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("wrong password"), std::string::npos);
  EXPECT_EQ(wrong.status().message().find("guess"), std::string::npos);

  testing::WritePemKeystore(Path("client.pem"), id, "pem-pass");
  auto pem = LoadKeystore(KeystoreType::kPem, Path("client.pem"), "pem-pass", "k");
  ASSERT_TRUE(pem.ok()) << pem.status().ToString();
  EXPECT_EQ(Sha256Fingerprint(pem->cert.get()), Sha256Fingerprint(id.cert.get()));
  EXPECT_FALSE(LoadKeystore(KeystoreType::kPem, Path("client.pem"), "", "k").ok());

  // A PEM file read as PKCS#12 and a missing file are refused with their path.
  auto as_p12 = LoadKeystore(KeystoreType::kPkcs12, Path("client.pem"), "pem-pass", "k");
  ASSERT_FALSE(as_p12.ok());
  EXPECT_NE(as_p12.status().message().find("not a PKCS#12 keystore"), std::string::npos);
  auto missing = LoadKeystore(KeystoreType::kPem, Path("none.pem"), "", "k");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("none.pem"), std::string::npos);
}

TEST_F(TlsTest, PemPairMustMatch) {
  TlsIdentity a = MakeTestCertificate(ca_, {"a", {"a"}, {}});
  TlsIdentity b = MakeTestCertificate(ca_, {"b", {"b"}, {}});
  testing::WritePemCertificate(Path("a.crt"), a.cert.get());
  testing::WritePemKey(Path("a.key"), a.key.get());
  testing::WritePemKey(Path("b.key"), b.key.get());
  EXPECT_TRUE(LoadPemPair(Path("a.crt"), Path("a.key")).ok());
  auto mixed = LoadPemPair(Path("a.crt"), Path("b.key"));
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("does not belong"), std::string::npos);
  EXPECT_FALSE(LoadCaCertificates(Path("a.key"), "truststore").ok());
  EXPECT_TRUE(LoadCaCertificates(Path("a.crt"), "truststore").ok());
}

TEST_F(TlsTest, KeystoreTypes) {
  EXPECT_EQ(*ParseKeystoreType("pkcs12", "t"), KeystoreType::kPkcs12);
  EXPECT_EQ(*ParseKeystoreType("PEM", "t"), KeystoreType::kPem);
  auto jks = ParseKeystoreType("JKS", "twc.client.keystore.type");
  ASSERT_FALSE(jks.ok());
  EXPECT_NE(jks.status().message().find("keytool -importkeystore"), std::string::npos);
  EXPECT_NE(jks.status().message().find("twc.client.keystore.type"), std::string::npos);
  EXPECT_FALSE(ParseKeystoreType("DER", "t").ok());
}

}  // namespace
}  // namespace tandem
