// End-to-end tests of synchronization bundles between real tandem-server
// processes, driven by the real `tandem` CLI: the 228-element model travels
// A --bundle--> B with the same ids and hashes (history oracle), applying it
// twice changes nothing, an incremental bundle from B's state file carries only
// what follows, B then switches to a network configuration without copying
// history again and C synchronizes from B over the network; damaged files,
// missing prerequisites and a reader's attempt to apply are refused with
// nothing stored.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/e2e/e2e_util.h"

namespace tandem::e2e {
namespace {

class BundleE2eTest : public ::testing::Test {
 protected:
  std::unique_ptr<ServerProcess> Start(const std::string& name) {
    std::string conf = dir_.Sub(name + ".conf");
    std::ofstream(conf) << "sync.reconcile-seconds = 3600\n";
    return ServerProcess::Start({dir_.Sub(name), {"--config", conf}, "admin-password-1", 0});
  }
  static std::string Url(const ServerProcess& s) {
    return "http://127.0.0.1:" + std::to_string(s.port());
  }
  static std::string Root(httplib::Client& c) {
    return BodyJson(c.Get("/api/v1/server"))["rootCategoryId"];
  }
  // The real CLI against `server` as admin.
  static ProcessResult Tandem(const ServerProcess& server, std::vector<std::string> args) {
    args.insert(args.begin(), BinaryPath("tools/tandem/tandem"));
    return RunProcess(args, {{"TANDEM_SERVER", Url(server)},
                             {"TANDEM_USER", "admin"},
                             {"TANDEM_PASSWORD", server.admin_password()}});
  }
  static std::string Commit(httplib::Client& c, const std::string& rid, const Json& body) {
    auto r = PostJson(c, "/sysml/v2/projects/" + rid + "/commits", body);
    EXPECT_EQ(r->status, 201) << r->body;
    return BodyJson(r).value("@id", "");
  }
  static Json Renamed(const std::string& name) {
    Json body = RealModel();
    for (auto& ch : body["change"]) ch["payload"]["declaredName"] = name;
    return body;
  }
  static int64_t LastEvent(httplib::Client& c) {
    return BodyJson(c.Get("/api/v1/changes?since=0&limit=1"))["headSeq"].get<int64_t>();
  }
  // Uploads `bytes` over HTTP in pieces of 60,000 bytes as `user` and applies
  // it; returns the answer to the apply (or to the first refused step).
  static httplib::Result UploadAndApply(const ServerProcess& s, const std::string& bytes,
                                        const std::string& category, const std::string& user = "admin",
                                        const std::string& password = "") {
    auto c = s.Client(user, password);
    auto created = PostJson(*c, "/api/v1/bundles/uploads", Json::object());
    if (!created || created->status != 201) return created;
    std::string id = BodyJson(created)["id"];
    for (size_t at = 0; at < bytes.size(); at += 60'000) {
      auto put = c->Put("/api/v1/bundles/uploads/" + id + "?offset=" + std::to_string(at),
                        bytes.substr(at, 60'000), "application/octet-stream");
      if (!put || put->status != 200) return put;
    }
    return c->Post("/api/v1/bundles/uploads/" + id + "/apply?wait=true&targetCategory=" + category,
                   "", "application/json");
  }

  TempDir dir_;
};

TEST_F(BundleE2eTest, TheRealModelTravelsByBundleThenByNetworkWithoutCopyingHistoryAgain) {
  auto a = Start("a"), b = Start("b"), c = Start("c");
  auto ca = a->Client(), cb = b->Client(), cc = c->Client();
  std::string rid = CreateProject(*ca, "Vehicle");
  Commit(*ca, rid, RealModel());
  Commit(*ca, rid, Renamed("second"));
  std::string third = Commit(*ca, rid, Renamed("third"));

  // A --bundle--> B, through files only.
  std::string full = dir_.Sub("full.bundle");
  ProcessResult created = Tandem(*a, {"bundle", "create", "--resource", rid, "--output", full});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_NE(created.out.find("3 commits"), std::string::npos) << created.out;
  ProcessResult applied = Tandem(*b, {"bundle", "apply", full, "--target-category", Root(*cb)});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_NE(applied.out.find("Bundle applied: ok, 3 commits"), std::string::npos) << applied.out;
  EXPECT_EQ(HistoryOracle(*ca, rid), HistoryOracle(*cb, rid));
  Json copy = BodyJson(cb->Get("/api/v1/resources/" + rid));
  EXPECT_EQ(copy["readOnly"], true);
  EXPECT_EQ(copy["origin"]["serverId"], BodyJson(ca->Get("/api/v1/server"))["serverId"]);

  // The same bundle again changes nothing.
  int64_t events = LastEvent(*cb);
  ProcessResult again = Tandem(*b, {"bundle", "apply", full, "--target-category", Root(*cb)});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("ok, 0 commits"), std::string::npos) << again.out;
  EXPECT_EQ(LastEvent(*cb), events);

  // Incremental: B's state file goes to A; the bundle carries only the new commit.
  Commit(*ca, rid, Renamed("fourth"));
  std::string state = dir_.Sub("b.state");
  ASSERT_EQ(Tandem(*b, {"bundle", "state", "--output", state}).exit_code, 0);
  std::string incremental = dir_.Sub("incremental.bundle");
  created = Tandem(*a, {"bundle", "create", "--resource", rid, "--since", state, "--output", incremental});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_NE(created.out.find("1 commits"), std::string::npos) << created.out;
  EXPECT_LT(ReadFile(incremental).size(), ReadFile(full).size() / 2);

  // A server that never had the first bundle refuses it, naming what it lacks.
  ProcessResult refused = Tandem(*c, {"bundle", "apply", incremental, "--target-category", Root(*cc)});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("does not have"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find(third), std::string::npos) << refused.err;
  EXPECT_EQ(cc->Get("/api/v1/resources/" + rid)->status, 404);

  applied = Tandem(*b, {"bundle", "apply", incremental, "--target-category", Root(*cb)});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_NE(applied.out.find("ok, 1 commits"), std::string::npos) << applied.out;
  EXPECT_EQ(HistoryOracle(*ca, rid), HistoryOracle(*cb, rid));

  // B switches to the network: the first run asks for no history at all.
  ASSERT_EQ(PostJson(*ca, "/api/v1/users",
                     {{"name", "puller"}, {"password", "puller-password"}, {"role", "reader"}})->status,
            201);
  auto config = [&](const ServerProcess& source, httplib::Client& target) {
    auto r = PostJson(target, "/api/v1/remote-configs",
                      {{"name", "network"},
                       {"source", {{"url", Url(source)}, {"username", "puller"}, {"password", "puller-password"}}},
                       {"resources", {rid}},
                       {"targetCategoryId", Root(target)},
                       {"trigger", {{"type", "manual"}}}});
    EXPECT_EQ(r->status, 201) << r->body;
    return BodyJson(r).value("id", "");
  };
  std::string ab = config(*a, *cb);
  auto run = cb->Post("/api/v1/remote-configs/" + ab + "/sync?wait=true", "", "application/json");
  ASSERT_EQ(run->status, 200) << run->body;
  Json report = BodyJson(run);
  EXPECT_EQ(report["outcome"], "ok") << report.dump();
  EXPECT_EQ(report["report"]["commits"], 0);
  EXPECT_EQ(report["report"]["bytes"], 0);  // no pack was asked for
  Commit(*ca, rid, Renamed("fifth"));
  run = cb->Post("/api/v1/remote-configs/" + ab + "/sync?wait=true", "", "application/json");
  EXPECT_EQ(BodyJson(run)["report"]["commits"], 1);
  EXPECT_EQ(HistoryOracle(*ca, rid), HistoryOracle(*cb, rid));

  // Multi-hop: C synchronizes from B (which got the history by bundle) over the network.
  ASSERT_EQ(PostJson(*cb, "/api/v1/users",
                     {{"name", "puller"}, {"password", "puller-password"}, {"role", "reader"}})->status,
            201);
  std::string bc = config(*b, *cc);
  run = cc->Post("/api/v1/remote-configs/" + bc + "/sync?wait=true", "", "application/json");
  EXPECT_EQ(BodyJson(run)["outcome"], "ok") << run->body;
  EXPECT_EQ(HistoryOracle(*ca, rid), HistoryOracle(*cc, rid));
  Json chain = BodyJson(cc->Get("/api/v1/resources/" + rid))["origin"]["chain"];
  EXPECT_EQ(chain.size(), 2u);
}

TEST_F(BundleE2eTest, MergeCommitsTravelByBundleWithBothParents) {
  auto a = Start("a"), b = Start("b");
  auto ca = a->Client(), cb = b->Client();
  std::string rid = CreateProject(*ca, "Merged");
  Commit(*ca, rid, RealModel());
  std::string merge = MergeIntoMain(*ca, rid, "review", 0);
  MergeIntoMain(*ca, rid, "review", 1);

  std::string file = dir_.Sub("merged.bundle");
  ProcessResult created = Tandem(*a, {"bundle", "create", "--resource", rid, "--output", file});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_NE(created.out.find("7 commits"), std::string::npos) << created.out;
  ProcessResult applied = Tandem(*b, {"bundle", "apply", file, "--target-category", Root(*cb)});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_EQ(HistoryOracle(*ca, rid), HistoryOracle(*cb, rid));
  Json copied = BodyJson(cb->Get("/sysml/v2/projects/" + rid + "/commits/" + merge));
  EXPECT_EQ(copied["previousCommit"].size(), 2u) << copied.dump();
}

TEST_F(BundleE2eTest, DamagedBundlesAndReadersAreRefusedWithNothingStored) {
  auto a = Start("a"), b = Start("b");
  auto ca = a->Client(), cb = b->Client();
  std::string rid = CreateProject(*ca, "Vehicle");
  Commit(*ca, rid, RealModel());
  std::string path = dir_.Sub("good.bundle");
  ASSERT_EQ(Tandem(*a, {"bundle", "create", "--resource", rid, "--output", path}).exit_code, 0);
  std::string good = ReadFile(path);
  int64_t events = LastEvent(*cb);

  // The CLI checks the file before it uploads anything.
  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x01;
  std::ofstream(dir_.Sub("flipped.bundle"), std::ios::binary) << flipped;
  ProcessResult local = Tandem(*b, {"bundle", "apply", dir_.Sub("flipped.bundle"), "--target-category", Root(*cb)});
  EXPECT_NE(local.exit_code, 0);
  EXPECT_NE(local.err.find("flipped.bundle"), std::string::npos) << local.err;

  // The server checks it again whole: a flipped byte, a truncated file, another version.
  std::string v9 = good;
  v9[11] = 9;
  for (const std::string& bad : {flipped, good.substr(0, good.size() - 100), v9}) {
    auto r = UploadAndApply(*b, bad, Root(*cb));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->body;
    EXPECT_NE(r->body.find("bundle file"), std::string::npos) << r->body;
  }
  EXPECT_EQ(cb->Get("/api/v1/resources/" + rid)->status, 404);
  EXPECT_EQ(LastEvent(*cb), events);

  // Readers may not apply bundles; the upload itself is refused.
  ASSERT_EQ(PostJson(*cb, "/api/v1/users",
                     {{"name", "reader"}, {"password", "reader-password"}, {"role", "reader"}})->status,
            201);
  auto as_reader = UploadAndApply(*b, good, Root(*cb), "reader", "reader-password");
  EXPECT_EQ(as_reader->status, 403) << as_reader->body;

  auto ok = UploadAndApply(*b, good, Root(*cb));
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(BodyJson(ok)["state"], "done");
  EXPECT_EQ(BodyJson(ok)["report"]["outcome"], "ok");
  EXPECT_EQ(HistoryOracle(*ca, rid), HistoryOracle(*cb, rid));
}

}  // namespace
}  // namespace tandem::e2e
