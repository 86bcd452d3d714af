#include "server/tls_settings.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/ids.h"
#include "server/server_settings.h"
#include "tls/test_certificates.h"

namespace tandem {
namespace {

class TlsSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem-tls-conf-" + RandomHex(6));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string Write(const std::string& text) {
    std::ofstream(Path("application.conf")) << text;
    return Path("application.conf");
  }
  Result<ServerSettings> Load(const std::string& text, const SettingsOverrides& overrides = {}) {
    warnings_.clear();
    return LoadServerSettings(Write(text), overrides, warnings_);
  }
  // The message of a refused configuration ("" when it was accepted).
  std::string Refusal(const std::string& text, const SettingsOverrides& overrides = {}) {
    auto s = Load(text, overrides);
    return s.ok() ? "" : s.status().message();
  }

  std::filesystem::path dir_;
  std::vector<std::string> warnings_;
};

constexpr char kListener[] =
    "server { https-port = 0, tls-cert = c.pem, tls-key = k.pem }\n";

TEST_F(TlsSettingsTest, ReadsEveryKey) {
  auto s = Load(
      "server {\n"
      "  port = -1\n"
      "  https-port = 8443\n"
      "  tls-keystore = /etc/tandem/server.p12\n"
      "  tls-keystore-password = \"s3cret\"\n"
      "  tls-client-ca = /etc/tandem/clients.pem\n"
      "  tls-client-users { \"target-b.example\" = mirror\n"
      "    \"sha256:AB:CD:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:"
      "ab:cd:ef:01:23:45:67:89\" = auditor }\n"
      "}\n"
      "esi.server.sync.tls-enabled = true\n"
      "esi.server.sync.require-client-certificate = true\n"
      "twc.client.tls = true\n"
      "twc.client.keystore.type = PEM\n"
      "twc.client.keystore.path = /etc/tandem/client.pem\n"
      "twc.client.keystore.password = \"k3y\"\n"
      "twc.client.truststore.path = /etc/tandem/ca.pem\n");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(warnings_.empty());
  EXPECT_EQ(s->port, -1);
  const TlsSettings& t = s->tls;
  EXPECT_EQ(t.https_port, 8443);
  EXPECT_EQ(t.keystore_file, "/etc/tandem/server.p12");
  EXPECT_EQ(t.keystore_password, "s3cret");
  EXPECT_EQ(t.client_ca_file, "/etc/tandem/clients.pem");
  ASSERT_EQ(t.client_users.size(), 2u);
  EXPECT_EQ(t.client_users.at("target-b.example"), "mirror");
  EXPECT_EQ(t.client_users.at("sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"),
            "auditor");
  EXPECT_TRUE(t.sync_tls_only);
  EXPECT_TRUE(t.sync_require_client_cert);
  EXPECT_TRUE(t.client_tls);
  EXPECT_TRUE(t.OutgoingRequiresTls());
  EXPECT_EQ(t.client_keystore_type, "PEM");
  EXPECT_EQ(t.client_keystore_path, "/etc/tandem/client.pem");
  EXPECT_EQ(t.client_keystore_password, "k3y");
  EXPECT_EQ(t.client_truststore_path, "/etc/tandem/ca.pem");
}

TEST_F(TlsSettingsTest, FlagsAndEnvironmentWin) {
  SettingsOverrides o;
  o.tls.https_port = 0;
  o.tls.keystore_file = "/tmp/other.p12";
  o.tls.keystore_password = "from-env";
  auto s = Load("server { https-port = 9443, tls-keystore = a.p12, tls-keystore-password = x }\n", o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->tls.https_port, 0);
  EXPECT_EQ(s->tls.keystore_file, "/tmp/other.p12");
  EXPECT_EQ(s->tls.keystore_password, "from-env");
  EXPECT_FALSE(s->tls.OutgoingRequiresTls());
}

