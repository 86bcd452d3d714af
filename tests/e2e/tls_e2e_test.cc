// End-to-end tests of TLS between real tandem-server processes, with
// certificates made in the test (tls/test_certificates.h): synchronization over
// TLS, plain requests to TLS-only endpoints refused, verification failures
// (unknown CA, host name mismatch, expired) refused with their reason at
// configuration time and in a configuration's status, mutual TLS with and
// without a client certificate, client certificates as accounts, JKS refused
// at start-up, a PKCS#12 server keystore, the commit trigger following a
// TLS-only source, and multi-hop over TLS with an HTTPS-only server.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "tests/e2e/e2e_util.h"
#include "tls/keystore.h"
#include "tls/test_certificates.h"

namespace tandem::e2e {
namespace {

using tandem::testing::CertificateSpec;
using tandem::testing::MakeTestCa;
using tandem::testing::MakeTestCertificate;
using tandem::testing::TestCa;

class TlsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { tandem::testing::WritePemCertificate(CaFile(), ca_.cert.get()); }

  std::string CaFile() const { return dir_.Sub("ca.pem"); }

  // Writes a server certificate for 127.0.0.1 and localhost (unless `spec`
  // says otherwise) signed by `ca`; returns the flags that serve it.
  std::vector<std::string> Listener(const std::string& name, const TestCa& ca,
                                    CertificateSpec spec = {"localhost", {"localhost"}, {"127.0.0.1"}},
                                    int https_port = 0) {
    TlsIdentity id = MakeTestCertificate(ca, spec);
    tandem::testing::WritePemCertificate(dir_.Sub(name + ".crt"), id.cert.get());
    tandem::testing::WritePemKey(dir_.Sub(name + ".key"), id.key.get());
    return {"--https-port", std::to_string(https_port), "--tls-cert", dir_.Sub(name + ".crt"),
            "--tls-key", dir_.Sub(name + ".key")};
  }
  std::vector<std::string> Listener(const std::string& name) { return Listener(name, ca_); }

  std::unique_ptr<ServerProcess> Start(const std::string& name, const std::string& conf,
                                       std::vector<std::string> args, int port = 0) {
    std::string path = dir_.Sub(name + ".conf");
    std::ofstream(path) << "sync.reconcile-seconds = 3600\n" << conf;
    args.insert(args.begin(), {"--config", path});
    return ServerProcess::Start({dir_.Sub(name), args, "admin-password-1", port});
  }
  // Settings of a target that trusts the test CA.
  std::string Trusting() const { return "twc.client.truststore.path = \"" + CaFile() + "\"\n"; }

