// End-to-end tests of synchronization between real tandem-server processes:
// whole history with the same ids and hashes (checked by an oracle that dumps
// a resource's full history on both sides), incremental runs, read-only
// copies, uniqueness conflicts, metadata owned by the source, multi-hop with
// cycle refusal, the commit trigger, one-time configurations, and refusals at
// configuration time.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <thread>

#include "tests/e2e/e2e_util.h"

namespace tandem::e2e {
namespace {

class SyncE2eTest : public ::testing::Test {
 protected:
  std::unique_ptr<ServerProcess> Start(const std::string& name, int port = 0) {
    return ServerProcess::Start({dir_.Sub(name), {"--config", Conf()}, "admin-password-1", port});
  }
  // Waits (with a deadline) until `done` holds.
  static bool WaitFor(const std::function<bool()>& done, int seconds = 20) {
    return WaitUntil(done, seconds);
  }
  static std::string Head(httplib::Client& c, const std::string& rid) {
    Json list = BodyJson(c.Get("/sysml/v2/projects/" + rid + "/branches"));
    if (!list.is_array()) return "";
    for (auto& b : list) {
      if (b["name"] == "main" && b["head"].is_object()) return b["head"]["@id"];
    }
    return "";
  }
  // A resource with `n` commits that each rewrite all 228 elements.
  static std::string BigHistory(httplib::Client& c, const std::string& name, int n) {
    std::string rid = CreateProject(c, name);
    Json body = RealModel();
    for (int i = 0; i < n; ++i) {
      for (auto& ch : body["change"]) ch["payload"]["declaredName"] = name + std::to_string(i);
      Commit(c, rid, body);
    }
    return rid;
  }
  std::string Conf() {
    std::string path = dir_.Sub("sync.conf");
    std::ofstream(path) << "sync.reconcile-seconds = 3600\n";
    return path;
  }
  static std::string Url(const ServerProcess& s) { return "http://127.0.0.1:" + std::to_string(s.port()); }
  static std::string Root(httplib::Client& c) { return BodyJson(c.Get("/api/v1/server"))["rootCategoryId"]; }
  // A reader account on `source` for targets to use.
  static void AddReader(ServerProcess& source) {
    auto r = PostJson(*source.Client(), "/api/v1/users",
                      {{"name", "puller"}, {"password", "puller-password"}, {"role", "reader"}});
    ASSERT_EQ(r->status, 201) << r->body;
  }
  static Json Config(const ServerProcess& source, std::vector<std::string> resources,
                     const std::string& target_category, const std::string& trigger = "manual",
                     std::vector<std::string> categories = {}) {
    return {{"name", "cfg-" + std::to_string(source.port()) + "-" + trigger},
            {"source", {{"url", Url(source)}, {"username", "puller"}, {"password", "puller-password"}}},
            {"resources", resources},
            {"categories", categories},
            {"targetCategoryId", target_category},
            {"trigger", {{"type", trigger}}}};
  }
  static std::string CreateConfig(httplib::Client& target, const Json& config) {
    auto r = PostJson(target, "/api/v1/remote-configs", config);
    EXPECT_EQ(r->status, 201) << r->body;
    return BodyJson(r).value("id", "");
  }
  static Json SyncNow(httplib::Client& target, const std::string& config) {
    auto r = target.Post("/api/v1/remote-configs/" + config + "/sync?wait=true", "", "application/json");
    EXPECT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    return BodyJson(r);
  }
  static Json Row(httplib::Client& target, const std::string& config, const std::string& rid) {
    Json st = BodyJson(target.Get("/api/v1/remote-configs/" + config + "/status"));
    for (auto& row : st["resources"]) {
      if (row["sourceId"] == rid) return row;
    }
    return nullptr;
  }
  static std::string Commit(httplib::Client& c, const std::string& rid, const Json& body) {
    auto r = PostJson(c, "/sysml/v2/projects/" + rid + "/commits", body);
    EXPECT_EQ(r->status, 201) << r->body;
    return BodyJson(r).value("@id", "");
  }
  static Json OneChange(const std::string& element, const std::string& name) {
    return {{"change", Json::array({Json{{"identity", {{"@id", element}}},
                                         {"payload", {{"@type", "PartDefinition"}, {"name", name}}}}})}};
  }

