// End-to-end tests of imports from another SysML v2 API server
// (POST /api/v1/imports, sync/sysml_import.h) between real tandem-server
// processes: the source is read through /sysml/v2 only (checked in its
// request log), the copy keeps every id, a second import adds only what is
// new, refusals name what to fix, a stalled source is cancelled promptly and
// the source password appears in no answer and no log.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/fault_proxy.h"

namespace tandem::e2e {
namespace {

constexpr char kPullerPassword[] = "puller-import-secret";

class ImportE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = ServerProcess::Start({dir_.Sub("a"), {}, "admin-password-1", 0});
    b_ = ServerProcess::Start({dir_.Sub("b"), {}, "admin-password-1", 0});
    ca_ = a_->Client();
    cb_ = b_->Client();
    auto r = PostJson(*ca_, "/api/v1/users",
                      {{"name", "puller"}, {"password", kPullerPassword}, {"role", "reader"}});
    ASSERT_EQ(r->status, 201) << r->body;
    root_b_ = BodyJson(cb_->Get("/api/v1/server"))["rootCategoryId"];
  }

  static std::string Url(const ServerProcess& s) {
    return "http://127.0.0.1:" + std::to_string(s.port());
  }
  Json Request(const std::string& rid, const std::string& from,
               const std::string& password = kPullerPassword) {
    return {{"from", from + "/sysml/v2"},
            {"projectId", rid},
            {"username", "puller"},
            {"password", password},
            {"targetCategoryId", root_b_}};
  }
  // Starts an import on b and follows it to its end.
  Json Import(const Json& request) {
    auto r = PostJson(*cb_, "/api/v1/imports", request);
    EXPECT_TRUE(r);
    EXPECT_EQ(r->status, 202) << r->body;
    std::string id = BodyJson(r).value("id", "");
    Json status;
    EXPECT_TRUE(WaitUntil(
        [&] {
          status = BodyJson(cb_->Get("/api/v1/imports/" + id));
          return status.value("state", "running") != "running";
        },
        60))
        << status.dump();
    return status;
  }
  static std::string Commit(httplib::Client& c, const std::string& rid, const Json& body,
                            const std::string& branch = "") {
    auto r = PostJson(
        c, "/sysml/v2/projects/" + rid + "/commits" + (branch.empty() ? "" : "?branchId=" + branch),
        body);
    EXPECT_EQ(r->status, 201) << r->body;
    return BodyJson(r).value("@id", "");
  }
  static Json OneChange(const std::string& element, const std::string& name) {
    return {{"change",
             Json::array({Json{{"identity", {{"@id", element}}},
                               {"payload", {{"@type", "PartDefinition"}, {"name", name}}}}})}};
  }
  // A project's history as the SysML v2 API shows it: what an import must keep.
  static Json SysmlOracle(httplib::Client& c, const std::string& rid) {
    const std::string p = "/sysml/v2/projects/" + rid;
    Json project = BodyJson(c.Get(p));
    Json out = {{"id", project["@id"]},
                {"name", project["name"]},
                {"description", project["description"]},
                {"defaultBranch", project["defaultBranch"]}};
    for (auto& b : GetAll(c, p + "/branches")) {
      out["branches"].push_back({{"id", b["@id"]}, {"name", b["name"]}, {"head", b["head"]}});
    }
    for (auto& t : GetAll(c, p + "/tags")) {
      out["tags"].push_back({{"id", t["@id"]}, {"name", t["name"]}, {"commit", t["taggedCommit"]}});
    }
    for (auto& commit : GetAll(c, p + "/commits")) {
      std::string cid = commit["@id"];
      out["commits"].push_back(
          {{"id", cid},
           {"previousCommit", commit["previousCommit"]},
           {"created", commit["created"]},
           {"description", commit["description"]},
           {"elements", GetAll(c, p + "/commits/" + cid + "/elements?page%5Bsize%5D=1000")}});
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> a_, b_;
  std::unique_ptr<httplib::Client> ca_, cb_;
  std::string root_b_;
};

TEST_F(ImportE2eTest, AProjectArrivesWithItsWholeHistoryAndEveryIdReadThroughTheSysmlApiOnly) {
  std::string rid = CreateProject(*ca_, "Imported");
  std::string c1 = Commit(*ca_, rid, RealModel());
  std::string element = RealModel()["change"][0]["identity"]["@id"];
  Commit(*ca_, rid, OneChange(element, "renamed once"));
  ASSERT_EQ(PostJson(*ca_, "/sysml/v2/projects/" + rid + "/tags",
                     {{"name", "release"}, {"taggedCommit", {{"@id", c1}}}})
                ->status,
            201);
  MergeIntoMain(*ca_, rid, "side", 1);  // a commit with two previous commits

  Json done = Import(Request(rid, Url(*a_)));
  ASSERT_EQ(done["state"], "succeeded") << done.dump();
  std::cout << "first import: " << done["started"] << " .. " << done["finished"] << std::endl;
  EXPECT_EQ(done["phase"], "done");
  EXPECT_EQ(done["commits"]["imported"], done["commits"]["total"]);
  EXPECT_EQ(done["commits"]["present"], 0);
  EXPECT_GE(done["verifiedCommits"].get<int>(), 2);
  EXPECT_EQ(SysmlOracle(*ca_, rid), SysmlOracle(*cb_, rid));

  // A read-only copy that says where it comes from.
  Json copy = BodyJson(cb_->Get("/api/v1/resources/" + rid));
  EXPECT_EQ(copy["readOnly"], true);
  EXPECT_EQ(copy["origin"]["import"]["from"], Url(*a_) + "/sysml/v2");
  auto refused = PostJson(*cb_, "/sysml/v2/projects/" + rid + "/commits", OneChange(element, "x"));
  EXPECT_EQ(refused->status, 409);
  EXPECT_NE(refused->body.find("import of project " + rid), std::string::npos) << refused->body;

  // Again: only what is new comes.
  Commit(*ca_, rid, OneChange(element, "renamed twice"));
  Json again = Import(Request(rid, Url(*a_)));
  ASSERT_EQ(again["state"], "succeeded") << again.dump();
  EXPECT_EQ(again["commits"]["imported"], 1);
  EXPECT_EQ(again["commits"]["present"], done["commits"]["total"]);
  EXPECT_EQ(SysmlOracle(*ca_, rid), SysmlOracle(*cb_, rid));

  // The source saw the importer's account only on GETs of /sysml/v2.
  std::istringstream log(a_->StderrText());
  size_t importer_requests = 0;
  for (std::string line; std::getline(log, line);) {
    if (line.find("user=puller") == std::string::npos) continue;
    ++importer_requests;
    EXPECT_NE(line.find("GET /sysml/v2/projects/" + rid), std::string::npos) << line;
  }
  EXPECT_GT(importer_requests, 10u);
  // The password is in no answer and no log.
  EXPECT_EQ(cb_->Get("/api/v1/imports")->body.find(kPullerPassword), std::string::npos);
  EXPECT_EQ(b_->StderrText().find(kPullerPassword), std::string::npos);
  EXPECT_EQ(a_->StderrText().find(kPullerPassword), std::string::npos);

  // Made writable here, it is the administrator's; a further import leaves it alone.
  auto unlocked = PatchJson(*cb_, "/api/v1/resources/" + rid, {{"readOnly", false}});
  ASSERT_EQ(unlocked->status, 200) << unlocked->body;
  Commit(*cb_, rid, OneChange(element, "edited here"));
  Json third = Import(Request(rid, Url(*a_)));
  EXPECT_EQ(third["state"], "failed");
  EXPECT_NE(third.value("error", "").find("is not a read-only import"), std::string::npos)
      << third.dump();
}

TEST_F(ImportE2eTest, RefusalsNameWhatToFixAndLeaveNothingBehind) {
  std::string rid = CreateProject(*ca_, "Source");
  Commit(*ca_, rid, RealModel());

  Json wrong = Import(Request(rid, Url(*a_), "not-the-password"));
  EXPECT_EQ(wrong["state"], "failed");
  EXPECT_NE(wrong.value("error", "").find("refused the account"), std::string::npos)
      << wrong.dump();

  const std::string unknown = "5d1c8a4e-1b2c-4d3e-8f40-000000000001";  // on no server
  Json missing = Import(Request(unknown, Url(*a_)));
  EXPECT_EQ(missing["state"], "failed");
  EXPECT_NE(missing.value("error", "").find("has no project " + unknown), std::string::npos)
      << missing.dump();
  EXPECT_EQ(cb_->Get("/sysml/v2/projects/" + rid)->status, 404);  // nothing made

  // A project of its own is not overwritten by an import of the same id.
  auto self =
      PostJson(*ca_, "/api/v1/imports",
               {{"from", Url(*a_) + "/sysml/v2"},
                {"projectId", rid},
                {"username", "puller"},
                {"password", kPullerPassword},
                {"targetCategoryId", BodyJson(ca_->Get("/api/v1/server"))["rootCategoryId"]}});
  ASSERT_EQ(self->status, 202) << self->body;
  ASSERT_TRUE(WaitUntil([&] {
    Json list = BodyJson(ca_->Get("/api/v1/imports"));
    return list.is_array() && !list.empty() && list[0]["state"] != "running";
  }));
  Json own = BodyJson(ca_->Get("/api/v1/imports"))[0];
  EXPECT_EQ(own["state"], "failed");
  EXPECT_NE(own.value("error", "").find("exists here and is not a read-only import"),
            std::string::npos)
      << own.dump();

  // Requests that cannot be run are refused at once.
  auto bad_url = PostJson(*cb_, "/api/v1/imports", Request(rid, "ftp://127.0.0.1:1"));
  EXPECT_EQ(bad_url->status, 400) << bad_url->body;
  Json no_id = Request(rid, Url(*a_));
  no_id["projectId"] = "not-a-uuid";
  EXPECT_EQ(PostJson(*cb_, "/api/v1/imports", no_id)->status, 400);
  Json extra = Request(rid, Url(*a_));
  extra["branch"] = "main";
  auto unknown_field = PostJson(*cb_, "/api/v1/imports", extra);
  EXPECT_EQ(unknown_field->status, 400);
  EXPECT_NE(unknown_field->body.find("unknown field 'branch'"), std::string::npos)
      << unknown_field->body;
  // Readers may not import.
  ASSERT_EQ(PostJson(*cb_, "/api/v1/users",
                     {{"name", "r"}, {"password", "reader-password"}, {"role", "reader"}})
                ->status,
            201);
  auto reader = b_->Client("r", "reader-password");
  EXPECT_EQ(PostJson(*reader, "/api/v1/imports", Request(rid, Url(*a_)))->status, 403);
}

TEST_F(ImportE2eTest, AnImportFromAStalledSourceIsCancelledPromptly) {
  std::string rid = CreateProject(*ca_, "Slow");
  Commit(*ca_, rid, RealModel());
  FaultProxy proxy(a_->port(), 0);
  proxy.Stall(true);
  auto r = PostJson(*cb_, "/api/v1/imports",
                    Request(rid, "http://127.0.0.1:" + std::to_string(proxy.port())));
  ASSERT_EQ(r->status, 202) << r->body;
  std::string id = BodyJson(r)["id"];
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(BodyJson(cb_->Get("/api/v1/imports/" + id))["state"], "running");
  auto start = std::chrono::steady_clock::now();
  auto cancelled = cb_->Delete("/api/v1/imports/" + id);
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->status, 200) << cancelled->body;
  EXPECT_EQ(BodyJson(cancelled)["state"], "cancelled") << cancelled->body;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // The server stops promptly with nothing running.
  EXPECT_EQ(b_->Terminate(std::chrono::seconds(10)), 0);
}

// A SysML v2 API server that answers what a test tells it to: the records of
// one project, consistent until a test breaks them.
class FakeSysmlSource {
 public:
  static constexpr char kProject[] = "6a7d9a2e-0c1f-4e55-9a51-3b8a1f0e0001";
  static constexpr char kBranch[] = "6a7d9a2e-0c1f-4e55-9a51-3b8a1f0e0002";
  static constexpr char kElement[] = "6a7d9a2e-0c1f-4e55-9a51-3b8a1f0e0003";
  static std::string CommitId(int i) {
    return "6a7d9a2e-0c1f-4e55-9a51-3b8a1f0e01" + std::to_string(10 + i);
  }