  static std::string HttpsUrl(const ServerProcess& s) {
    return "https://127.0.0.1:" + std::to_string(s.https_port());
  }
  static std::string Root(httplib::Client& c) {
    return BodyJson(c.Get("/api/v1/server"))["rootCategoryId"];
  }
  static void AddReader(httplib::Client& source) {
    auto r = PostJson(source, "/api/v1/users",
                      {{"name", "puller"}, {"password", "puller-password"}, {"role", "reader"}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
  }
  // A project with one commit of the real model; returns its id.
  static std::string Model(httplib::Client& c, const std::string& name) {
    std::string rid = CreateProject(c, name);
    auto r = PostJson(c, "/sysml/v2/projects/" + rid + "/commits", RealModel());
    EXPECT_EQ(r->status, 201) << r->body;
    return rid;
  }
  static Json Config(const std::string& url, const std::string& rid, const std::string& category,
                     const std::string& name = "tls") {
    return {{"name", name},
            {"source", {{"url", url}, {"username", "puller"}, {"password", "puller-password"}}},
            {"resources", {rid}},
            {"targetCategoryId", category},
            {"trigger", {{"type", "manual"}}}};
  }
  static Json SyncNow(httplib::Client& target, const std::string& config) {
    auto r = target.Post("/api/v1/remote-configs/" + config + "/sync?wait=true", "",
                         "application/json");
    EXPECT_TRUE(r);
    if (!r) return nullptr;
    EXPECT_EQ(r->status, 200) << r->body;
    return BodyJson(r);
  }
  static std::string Head(httplib::Client& c, const std::string& rid) {
    Json list = BodyJson(c.Get("/sysml/v2/projects/" + rid + "/branches"));
    if (!list.is_array()) return "";  // not there (yet)
    for (auto& b : list) {
      if (b["name"] == "main" && b["head"].is_object()) return b["head"]["@id"];
    }
    return "";
  }
  // The description of a refused configuration (its 400 body), or the status.
  static std::string Refusal(httplib::Client& target, const Json& config) {
    auto r = PostJson(target, "/api/v1/remote-configs", config);
    if (!r) return "no answer";
    EXPECT_EQ(r->status, 400) << r->body;
    return BodyJson(r).value("description", r->body);
  }

  TempDir dir_;
  TestCa ca_ = MakeTestCa("Tandem test CA");
};

TEST_F(TlsE2eTest, SyncsOverTlsAndRefusesPlainSynchronization) {
  const std::string tls_only = "esi.server.sync.tls-enabled = true\n";
  auto a = Start("a", tls_only, Listener("a"));
  auto b = Start("b", tls_only + Trusting(), Listener("b"));
  auto ca = a->Client(), cb = b->Client();
  AddReader(*ca);
  std::string rid = Model(*ca, "Over TLS");

  // The source refuses synchronization over plain HTTP, naming the setting.
  auto plain = a->Client("puller", "puller-password")->Get("/sync/v1/info");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 403);
  EXPECT_NE(plain->body.find("esi.server.sync.tls-enabled"), std::string::npos) << plain->body;
  EXPECT_NE(plain->body.find(std::to_string(a->https_port())), std::string::npos) << plain->body;
  auto over_tls = a->HttpsClient(CaFile(), "puller", "puller-password")->Get("/sync/v1/info");
  ASSERT_TRUE(over_tls) << httplib::to_string(over_tls.error());
  EXPECT_EQ(over_tls->status, 200) << over_tls->body;

  // The target, TLS-only too, refuses a plain source url before connecting.
  std::string plain_url = "http://127.0.0.1:" + std::to_string(a->port());
  std::string refused = Refusal(*cb, Config(plain_url, rid, Root(*cb)));
  EXPECT_NE(refused.find("only over TLS"), std::string::npos) << refused;
  EXPECT_NE(refused.find("https://HOST:PORT"), std::string::npos) << refused;

  auto created = PostJson(*cb, "/api/v1/remote-configs", Config(HttpsUrl(*a), rid, Root(*cb)));
  ASSERT_EQ(created->status, 201) << created->body;
  Json run = SyncNow(*cb, BodyJson(created)["id"]);
  EXPECT_EQ(run["outcome"], "ok") << run.dump();
  EXPECT_EQ(Head(*cb, rid), Head(*ca, rid));
  EXPECT_FALSE(Head(*cb, rid).empty());
  // The password never reaches the log.
  EXPECT_EQ(b->StderrText().find("puller-password"), std::string::npos);
}

// The Server page of the web administration reads the listeners and the
// certificate's end of validity from GET /api/v1/server.
TEST_F(TlsE2eTest, TheServerDescribesItsListenersAndCertificateExpiry) {
  CertificateSpec spec{"localhost", {"localhost"}, {"127.0.0.1"}};
  spec.valid_until_days = 30;
  auto a = Start("a", "", Listener("a", ca_, spec));
  Json info = BodyJson(a->HttpsClient(CaFile())->Get("/api/v1/server"));
  ASSERT_TRUE(info["listeners"].is_array()) << info.dump();
  bool http = false, https = false;
  for (const auto& l : info["listeners"]) {
    if (l["scheme"] == "http") {
      http = l["port"] == a->port() && !l.contains("certificate");
    } else if (l["scheme"] == "https") {
      https = l["port"] == a->https_port();
      EXPECT_NE(l["certificate"]["subject"].get<std::string>().find("CN=localhost"),
                std::string::npos)
          << l.dump();
      int64_t days = l["certificate"]["daysLeft"];
      EXPECT_TRUE(days == 29 || days == 30) << l.dump();
      EXPECT_TRUE(l["certificate"]["expires"].is_string());
    }
  }
  EXPECT_TRUE(http && https) << info.dump();
}

TEST_F(TlsE2eTest, TheCommitTriggerFollowsATlsOnlySource) {
  // The change-feed watcher reaches the source through the same TLS settings.
  auto a = Start("a", "esi.server.sync.tls-enabled = true\n", Listener("a"), -1);
  auto b = Start("b", "twc.client.tls = true\n" + Trusting(), {});
  auto ca = a->HttpsClient(CaFile()), cb = b->Client();
  AddReader(*ca);
  std::string rid = Model(*ca, "Followed");
  Json config = Config(HttpsUrl(*a), rid, Root(*cb));
  config["trigger"] = {{"type", "commit"}};
  auto created = PostJson(*cb, "/api/v1/remote-configs", config);
  ASSERT_EQ(created->status, 201) << created->body;
  ASSERT_TRUE(WaitUntil([&] { return Head(*cb, rid) == Head(*ca, rid); }));
  std::string element = RealModel()["change"][3]["identity"]["@id"];
  auto next = PostJson(*ca, "/sysml/v2/projects/" + rid + "/commits",
                       {{"change", Json::array({Json{{"identity", {{"@id", element}}},
                                                     {"payload", {{"@type", "PartDefinition"},
                                                                  {"name", "changed"}}}}})}});
  ASSERT_EQ(next->status, 201) << next->body;
  std::string want = BodyJson(next)["@id"];
  // Reconciliation is an hour away (sync.reconcile-seconds), so only the feed can bring it.
  EXPECT_TRUE(WaitUntil([&] { return Head(*cb, rid) == want; }))
      << BodyJson(cb->Get("/api/v1/remote-configs")).dump();
}

TEST_F(TlsE2eTest, UnknownCaHostNameMismatchAndExpiredCertificateAreRefused) {
  TestCa other_ca = MakeTestCa("Someone else's CA");
  auto unknown = Start("unknown", "", Listener("unknown", other_ca));
  auto mismatch = Start("mismatch", "", Listener("mismatch", ca_, {"elsewhere", {"elsewhere.example"}, {}}));
  auto expired = Start("expired", "",
                       Listener("expired", ca_, {"localhost", {"localhost"}, {"127.0.0.1"}, -60, -1, false}));
  auto b = Start("b", Trusting(), {});
  auto cb = b->Client();
  for (auto* source : {unknown.get(), mismatch.get(), expired.get()}) AddReader(*source->Client());
  const std::string any = "00000000-0000-4000-8000-000000000000";

  std::string r1 = Refusal(*cb, Config(HttpsUrl(*unknown), any, Root(*cb)));
  EXPECT_NE(r1.find("unknown CA"), std::string::npos) << r1;
  EXPECT_NE(r1.find("twc.client.truststore.path"), std::string::npos) << r1;
  std::string r2 = Refusal(*cb, Config(HttpsUrl(*mismatch), any, Root(*cb)));
  EXPECT_NE(r2.find("host name mismatch"), std::string::npos) << r2;
  std::string r3 = Refusal(*cb, Config(HttpsUrl(*expired), any, Root(*cb)));
  EXPECT_NE(r3.find("certificate has expired"), std::string::npos) << r3;
  EXPECT_TRUE(BodyJson(cb->Get("/api/v1/remote-configs")).empty());
}

TEST_F(TlsE2eTest, AVerificationFailureShowsInTheConfigurationsStatus) {
  auto a = Start("a", "", Listener("a"));
  auto b = Start("b", Trusting(), {});
  auto ca = a->Client(), cb = b->Client();
  AddReader(*ca);
  std::string rid = Model(*ca, "Renewed late");
  auto created = PostJson(*cb, "/api/v1/remote-configs", Config(HttpsUrl(*a), rid, Root(*cb)));
  ASSERT_EQ(created->status, 201) << created->body;
  std::string cfg = BodyJson(created)["id"];
  EXPECT_EQ(SyncNow(*cb, cfg)["outcome"], "ok");

  // The source comes back on the same port with a certificate that has expired.
  int https_port = a->https_port();
  ASSERT_EQ(a->Terminate(), 0);
  a = Start("a", "",
            Listener("a-expired", ca_, {"localhost", {"localhost"}, {"127.0.0.1"}, -60, -1, false},
                     https_port));
  Json run = SyncNow(*cb, cfg);
  EXPECT_EQ(run["outcome"], "error") << run.dump();
  Json status = BodyJson(cb->Get("/api/v1/remote-configs/" + cfg + "/status"));
  std::string message = status["lastError"]["message"];
  EXPECT_NE(message.find("certificate has expired"), std::string::npos) << status.dump();
  EXPECT_NE(message.find("renew"), std::string::npos) << status.dump();
  EXPECT_NE(status["lastError"]["hint"].get<std::string>().find("docs/tls.md"), std::string::npos);
}

TEST_F(TlsE2eTest, MutualTlsNeedsAClientCertificateAndMapsItToAnAccount) {
  std::string conf = "esi.server.sync.tls-enabled = true\n"
                     "esi.server.sync.require-client-certificate = true\n"
                     "server.tls-client-ca = \"" + CaFile() + "\"\n"
                     "server.tls-client-users { \"target-b\" = puller }\n";
  auto a = Start("a", conf, Listener("a"));
  auto ca = a->Client();
  AddReader(*ca);
  std::string rid = Model(*ca, "Mutual");

  // A target without a client certificate is told what to configure.
  auto bare = Start("bare", Trusting(), {});
  auto cbare = bare->Client();
  std::string refused = Refusal(*cbare, Config(HttpsUrl(*a), rid, Root(*cbare)));
  EXPECT_NE(refused.find("requires a client certificate"), std::string::npos) << refused;
  EXPECT_NE(refused.find("twc.client.keystore.path"), std::string::npos) << refused;

  // With the seed's keystore keys (PKCS#12) it synchronizes.
  TlsIdentity client = MakeTestCertificate(ca_, {"target-b", {}, {}, -1, 30, true});
  tandem::testing::WritePkcs12(dir_.Sub("target-b.p12"), client, "keystore-pass");
  auto b = Start("b",
                 "twc.client.tls = true\n"
                 "twc.client.keystore.type = PKCS12\n"
                 "twc.client.keystore.path = \"" + dir_.Sub("target-b.p12") + "\"\n"
                 "twc.client.keystore.password = \"keystore-pass\"\n" + Trusting(),
                 {});
  auto cb = b->Client();
  auto created = PostJson(*cb, "/api/v1/remote-configs", Config(HttpsUrl(*a), rid, Root(*cb)));
  ASSERT_EQ(created->status, 201) << created->body;
  EXPECT_EQ(SyncNow(*cb, BodyJson(created)["id"])["outcome"], "ok");
  EXPECT_EQ(Head(*cb, rid), Head(*ca, rid));
  EXPECT_EQ(b->StderrText().find("keystore-pass"), std::string::npos);

  // The certificate alone authenticates as the user it maps to.
  tandem::testing::WritePemCertificate(dir_.Sub("target-b.crt"), client.cert.get());
  tandem::testing::WritePemKey(dir_.Sub("target-b.key"), client.key.get());
  auto by_cert = a->HttpsClient(CaFile(), "", "", dir_.Sub("target-b.crt"), dir_.Sub("target-b.key"));
  auto info = by_cert->Get("/sync/v1/info");
  ASSERT_TRUE(info) << httplib::to_string(info.error());
  EXPECT_EQ(info->status, 200) << info->body;
  EXPECT_NE(a->StderrText().find("GET /sync/v1/info 200"), std::string::npos);
  // An unmapped certificate authenticates nobody; a password alone is not enough here.
  TlsIdentity stranger = MakeTestCertificate(ca_, {"stranger", {}, {}, -1, 30, true});
  tandem::testing::WritePemCertificate(dir_.Sub("stranger.crt"), stranger.cert.get());
  tandem::testing::WritePemKey(dir_.Sub("stranger.key"), stranger.key.get());
  auto unmapped = a->HttpsClient(CaFile(), "", "", dir_.Sub("stranger.crt"), dir_.Sub("stranger.key"))
                      ->Get("/sync/v1/info");
  ASSERT_TRUE(unmapped);
  EXPECT_EQ(unmapped->status, 401) << unmapped->body;
  auto password_only = a->HttpsClient(CaFile(), "puller", "puller-password")->Get("/sync/v1/info");
  ASSERT_TRUE(password_only);
  EXPECT_EQ(password_only->status, 403) << password_only->body;
  // A certificate from a CA the source does not accept is refused with the reason.
  TestCa rogue = MakeTestCa("Rogue CA");
  TlsIdentity forged = MakeTestCertificate(rogue, {"target-b", {}, {}, -1, 30, true});
  tandem::testing::WritePemCertificate(dir_.Sub("forged.crt"), forged.cert.get());
  tandem::testing::WritePemKey(dir_.Sub("forged.key"), forged.key.get());
  auto untrusted = a->HttpsClient(CaFile(), "puller", "puller-password", dir_.Sub("forged.crt"),
                                  dir_.Sub("forged.key"))
                       ->Get("/sync/v1/info");
  ASSERT_TRUE(untrusted);
  EXPECT_EQ(untrusted->status, 403) << untrusted->body;
  EXPECT_NE(untrusted->body.find("server.tls-client-ca"), std::string::npos) << untrusted->body;
}

TEST_F(TlsE2eTest, ACommonNameSpelledLikeAFingerprintDoesNotClaimThatEntry) {
  // The fingerprint entry names exactly one certificate; another certificate
  // from the same CA whose subject CN is that fingerprint must not match it.
  TlsIdentity owner = MakeTestCertificate(ca_, {"owner", {}, {}, -1, 30, true});
  std::string fingerprint = Sha256Fingerprint(owner.cert.get());
  auto a = Start("a",
                 "server.tls-client-ca = \"" + CaFile() + "\"\n"
                 "server.tls-client-users { \"sha256:" + fingerprint + "\" = puller }\n",
                 Listener("a"));
  AddReader(*a->Client());
  auto as = [&](const TlsIdentity& id, const std::string& name) {
    tandem::testing::WritePemCertificate(dir_.Sub(name + ".crt"), id.cert.get());
    tandem::testing::WritePemKey(dir_.Sub(name + ".key"), id.key.get());
    auto r = a->HttpsClient(CaFile(), "", "", dir_.Sub(name + ".crt"), dir_.Sub(name + ".key"))
                 ->Get("/sync/v1/info");
    return r ? r->status : 0;
  };
  EXPECT_EQ(as(owner, "owner"), 200);
  TlsIdentity impostor = MakeTestCertificate(ca_, {"sha256:" + fingerprint, {}, {}, -1, 30, true});
  EXPECT_EQ(as(impostor, "impostor"), 401);
  TlsIdentity upper = MakeTestCertificate(ca_, {"SHA256:" + fingerprint, {}, {}, -1, 30, true});
  EXPECT_EQ(as(upper, "upper"), 401);
}

TEST_F(TlsE2eTest, JksIsRefusedAtStartUpAndAPkcs12KeystoreServes) {
  std::string conf = dir_.Sub("jks.conf");
  std::ofstream(conf) << "twc.client.keystore.type = JKS\n"
                         "twc.client.keystore.path = /etc/tandem/client.jks\n"
                         "twc.client.keystore.password = \"jks-secret\"\n";
  ProcessResult r = RunProcess({BinaryPath("tools/tandem-server/tandem-server"), "--config", conf,
                                "--data-dir", dir_.Sub("jks"), "--port", "0"},
                               {{"TANDEM_ADMIN_PASSWORD", "admin-password-1"}});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("Java keystores are not supported"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("keytool -importkeystore"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("jks-secret"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("jks")));  // refused before touching data

  // A PKCS#12 server keystore whose password comes from the environment.
  TlsIdentity id = MakeTestCertificate(ca_, {"localhost", {"localhost"}, {"127.0.0.1"}});
  tandem::testing::WritePkcs12(dir_.Sub("server.p12"), id, "p12-secret");
  setenv("TANDEM_TLS_KEYSTORE_PASSWORD", "p12-secret", 1);
  auto s = Start("p12", "", {"--https-port", "0", "--tls-keystore", dir_.Sub("server.p12")});
  unsetenv("TANDEM_TLS_KEYSTORE_PASSWORD");
  auto health = s->HttpsClient(CaFile())->Get("/api/v1/server");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(s->StderrText().find("p12-secret"), std::string::npos);

  // A wrong keystore password stops the server with a message without it.
  setenv("TANDEM_TLS_KEYSTORE_PASSWORD", "wrong-secret", 1);
  ProcessResult wrong = RunProcess({BinaryPath("tools/tandem-server/tandem-server"), "--data-dir",
                                    dir_.Sub("wrong"), "--port", "0", "--https-port", "0",
                                    "--tls-keystore", dir_.Sub("server.p12")});
  unsetenv("TANDEM_TLS_KEYSTORE_PASSWORD");
  EXPECT_EQ(wrong.exit_code, 1) << wrong.err;
  EXPECT_NE(wrong.err.find("wrong password"), std::string::npos) << wrong.err;
  EXPECT_EQ(wrong.err.find("wrong-secret"), std::string::npos) << wrong.err;
}

TEST_F(TlsE2eTest, MultiHopOverTlsWithAnHttpsOnlySource) {
  const std::string tls_only = "esi.server.sync.tls-enabled = true\n";
  auto a = Start("a", tls_only, Listener("a"), -1);  // no plain HTTP at all
  auto b = Start("b", tls_only + Trusting(), Listener("b"));
  auto c = Start("c", tls_only + Trusting(), Listener("c"));
  EXPECT_EQ(a->port(), -1);
  EXPECT_EQ(a->stdout_text().find("listening on http://"), std::string::npos);
  auto ca = a->HttpsClient(CaFile()), cb = b->Client(), cc = c->Client();
  AddReader(*ca);
  AddReader(*cb);
  std::string rid = Model(*ca, "Two hops");
  auto ab = PostJson(*cb, "/api/v1/remote-configs", Config(HttpsUrl(*a), rid, Root(*cb), "a-b"));
  ASSERT_EQ(ab->status, 201) << ab->body;
  EXPECT_EQ(SyncNow(*cb, BodyJson(ab)["id"])["outcome"], "ok");
  auto bc = PostJson(*cc, "/api/v1/remote-configs", Config(HttpsUrl(*b), rid, Root(*cc), "b-c"));
  ASSERT_EQ(bc->status, 201) << bc->body;
  EXPECT_EQ(SyncNow(*cc, BodyJson(bc)["id"])["outcome"], "ok");
  EXPECT_FALSE(Head(*ca, rid).empty());
  EXPECT_EQ(Head(*cc, rid), Head(*ca, rid));
  Json origin = BodyJson(cc->Get("/api/v1/resources/" + rid))["origin"];
  ASSERT_EQ(origin["chain"].size(), 2u) << origin.dump();
  EXPECT_EQ(origin["chain"][0], BodyJson(ca->Get("/api/v1/server"))["serverId"]);
}

}  // namespace
}  // namespace tandem::e2e