  TempDir dir_;
};

TEST_F(SyncE2eTest, WholeHistoryArrivesWithTheSameIdsAndHashesAndStaysReadOnly) {
  auto a = Start("a"), b = Start("b");
  AddReader(*a);
  auto ca = a->Client(), cb = b->Client();
  std::string rid = CreateProject(*ca, "Library");
  std::string c1 = Commit(*ca, rid, RealModel());
  std::string element = RealModel()["change"][0]["identity"]["@id"];
  Commit(*ca, rid, OneChange(element, "renamed once"));
  ASSERT_EQ(PostJson(*ca, "/sysml/v2/projects/" + rid + "/tags",
                     {{"name", "release"}, {"taggedCommit", {{"@id", c1}}}})->status, 201);
  ASSERT_EQ(PostJson(*ca, "/sysml/v2/projects/" + rid + "/branches",
                     {{"name", "review"}, {"head", {{"@id", c1}}}})->status, 201);

  std::string cfg = CreateConfig(*cb, Config(*a, {rid}, Root(*cb)));
  Json run = SyncNow(*cb, cfg);
  EXPECT_EQ(run["outcome"], "ok") << run.dump();
  EXPECT_EQ(HistoryOracle(*ca, rid), HistoryOracle(*cb, rid));
  Json copy = BodyJson(cb->Get("/api/v1/resources/" + rid));
  EXPECT_EQ(copy["readOnly"], true);
  EXPECT_EQ(copy["origin"]["configuration"], cfg);

  // Read-only: commits, branches and tags are refused, naming where it comes from.
  auto refused = PostJson(*cb, "/sysml/v2/projects/" + rid + "/commits", OneChange(element, "x"));
  EXPECT_EQ(refused->status, 409);
  EXPECT_NE(refused->body.find(Url(*a)), std::string::npos) << refused->body;
  EXPECT_EQ(PostJson(*cb, "/sysml/v2/projects/" + rid + "/tags",
                     {{"name", "mine"}, {"taggedCommit", {{"@id", c1}}}})->status, 409);

  // Incremental: one new commit arrives; a run with nothing new moves nothing.
  Commit(*ca, rid, OneChange(element, "renamed twice"));
  Json second = SyncNow(*cb, cfg);
  EXPECT_EQ(second["report"]["commits"], 1);
  EXPECT_EQ(HistoryOracle(*ca, rid), HistoryOracle(*cb, rid));
  Json third = SyncNow(*cb, cfg);
  EXPECT_EQ(third["report"]["commits"], 0);
  EXPECT_EQ(third["report"]["bytes"], 0);

  // The password is never in responses, and not in the store file in clear.
  EXPECT_EQ(cb->Get("/api/v1/remote-configs/" + cfg)->body.find("puller-password"), std::string::npos);
  EXPECT_EQ(ReadFile(dir_.Sub("b") + "/tandem.db").find("puller-password"), std::string::npos);
}

TEST_F(SyncE2eTest, MergeCommitsArriveWithBothParentsAndCopiesRefuseMerges) {
  auto a = Start("a"), b = Start("b");
  AddReader(*a);
  auto ca = a->Client(), cb = b->Client();
  std::string rid = CreateProject(*ca, "Merged");
  Commit(*ca, rid, RealModel());
  std::string first = MergeIntoMain(*ca, rid, "review", 0);

  std::string cfg = CreateConfig(*cb, Config(*a, {rid}, Root(*cb)));
  Json run = SyncNow(*cb, cfg);
  EXPECT_EQ(run["outcome"], "ok") << run.dump();
  EXPECT_EQ(HistoryOracle(*ca, rid), HistoryOracle(*cb, rid));
  Json copied = BodyJson(cb->Get("/sysml/v2/projects/" + rid + "/commits/" + first));
  EXPECT_EQ(copied["previousCommit"].size(), 2u) << copied.dump();

  // A second merge arrives incrementally: its second parent is new too.
  MergeIntoMain(*ca, rid, "review", 1);
  Json second = SyncNow(*cb, cfg);
  EXPECT_EQ(second["report"]["commits"], 3) << second.dump();  // side, main, merge
  EXPECT_EQ(HistoryOracle(*ca, rid), HistoryOracle(*cb, rid));

  // The copy refuses a merge like any write, naming its origin.
  Json project = BodyJson(cb->Get("/sysml/v2/projects/" + rid));
  std::string main = project["defaultBranch"]["@id"];
  Json side = BodyJson(cb->Get("/sysml/v2/projects/" + rid + "/branches"));
  std::string review_head;
  for (const auto& br : side) {
    if (br["name"] == "review") review_head = br["head"]["@id"];
  }
  ASSERT_FALSE(review_head.empty()) << side.dump();
  auto refused = PostJson(*cb, "/sysml/v2/projects/" + rid + "/branches/" + main +
                                   "/merge?sourceCommitId=" + review_head, Json::array());
  EXPECT_EQ(refused->status, 409) << refused->body;
  EXPECT_NE(refused->body.find(Url(*a)), std::string::npos) << refused->body;
}

TEST_F(SyncE2eTest, SourceOwnsMetadataAndConflictsAreReportedNotOverwritten) {
  auto a = Start("a"), b = Start("b");
  AddReader(*a);
  auto ca = a->Client(), cb = b->Client();
  std::string lib = CreateProject(*ca, "Library");
  std::string clash_pid = BodyJson(PostJson(*ca, "/api/v1/resources",
                                            {{"name", "Shared PID"}, {"projectId", "PRJ-SAME"}}))["id"];
  std::string clash_name = CreateProject(*ca, "Taken");
  // The target already has a project with the same Project ID, and one named "Taken".
  ASSERT_EQ(PostJson(*cb, "/api/v1/resources", {{"name", "Local"}, {"projectId", "PRJ-SAME"}})->status, 201);
  CreateProject(*cb, "Taken");

  std::string cfg = CreateConfig(*cb, Config(*a, {lib, clash_pid, clash_name}, Root(*cb)));
  Json run = SyncNow(*cb, cfg);
  EXPECT_EQ(run["outcome"], "partial");
  EXPECT_EQ(Row(*cb, cfg, lib)["state"], "synced");
  Json pid_row = Row(*cb, cfg, clash_pid);
  EXPECT_EQ(pid_row["state"], "conflict");
  EXPECT_NE(pid_row["message"].get<std::string>().find("PRJ-SAME"), std::string::npos);
  // The row names the local resource in the way, for a page to offer renaming it.
  EXPECT_EQ(pid_row["conflictWith"]["name"], "Local") << pid_row.dump();
  Json name_row = Row(*cb, cfg, clash_name);
  EXPECT_EQ(name_row["state"], "conflict");
  EXPECT_EQ(name_row["conflictWith"]["name"], "Taken") << name_row.dump();
  EXPECT_EQ(BodyJson(cb->Get("/api/v1/resources/" +
                             name_row["conflictWith"]["resourceId"].get<std::string>()))["name"],
            "Taken");
  EXPECT_EQ(cb->Get("/api/v1/resources/" + clash_pid)->status, 404);  // nothing touched

  // A rename at the source reaches the target; a rename and move at the
  // target are refused (the configuration places its copies).
  ASSERT_EQ(PatchJson(*ca, "/api/v1/resources/" + lib, {{"name", "Library v2"}})->status, 200);
  std::string other_cat = BodyJson(PostJson(*cb, "/api/v1/categories", {{"name", "Elsewhere"}}))["id"];
  auto moved = PatchJson(*cb, "/api/v1/resources/" + lib,
                         {{"name", "Local name"}, {"categoryId", other_cat}});
  ASSERT_EQ(moved->status, 409) << moved->body;
  EXPECT_NE(moved->body.find("change that configuration's target category"), std::string::npos)
      << moved->body;
  SyncNow(*cb, cfg);
  Json copy = BodyJson(cb->Get("/api/v1/resources/" + lib));
  EXPECT_EQ(copy["name"], "Library v2");
  EXPECT_EQ(copy["categoryId"], Root(*cb));

  // A conflict clears by itself once its cause is removed.
  std::string local_taken = GetAll(*cb, "/api/v1/resources")[0]["id"];
  for (auto& r : GetAll(*cb, "/api/v1/resources")) {
    if (r["name"] == "Taken") local_taken = r["id"];
  }
  ASSERT_EQ(cb->Delete("/api/v1/resources/" + local_taken)->status, 204);
  SyncNow(*cb, cfg);
  EXPECT_EQ(Row(*cb, cfg, clash_name)["state"], "synced");
}

TEST_F(SyncE2eTest, ARenameAtTheSourceThatClashesHereIsAConflictAndTheOldNameStays) {
  auto a = Start("a"), b = Start("b");
  AddReader(*a);
  auto ca = a->Client(), cb = b->Client();
  std::string rid = CreateProject(*ca, "Gearbox");
  Commit(*ca, rid, RealModel());
  std::string cfg = CreateConfig(*cb, Config(*a, {rid}, Root(*cb)));
  SyncNow(*cb, cfg);
  CreateProject(*cb, "Transmission");  // a local project already has the new name
  ASSERT_EQ(PatchJson(*ca, "/api/v1/resources/" + rid, {{"name", "Transmission"}})->status, 200);
  std::string element = RealModel()["change"][1]["identity"]["@id"];
  Commit(*ca, rid, OneChange(element, "still flowing"));
  SyncNow(*cb, cfg);
  Json row = Row(*cb, cfg, rid);
  EXPECT_EQ(row["state"], "conflict");
  EXPECT_NE(row["message"].get<std::string>().find("Transmission"), std::string::npos);
  EXPECT_EQ(BodyJson(cb->Get("/api/v1/resources/" + rid))["name"], "Gearbox");
  EXPECT_EQ(HistoryOracle(*ca, rid)["commits"], HistoryOracle(*cb, rid)["commits"]);  // history still flows
}

TEST_F(SyncE2eTest, ServersStayResponsiveDuringALargeRun) {
  auto a = Start("a"), b = Start("b");
  AddReader(*a);
  std::string rid = BigHistory(*a->Client(), "Large", 10);
  auto cb = b->Client();
  std::string cfg = CreateConfig(*cb, Config(*a, {rid}, Root(*cb)));
  ASSERT_EQ(cb->Post("/api/v1/remote-configs/" + cfg + "/sync", "{}", "application/json")->status, 202);
  // While the run streams, both servers answer reads and the source takes commits.
  auto probe = b->Client(), source = a->Client();
  std::string own = CreateProject(*probe, "Local work");
  int answered = 0;
  std::chrono::milliseconds slowest{0};
  while (BodyJson(cb->Get("/api/v1/remote-configs/" + cfg + "/status"))["state"] == "running" &&
         answered < 200) {
    auto start = std::chrono::steady_clock::now();
    ASSERT_EQ(probe->Get("/api/v1/health")->status, 200);
    ASSERT_EQ(PostJson(*probe, "/sysml/v2/projects/" + own + "/commits",
                       OneChange("7b000000-0000-4000-8000-000000000001", "w" + std::to_string(answered)))
                  ->status,
              201);
    slowest = std::max(slowest, std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - start));
    ++answered;
  }
  std::cout << answered << " requests answered during the run, slowest " << slowest.count() << " ms\n";
  ASSERT_TRUE(WaitFor([&] {
    return BodyJson(cb->Get("/api/v1/remote-configs/" + cfg + "/status"))["state"] == "idle";
  }, 120));
  EXPECT_EQ(HistoryOracle(*source, rid), HistoryOracle(*cb, rid));
}

TEST_F(SyncE2eTest, MultiHopKeepsTheOriginsHashesAndRefusesCycles) {
  auto a = Start("a"), b = Start("b"), c = Start("c");
  AddReader(*a);
  AddReader(*b);
  AddReader(*c);
  auto ca = a->Client(), cb = b->Client(), cc = c->Client();
  std::string rid = CreateProject(*ca, "Shared");
  Commit(*ca, rid, RealModel());
  std::string ab = CreateConfig(*cb, Config(*a, {rid}, Root(*cb)));
  SyncNow(*cb, ab);
  std::string bc = CreateConfig(*cc, Config(*b, {rid}, Root(*cc)));
  Json run = SyncNow(*cc, bc);
  EXPECT_EQ(run["outcome"], "ok") << run.dump();
  EXPECT_EQ(HistoryOracle(*ca, rid), HistoryOracle(*cc, rid));
  Json origin = BodyJson(cc->Get("/api/v1/resources/" + rid))["origin"];
  ASSERT_EQ(origin["chain"].size(), 2u);  // A, then B
  EXPECT_EQ(origin["chain"][0], BodyJson(ca->Get("/api/v1/server"))["serverId"]);

  // Bringing it from C back to A, where it originates, is a cycle.
  std::string ca_cfg = CreateConfig(*ca, Config(*c, {rid}, Root(*ca)));
  SyncNow(*ca, ca_cfg);
  Json row = Row(*ca, ca_cfg, rid);
  EXPECT_EQ(row["state"], "conflict");
  EXPECT_NE(row["message"].get<std::string>().find("cycle"), std::string::npos);
}

TEST_F(SyncE2eTest, CommitTriggerFollowsTheSourceWithinSeconds) {
  auto a = Start("a"), b = Start("b");
  AddReader(*a);
  auto ca = a->Client(), cb = b->Client();
  std::string rid = CreateProject(*ca, "Live");
  std::string first = Commit(*ca, rid, RealModel());
  std::string cfg = CreateConfig(*cb, Config(*a, {rid}, Root(*cb), "commit"));
  auto head_on_b = [&] {
    auto r = cb->Get("/sysml/v2/projects/" + rid + "/branches");
    Json list = BodyJson(r);
    return list.is_array() && !list.empty() && list[0]["head"].is_object()
               ? list[0]["head"]["@id"].get<std::string>()
               : std::string();
  };
  auto wait_for_head = [&](const std::string& want) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (head_on_b() == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  };
  ASSERT_TRUE(wait_for_head(first)) << "the first run starts when the configuration is created";
  std::string element = RealModel()["change"][3]["identity"]["@id"];
  std::string next = Commit(*ca, rid, OneChange(element, "live change"));
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_for_head(next));
  std::cout << "commit reached the target after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count()
            << " ms\n";
}