TEST_F(TlsSettingsTest, RefusesSettingsThatDoNotFit) {
  EXPECT_NE(Refusal("server.port = -1\n").find("nothing to listen on"), std::string::npos);
  EXPECT_NE(Refusal("server.https-port = 0\n").find("needs a certificate"), std::string::npos);
  EXPECT_NE(Refusal("server { https-port = 0, tls-cert = c.pem }\n").find("--tls-cert needs --tls-key"),
            std::string::npos);
  EXPECT_NE(Refusal(std::string(kListener) + "server.tls-keystore = s.p12\n").find("not both"),
            std::string::npos);
  EXPECT_NE(Refusal("server.https-port = -2\n").find("https-port"), std::string::npos);
  EXPECT_NE(Refusal("server.https-port = 70000\n").find("https-port"), std::string::npos);
  // Asking for TLS without a listener to serve it is refused, never ignored.
  std::string no_listener = Refusal("esi.server.sync.tls-enabled = true\n");
  EXPECT_NE(no_listener.find("esi.server.sync.tls-enabled = true needs the HTTPS listener"),
            std::string::npos);
  EXPECT_NE(Refusal("server.tls-cert = c.pem\n").find("needs the HTTPS listener"), std::string::npos);
  EXPECT_NE(Refusal(std::string(kListener) + "esi.server.sync.require-client-certificate = true\n")
                .find("needs server.tls-client-ca"),
            std::string::npos);
  EXPECT_NE(Refusal(std::string(kListener) + "server.tls-client-users.x = mirror\n")
                .find("needs server.tls-client-ca"),
            std::string::npos);
  EXPECT_NE(Refusal(std::string(kListener) + "server.tls-client-users.\"sha256:abc\" = mirror\n")
                .find("not a SHA-256 fingerprint"),
            std::string::npos);
  EXPECT_NE(Refusal("esi.server.sync.tls-enabled = maybe\n").find("esi.server.sync.tls-enabled"),
            std::string::npos);
  EXPECT_NE(Refusal("twc.client.keystore.password = p\n").find("twc.client.keystore.path"),
            std::string::npos);
  EXPECT_NE(Refusal("twc.client.keystore.type = DER\n").find("PKCS12 or PEM"), std::string::npos);
}

TEST_F(TlsSettingsTest, JksIsRefusedWithTheConversion) {
  std::string refusal = Refusal("twc.client.keystore.type = JKS\n"
                                "twc.client.keystore.path = /etc/tandem/client.jks\n"
                                "twc.client.keystore.password = \"changeit\"\n");
  EXPECT_NE(refusal.find("Java keystores are not supported"), std::string::npos);
  EXPECT_NE(refusal.find("keytool -importkeystore"), std::string::npos);
  EXPECT_EQ(refusal.find("changeit"), std::string::npos) << "a password in a message";
}

TEST_F(TlsSettingsTest, LoadsTheNamedCertificates) {
  testing::TestCa ca = testing::MakeTestCa("Settings CA");
  TlsIdentity server = testing::MakeTestCertificate(ca, {"localhost", {"localhost"}, {}});
  TlsIdentity client = testing::MakeTestCertificate(ca, {"target", {}, {}, -1, 30, true});
  testing::WritePemCertificate(Path("server.crt"), server.cert.get());
  testing::WritePemKey(Path("server.key"), server.key.get());
  testing::WritePemCertificate(Path("ca.pem"), ca.cert.get());
  testing::WritePkcs12(Path("client.p12"), client, "pw");
  TlsSettings s;
  s.https_port = 0;
  s.cert_file = Path("server.crt");
  s.key_file = Path("server.key");
  s.client_ca_file = Path("ca.pem");
  s.client_keystore_path = Path("client.p12");
  s.client_keystore_password = "pw";
  s.client_truststore_path = Path("ca.pem");
  auto m = LoadTlsMaterial(s);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_TRUE(m->listener.has_value());
  EXPECT_EQ(CommonName(m->listener->identity.cert.get()), "localhost");
  EXPECT_EQ(m->listener->client_cas.size(), 1u);
  ASSERT_TRUE(m->client.identity.has_value());
  EXPECT_EQ(CommonName(m->client.identity->cert.get()), "target");
  EXPECT_EQ(m->client.extra_cas.size(), 1u);

  s.client_keystore_password = "wrong";
  auto wrong = LoadTlsMaterial(s);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("twc.client.keystore.path"), std::string::npos);
  s.client_keystore_password = "pw";
  s.key_file = Path("missing.key");
  EXPECT_FALSE(LoadTlsMaterial(s).ok());
}

}  // namespace
}  // namespace tandem