  FakeSysmlSource() {
    server_.Get(R"(/sysml/v2/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = answers_.find(req.path);
      if (it == answers_.end()) {
        res.status = 404;
        res.set_content(R"({"@type":"Error","description":"nothing here"})", "application/json");
        return;
      }
      res.set_content(it->second.first.dump(), "application/json");
      if (!it->second.second.empty()) res.set_header("Link", it->second.second);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    Reset();
  }
  ~FakeSysmlSource() {
    server_.stop();
    thread_.join();
  }
  // Two commits: the first adds the element, the second renames it.
  void Reset() {
    const std::string p = std::string("/sysml/v2/projects/") + kProject;
    Set(p, {{"@id", kProject},
            {"@type", "Project"},
            {"name", "Fake"},
            {"defaultBranch", {{"@id", kBranch}}}});
    Set(p + "/branches",
        Json::array({{{"@id", kBranch}, {"name", "main"}, {"head", {{"@id", CommitId(2)}}}}}));
    Set(p + "/tags", Json::array());
    Set(p + "/commits",
        Json::array({{{"@id", CommitId(1)}, {"previousCommit", Json::array()}},
                     {{"@id", CommitId(2)}, {"previousCommit", {{{"@id", CommitId(1)}}}}}}));
    for (int i : {1, 2}) {
      Json element = {
          {"@id", kElement}, {"@type", "PartDefinition"}, {"name", "v" + std::to_string(i)}};
      Set(p + "/commits/" + CommitId(i) + "/changes",
          Json::array({{{"identity", {{"@id", kElement}}}, {"payload", element}}}));
      Set(p + "/commits/" + CommitId(i) + "/elements", Json::array({element}));
    }
  }
  void Set(const std::string& path, Json body, std::string link = "") {
    std::lock_guard<std::mutex> lock(mu_);
    answers_[path] = {std::move(body), std::move(link)};
  }
  std::string ProjectPath() const { return std::string("/sysml/v2/projects/") + kProject; }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/sysml/v2"; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, std::pair<Json, std::string>> answers_;
};

TEST_F(ImportE2eTest, AHostileSourceIsRefusedNamingWhatIsWrongAndNoRefPointsAtWhatItSent) {
  struct Case {
    const char* what;
    std::function<void(FakeSysmlSource&)> breaks;
    const char* needle;
  };
  const std::string c1 = FakeSysmlSource::CommitId(1), c2 = FakeSysmlSource::CommitId(2);
  std::vector<Case> cases = {
      {"a page link to another server",
       [&](FakeSysmlSource& f) {
         f.Set(f.ProjectPath() + "/commits", Json::array({{{"@id", c1}}}),
               "<http://127.0.0.2:1" + f.ProjectPath() + "/commits?page=2>; rel=\"next\"");
       },
       "is on another server; it is not followed"},
      {"a page link outside the API",
       [&](FakeSysmlSource& f) {
         f.Set(f.ProjectPath() + "/commits", Json::array({{{"@id", c1}}}),
               "</api/v1/users>; rel=\"next\"");
       },
       "is outside its SysML v2 API"},
      {"commits that are each other's parent",
       [&](FakeSysmlSource& f) {
         f.Set(f.ProjectPath() + "/commits",
               Json::array({{{"@id", c1}, {"previousCommit", {{{"@id", c2}}}}},
                            {{"@id", c2}, {"previousCommit", {{{"@id", c1}}}}}}));
       },
       "in a cycle"},
      {"a parent it does not list",
       [&](FakeSysmlSource& f) {
         f.Set(f.ProjectPath() + "/commits",
               Json::array({{{"@id", c2}, {"previousCommit", {{{"@id", c1}}}}}}));
       },
       "which the source does not list"},
      {"a commit id that is no UUID",
       [&](FakeSysmlSource& f) {
         f.Set(f.ProjectPath() + "/commits", Json::array({{{"@id", "../../etc"}}}));
       },
       "is not a reference {\"@id\": UUID}"},
      {"a payload that is no object",
       [&](FakeSysmlSource& f) {
         f.Set(f.ProjectPath() + "/commits/" + c1 + "/changes",
               Json::array(
                   {{{"identity", {{"@id", FakeSysmlSource::kElement}}}, {"payload", "text"}}}));
       },
       "is not an object or null"},
      {"change sets that do not add up to its elements",
       [&](FakeSysmlSource& f) {
         f.Set(f.ProjectPath() + "/commits/" + c2 + "/elements",
               Json::array({{{"@id", FakeSysmlSource::kElement},
                             {"@type", "PartDefinition"},
                             {"name", "forged"}}}));
       },
       "differs from the source's state"},
  };
  // One source (an import goes on only from the URL it came from), broken anew each time.
  FakeSysmlSource fake;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    fake.Reset();
    c.breaks(fake);
    Json request = {{"from", fake.Url()},
                    {"projectId", FakeSysmlSource::kProject},
                    {"targetCategoryId", root_b_}};
    Json done = Import(request);
    EXPECT_EQ(done["state"], "failed") << done.dump();
    EXPECT_NE(done.value("error", "").find(c.needle), std::string::npos) << done.dump();
    // No branch points at anything the source sent.
    auto branches =
        cb_->Get("/sysml/v2/projects/" + std::string(FakeSysmlSource::kProject) + "/branches");
    if (branches->status == 200) {
      for (const auto& b : BodyJson(branches)) EXPECT_TRUE(b["head"].is_null()) << b.dump();
    }
    EXPECT_EQ(cb_->Get("/api/v1/health")->status, 200);
  }
  // The same source, unbroken, imports (the refused runs left nothing in the way).
  fake.Reset();
  Json ok = Import({{"from", fake.Url()},
                    {"projectId", FakeSysmlSource::kProject},
                    {"targetCategoryId", root_b_}});
  EXPECT_EQ(ok["state"], "succeeded") << ok.dump();
  Json head = BodyJson(cb_->Get("/sysml/v2/projects/" + std::string(FakeSysmlSource::kProject) +
                                "/commits/" + c2 + "/elements/" + FakeSysmlSource::kElement));
  EXPECT_EQ(head["name"], "v2") << head.dump();
}

}  // namespace
}  // namespace tandem::e2e