TEST_F(SyncE2eTest, OneTimeConfigurationCompletesAndKeepsItsCopies) {
  auto a = Start("a"), b = Start("b");
  AddReader(*a);
  auto ca = a->Client(), cb = b->Client();
  std::string rid = CreateProject(*ca, "Dormant");
  Commit(*ca, rid, RealModel());
  Json config = Config(*a, {rid}, Root(*cb), "commit");
  config["once"] = true;
  std::string cfg = CreateConfig(*cb, config);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::string state;
  while (std::chrono::steady_clock::now() < deadline && state != "completed") {
    state = BodyJson(cb->Get("/api/v1/remote-configs/" + cfg + "/status"))["state"];
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(state, "completed");
  EXPECT_EQ(HistoryOracle(*ca, rid), HistoryOracle(*cb, rid));
  EXPECT_EQ(cb->Delete("/api/v1/remote-configs/" + cfg)->status, 204);
  Json copy = BodyJson(cb->Get("/api/v1/resources/" + rid));
  EXPECT_EQ(copy["readOnly"], true);
}

TEST_F(SyncE2eTest, ConfigurationsAreCheckedAgainstTheSourceBeforeTheyExist) {
  auto a = Start("a"), b = Start("b");
  AddReader(*a);
  auto ca = a->Client(), cb = b->Client();
  std::string rid = CreateProject(*ca, "P");
  Json wrong_password = Config(*a, {rid}, Root(*cb));
  wrong_password["source"]["password"] = "not-it-at-all";
  auto r1 = PostJson(*cb, "/api/v1/remote-configs", wrong_password);
  EXPECT_EQ(r1->status, 400) << r1->body;
  EXPECT_NE(r1->body.find("refused the credentials"), std::string::npos) << r1->body;
  EXPECT_EQ(r1->body.find("not-it-at-all"), std::string::npos);
  auto r2 = PostJson(*cb, "/api/v1/remote-configs",
                     Config(*a, {"00000000-0000-4000-8000-000000000000"}, Root(*cb)));
  EXPECT_EQ(r2->status, 400) << r2->body;
  EXPECT_NE(r2->body.find("has no resource"), std::string::npos);
  Json no_port = Config(*a, {rid}, Root(*cb));
  no_port["source"]["url"] = "http://127.0.0.1";
  EXPECT_EQ(PostJson(*cb, "/api/v1/remote-configs", no_port)->status, 400);
  Json down = Config(*a, {rid}, Root(*cb));
  down["source"]["url"] = "http://127.0.0.1:1";
  auto r3 = PostJson(*cb, "/api/v1/remote-configs", down);
  EXPECT_EQ(r3->status, 400) << r3->body;
  EXPECT_NE(r3->body.find("cannot reach"), std::string::npos) << r3->body;
  EXPECT_TRUE(BodyJson(cb->Get("/api/v1/remote-configs")).empty());
}

TEST_F(SyncE2eTest, SyncManagersWorkOnlyWithinTheirCategories) {
  auto a = Start("a"), b = Start("b");
  AddReader(*a);
  auto ca = a->Client(), cb = b->Client();
  std::string rid = CreateProject(*ca, "P");
  std::string libs = BodyJson(PostJson(*cb, "/api/v1/categories", {{"name", "Libraries"}}))["id"];
  std::string sub = BodyJson(PostJson(*cb, "/api/v1/categories",
                                      {{"name", "Mechanical"}, {"parentId", libs}}))["id"];
  ASSERT_EQ(PostJson(*cb, "/api/v1/users", {{"name", "mgr"}, {"password", "manager-pass-1"},
                                            {"role", "sync-manager"}, {"scopes", {libs}}})->status,
            201);
  ASSERT_EQ(PostJson(*cb, "/api/v1/users", {{"name", "w"}, {"password", "writer-pass-1"},
                                            {"role", "writer"}})->status, 201);
  auto mgr = b->Client("mgr", "manager-pass-1");
  auto outside = PostJson(*mgr, "/api/v1/remote-configs", Config(*a, {rid}, Root(*cb)));
  EXPECT_EQ(outside->status, 403) << outside->body;
  std::string admin_cfg = CreateConfig(*cb, Config(*a, {rid}, Root(*cb)));
  Json inside_body = Config(*a, {rid}, sub);
  inside_body["name"] = "mine";
  auto inside = PostJson(*mgr, "/api/v1/remote-configs", inside_body);
  ASSERT_EQ(inside->status, 201) << inside->body;
  Json listed = BodyJson(mgr->Get("/api/v1/remote-configs"));
  ASSERT_EQ(listed.size(), 1u);  // the admin's configuration is outside the scope
  EXPECT_EQ(listed[0]["name"], "mine");
  EXPECT_EQ(mgr->Get("/api/v1/remote-configs/" + admin_cfg + "/status")->status, 403);
  EXPECT_EQ(mgr->Delete("/api/v1/remote-configs/" + admin_cfg)->status, 403);
  EXPECT_EQ(b->Client("w", "writer-pass-1")->Get("/api/v1/remote-configs")->status, 403);
  // A sync-manager reads like a reader but writes no models.
  EXPECT_EQ(PostJson(*mgr, "/sysml/v2/projects", {{"name", "nope"}})->status, 403);
}

TEST_F(SyncE2eTest, TagTriggerCopiesUpToTheNewestTaggedCommit) {
  auto a = Start("a"), b = Start("b");
  AddReader(*a);
  auto ca = a->Client(), cb = b->Client();
  std::string rid = CreateProject(*ca, "Versions");
  std::string element = RealModel()["change"][0]["identity"]["@id"];
  std::string c1 = Commit(*ca, rid, RealModel());
  std::string c2 = Commit(*ca, rid, OneChange(element, "two"));
  std::string c3 = Commit(*ca, rid, OneChange(element, "three"));
  auto tag = [&](const std::string& commit) {
    ASSERT_EQ(PostJson(*ca, "/sysml/v2/projects/" + rid + "/tags",
                       {{"name", "release"}, {"taggedCommit", {{"@id", commit}}}})->status, 201);
  };
  tag(c1);
  Json config = Config(*a, {rid}, Root(*cb), "tag");
  config["trigger"]["tag"] = "release";
  std::string cfg = CreateConfig(*cb, config);
  ASSERT_TRUE(WaitFor([&] { return Head(*cb, rid) == c1; }));
  EXPECT_EQ(cb->Get("/sysml/v2/projects/" + rid + "/commits/" + c2)->status, 404);  // nothing after
  // Adding the tag to a later commit is what triggers; everything up to it comes.
  tag(c3);
  ASSERT_TRUE(WaitFor([&] { return Head(*cb, rid) == c3; }));
  EXPECT_EQ(cb->Get("/sysml/v2/projects/" + rid + "/commits/" + c2)->status, 200);
  EXPECT_EQ(GetAll(*cb, "/sysml/v2/projects/" + rid + "/tags").size(), 2u);
}

TEST_F(SyncE2eTest, UsedProjectsComeAlongAsDependencies) {
  auto a = Start("a"), b = Start("b");
  AddReader(*a);
  auto ca = a->Client(), cb = b->Client();
  std::string lib = CreateProject(*ca, "Library");
  std::string lib_commit = Commit(*ca, lib, RealModel());
  std::string app = CreateProject(*ca, "Application");
  std::string usage = "7a000000-0000-4000-8000-000000000001";
  Commit(*ca, app, {{"change", Json::array({Json{{"identity", {{"@id", usage}}},
                                                  {"payload", {{"@type", "ProjectUsage"},
                                                               {"usedProject", {{"@id", lib}}},
                                                               {"usedCommit", {{"@id", lib_commit}}}}}}})}});
  std::string cfg = CreateConfig(*cb, Config(*a, {app}, Root(*cb)));
  Json run = SyncNow(*cb, cfg);
  EXPECT_EQ(run["outcome"], "ok") << run.dump();
  EXPECT_EQ(HistoryOracle(*ca, lib), HistoryOracle(*cb, lib));
  EXPECT_EQ(HistoryOracle(*ca, app), HistoryOracle(*cb, app));
  EXPECT_EQ(Row(*cb, cfg, lib)["selectedBy"], Json::array({"dependency"}));
  EXPECT_EQ(BodyJson(cb->Get("/api/v1/resources/" + lib))["readOnly"], true);
}

TEST_F(SyncE2eTest, CategorySelectionFollowsMembershipAndDeletionKeepsCopies) {
  auto a = Start("a"), b = Start("b");
  AddReader(*a);
  auto ca = a->Client(), cb = b->Client();
  std::string cat = BodyJson(PostJson(*ca, "/api/v1/categories", {{"name", "Team"}}))["id"];
  auto in_cat = [&](const std::string& name) {
    return BodyJson(PostJson(*ca, "/api/v1/resources", {{"name", name}, {"categoryId", cat}}))["id"]
        .get<std::string>();
  };
  std::string r1 = in_cat("One"), r2 = in_cat("Two");
  std::string alone = CreateProject(*ca, "Alone");
  Commit(*ca, r1, RealModel());
  std::string cfg = CreateConfig(*cb, Config(*a, {alone}, Root(*cb), "manual", {cat}));
  SyncNow(*cb, cfg);
  EXPECT_EQ(Row(*cb, cfg, r1)["state"], "synced");
  EXPECT_EQ(Row(*cb, cfg, r2)["state"], "synced");

  // r2 leaves the category; r3 enters it; `alone` (selected by id) is deleted at the source.
  ASSERT_EQ(PatchJson(*ca, "/api/v1/resources/" + r2, {{"categoryId", Root(*ca)}})->status, 200);
  std::string r3 = in_cat("Three");
  ASSERT_EQ(ca->Delete("/api/v1/resources/" + alone)->status, 204);
  SyncNow(*cb, cfg);
  EXPECT_EQ(Row(*cb, cfg, r2)["state"], "excluded");
  EXPECT_EQ(Row(*cb, cfg, r3)["state"], "synced");
  EXPECT_NE(Row(*cb, cfg, alone)["message"].get<std::string>().find("no longer exists"),
            std::string::npos);
  EXPECT_EQ(cb->Get("/api/v1/resources/" + r2)->status, 200);     // copies stay
  EXPECT_EQ(cb->Get("/api/v1/resources/" + alone)->status, 200);
}

TEST_F(SyncE2eTest, KilledTargetResumesWithoutResending) {
  auto a = Start("a");
  AddReader(*a);
  auto ca = a->Client();
  std::string rid = BigHistory(*ca, "Big", 20);
  int port = 0;
  std::string cfg;
  {
    auto b = Start("b");
    port = b->port();
    auto cb = b->Client();
    cfg = CreateConfig(*cb, Config(*a, {rid}, Root(*cb)));
    ASSERT_EQ(cb->Post("/api/v1/remote-configs/" + cfg + "/sync", "{}", "application/json")->status, 202);
    // Kill the target once part of the history has arrived; meanwhile the
    // status shows the run's progress against the catalogue's totals.
    Json progress;
    ASSERT_TRUE(WaitFor([&] {
      Json st = BodyJson(cb->Get("/api/v1/remote-configs/" + cfg + "/status"));
      if (st["state"] == "running" && st.contains("progress")) progress = st["progress"];
      auto r = cb->Get("/api/v1/resources/" + rid + "/commits?page%5Bsize%5D=1000");
      return r && r->status == 200 && !BodyJson(r).empty();
    }));
    ASSERT_TRUE(progress.is_object()) << "the run was seen running";
    EXPECT_EQ(progress["commitsTotal"], 20);
    EXPECT_EQ(progress["resourcesTotal"], 1);
    b->Kill();
  }
  auto b = Start("b", port);
  auto cb = b->Client();
  size_t before = GetAll(*cb, "/api/v1/resources/" + rid + "/commits?page%5Bsize%5D=1000").size();
  EXPECT_GT(before, 0u);
  Json run = SyncNow(*cb, cfg);
  EXPECT_EQ(run["outcome"], "ok") << run.dump();
  EXPECT_EQ(run["report"]["commits"].get<size_t>(), 20 - before) << "only what was missing came";
  EXPECT_EQ(HistoryOracle(*ca, rid), HistoryOracle(*cb, rid));
}

TEST_F(SyncE2eTest, KilledSourceMidRunLeavesWholeCommitsAndResumes) {
  int port = 0;
  std::string rid, cfg;
  auto b = Start("b");
  auto cb = b->Client();
  {
    auto a = Start("a");
    port = a->port();
    AddReader(*a);
    rid = BigHistory(*a->Client(), "Streamed", 20);
    cfg = CreateConfig(*cb, Config(*a, {rid}, Root(*cb)));
    ASSERT_EQ(cb->Post("/api/v1/remote-configs/" + cfg + "/sync", "{}", "application/json")->status, 202);
    ASSERT_TRUE(WaitFor([&] {
      auto r = cb->Get("/api/v1/resources/" + rid + "/commits?page%5Bsize%5D=1000");
      return r && r->status == 200 && !BodyJson(r).empty();
    }));
    a->Kill();
  }
  ASSERT_TRUE(WaitFor([&] {
    return BodyJson(cb->Get("/api/v1/remote-configs/" + cfg + "/status"))["state"] != "running";
  }));
  // Every commit that arrived is whole: its element count matches its elements.
  auto arrived = GetAll(*cb, "/api/v1/resources/" + rid + "/commits?page%5Bsize%5D=1000");
  for (const auto& c : arrived) EXPECT_EQ(c["elementCount"], 228);
  auto a = Start("a", port);
  Json run = SyncNow(*cb, cfg);
  EXPECT_EQ(run["outcome"], "ok") << run.dump();
  EXPECT_EQ(run["report"]["commits"].get<size_t>(), 20 - arrived.size());
  EXPECT_EQ(HistoryOracle(*a->Client(), rid), HistoryOracle(*cb, rid));
}

TEST_F(SyncE2eTest, SourceDownThenBackIsReportedAndRecovered) {
  int port = 0;
  std::string rid, cfg;
  auto b = Start("b");
  auto cb = b->Client();
  {
    auto a = Start("a");
    port = a->port();
    AddReader(*a);
    rid = BigHistory(*a->Client(), "Far", 3);
    cfg = CreateConfig(*cb, Config(*a, {rid}, Root(*cb)));
    a->Kill();
  }
  Json failed = SyncNow(*cb, cfg);
  EXPECT_EQ(failed["outcome"], "error");
  Json status = BodyJson(cb->Get("/api/v1/remote-configs/" + cfg + "/status"));
  EXPECT_EQ(status["state"], "error");
  EXPECT_EQ(status["consecutiveFailures"], 1);
  EXPECT_NE(status["lastError"]["hint"].get<std::string>().find("reachable"), std::string::npos);
  auto a = Start("a", port);
  Json recovered = SyncNow(*cb, cfg);
  EXPECT_EQ(recovered["outcome"], "ok") << recovered.dump();
  EXPECT_EQ(HistoryOracle(*a->Client(), rid), HistoryOracle(*cb, rid));
  EXPECT_EQ(BodyJson(cb->Get("/api/v1/remote-configs/" + cfg + "/status"))["consecutiveFailures"], 0);
}

}  // namespace
}  // namespace tandem::e2e
