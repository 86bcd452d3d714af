// End-to-end tests of the HTTP API against a real tandem-server process.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "tests/e2e/e2e_util.h"

namespace tandem::e2e {
namespace {

class ApiE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({dir_.Sub("data"), {}, "admin-password-1"});
    admin_ = server_->Client();
  }
  std::string Elements(const std::string& pid, const std::string& cid) {
    return "/sysml/v2/projects/" + pid + "/commits/" + cid;
  }
  // Commits the real model into a new project; returns {project, commit}.
  std::pair<std::string, std::string> CommitRealModel() {
    std::string pid = CreateProject(*admin_, "PartsTree");
    auto r = PostJson(*admin_, "/sysml/v2/projects/" + pid + "/commits", RealModel());
    EXPECT_TRUE(r);
    EXPECT_EQ(r->status, 201) << r->body;
    return {pid, BodyJson(r).value("@id", "")};
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> admin_;
};

TEST_F(ApiE2eTest, RealModelRoundTripsElementByElement) {
  auto [pid, cid] = CommitRealModel();
  std::vector<Json> listed = GetAll(*admin_, Elements(pid, cid) + "/elements?page%5Bsize%5D=50");
  ASSERT_EQ(listed.size(), 228u);
  std::map<std::string, Json> by_id;
  for (auto& e : listed) by_id[e["@id"].get<std::string>()] = e;
  ASSERT_EQ(by_id.size(), 228u) << "an element was listed twice";
  for (const auto& ch : RealModel()["change"]) {
    std::string id = ch["identity"]["@id"];
    Json expected = ch["payload"];
    expected["@id"] = id;
    EXPECT_EQ(by_id[id], expected) << id;
    auto one = admin_->Get(Elements(pid, cid) + "/elements/" + id);
    ASSERT_TRUE(one);
    EXPECT_EQ(BodyJson(one), expected) << id;
  }
}

TEST_F(ApiE2eTest, RootsAndRelationshipsMatchTheModel) {
  auto [pid, cid] = CommitRealModel();
  std::set<std::string> expected_roots;
  std::map<std::string, std::set<std::string>> out, in;
  auto null_or_absent = [](const Json& p, const char* k) { return !p.contains(k) || p[k].is_null(); };
  for (const auto& ch : RealModel()["change"]) {
    const Json& p = ch["payload"];
    std::string id = ch["identity"]["@id"];
    if (null_or_absent(p, "owner") && null_or_absent(p, "owningRelatedElement") &&
        null_or_absent(p, "owningRelationship")) {
      expected_roots.insert(id);
    }
    for (const auto& s : p.value("source", Json::array())) out[s["@id"]].insert(id);
    for (const auto& t : p.value("target", Json::array())) in[t["@id"]].insert(id);
  }
  std::set<std::string> roots;
  for (auto& e : GetAll(*admin_, Elements(pid, cid) + "/roots")) roots.insert(e["@id"]);
  EXPECT_EQ(roots, expected_roots);
  ASSERT_EQ(roots.size(), 5u);

  size_t checked = 0;
  for (const auto& ch : RealModel()["change"]) {
    std::string id = ch["identity"]["@id"];
    auto ids = [&](const std::string& dir) {
      std::set<std::string> got;
      for (auto& e : GetAll(*admin_, Elements(pid, cid) + "/elements/" + id +
                                         "/relationships?direction=" + dir)) {
        got.insert(e["@id"]);
      }
      return got;
    };
    std::set<std::string> both = out[id];
    both.insert(in[id].begin(), in[id].end());
    EXPECT_EQ(ids("out"), out[id]) << id;
    EXPECT_EQ(ids("in"), in[id]) << id;
    EXPECT_EQ(ids("both"), both) << id;
    checked += both.size();
  }
  EXPECT_GT(checked, 200u);  // the model really has relationships to check
}

TEST_F(ApiE2eTest, BadInputGetsClearErrorsAndChangesNothing) {
  auto [pid, cid] = CommitRealModel();
  const std::string commits = "/sysml/v2/projects/" + pid + "/commits";
  auto expect_error = [&](const httplib::Result& r, int status, const std::string& needle) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << r->body;
    Json body = BodyJson(r);
    EXPECT_EQ(body.value("@type", ""), "Error") << r->body;
    EXPECT_NE(body.value("description", "").find(needle), std::string::npos) << r->body;
  };
  expect_error(admin_->Post(commits, "{\"change\": [", "application/json"), 400, "not valid JSON");
  Json wrong_type = {{"change", Json::array({Json{{"payload", 5}}})}};
  expect_error(PostJson(*admin_, commits, wrong_type), 400, "payload must be an object or null");
  expect_error(PostJson(*admin_, commits, {{"change", Json::object()}}), 400, "array");
  expect_error(admin_->Get("/sysml/v2/projects/" + std::string(36, 'x')), 400, "not a UUID");
  expect_error(admin_->Get("/sysml/v2/projects/00000000-0000-4000-8000-000000000000"), 404,
               "does not exist");
  expect_error(admin_->Get(Elements(pid, "00000000-0000-4000-8000-000000000000") + "/elements"),
               404, "does not exist");
  expect_error(admin_->Get(Elements(pid, cid) + "/elements?page%5Bsize%5D=100000"), 400,
               "page[size]");
  expect_error(admin_->Get(Elements(pid, cid) + "/elements?page%5Bsize%5D=-3"), 400, "page[size]");
  Json change = {{"identity", {{"@id", "c98b83b4-9911-436c-ae0c-af6b95b81ea2"}}},
                 {"payload", {{"@type", "Part"}}}};
  // A commit built on a head that has moved is refused, not forked.
  std::string stale = cid;
  auto second = PostJson(*admin_, commits, {{"change", {change}}});
  ASSERT_EQ(second->status, 201);
  expect_error(PostJson(*admin_, commits, {{"change", {change}}, {"previousCommit", {{"@id", stale}}}}),
               409, "is not the head");
  // Credentials.
  auto anonymous = server_->Client("");
  auto r = anonymous->Get("/sysml/v2/projects");
  expect_error(r, 401, "authentication required");
  EXPECT_FALSE(r->get_header_value("WWW-Authenticate").empty());
  expect_error(server_->Client("admin", "wrong-password")->Get("/sysml/v2/projects"), 401,
               "wrong user name or password");
  ASSERT_EQ(PostJson(*admin_, "/api/v1/users",
                     {{"name", "reader1"}, {"password", "reader-password"}, {"role", "reader"}})
                ->status,
            201);
  expect_error(PostJson(*server_->Client("reader1", "reader-password"), commits, {{"change", {change}}}),
               403, "needs writer");
  // Nothing above stored anything beyond the one good second commit.
  auto all = GetAll(*admin_, commits);
  EXPECT_EQ(all.size(), 2u);
  auto branch = BodyJson(admin_->Get("/sysml/v2/projects/" + pid + "/branches"));
  EXPECT_EQ(branch[0]["head"]["@id"], BodyJson(second)["@id"]);
}

TEST_F(ApiE2eTest, ReadOnlyResourceRefusesCommitsWithAReason) {
  auto [pid, cid] = CommitRealModel();
  auto lock = PatchJson(*admin_, "/api/v1/resources/" + pid, {{"readOnly", true}});
  ASSERT_EQ(lock->status, 200) << lock->body;
  auto r = PostJson(*admin_, "/sysml/v2/projects/" + pid + "/commits", {{"change", Json::array()}});
  ASSERT_EQ(r->status, 409) << r->body;
  EXPECT_NE(BodyJson(r)["description"].get<std::string>().find("read-only"), std::string::npos);
  auto tag = PostJson(*admin_, "/sysml/v2/projects/" + pid + "/tags",
                      {{"name", "release"}, {"taggedCommit", {{"@id", cid}}}});
  EXPECT_EQ(tag->status, 409) << tag->body;
}

TEST_F(ApiE2eTest, AdminApiManagesCategoriesResourcesAndHistory) {
  auto cat = PostJson(*admin_, "/api/v1/categories", {{"name", "Libraries"}});
  ASSERT_EQ(cat->status, 201) << cat->body;
  std::string cat_id = BodyJson(cat)["id"];
  auto res = PostJson(*admin_, "/api/v1/resources",
                      {{"name", "Bolts"}, {"categoryId", cat_id}, {"projectId", "PRJ-BOLTS"}});
  ASSERT_EQ(res->status, 201) << res->body;
  Json resource = BodyJson(res);
  EXPECT_EQ(resource["projectId"], "PRJ-BOLTS");
  EXPECT_EQ(resource["readOnly"], false);
  EXPECT_TRUE(resource["origin"].is_null());
  std::string rid = resource["id"];
  // The resource is the SysML project with the same id.
  EXPECT_EQ(BodyJson(admin_->Get("/sysml/v2/projects/" + rid))["name"], "Bolts");
  auto renamed = PatchJson(*admin_, "/api/v1/resources/" + rid, {{"name", "Nuts and Bolts"}});
  EXPECT_EQ(BodyJson(renamed)["name"], "Nuts and Bolts");
  auto listed = GetAll(*admin_, "/api/v1/resources?categoryId=" + cat_id);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(admin_->Delete("/api/v1/categories/" + cat_id)->status, 409);

  auto c1 = PostJson(*admin_, "/sysml/v2/projects/" + rid + "/commits",
                     {{"description", "first"}, {"change", RealModel()["change"]}});
  ASSERT_EQ(c1->status, 201);
  auto tag = PostJson(*admin_, "/sysml/v2/projects/" + rid + "/tags",
                      {{"name", "release"}, {"taggedCommit", {{"@id", BodyJson(c1)["@id"]}}}});
  ASSERT_EQ(tag->status, 201) << tag->body;
  auto log = GetAll(*admin_, "/api/v1/resources/" + rid + "/commits");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["author"], "admin");
  EXPECT_EQ(log[0]["description"], "first");
  EXPECT_EQ(log[0]["hash"].get<std::string>().size(), 64u);
  EXPECT_EQ(log[0]["tags"][0]["name"], "release");
  EXPECT_EQ(log[0]["elementCount"], 228);
}

TEST_F(ApiE2eTest, ChangeFeedLongPollWakesOnACommit) {
  std::string pid = CreateProject(*admin_, "feed");
  Json before = BodyJson(admin_->Get("/api/v1/changes"));
  int64_t since = before["lastSeq"];
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto c = server_->Client();
    PostJson(*c, "/sysml/v2/projects/" + pid + "/commits", {{"change", Json::array()}});
  });
  auto start = std::chrono::steady_clock::now();
  auto r = admin_->Get("/api/v1/changes?since=" + std::to_string(since) + "&wait=20");
  auto waited = std::chrono::steady_clock::now() - start;
  writer.join();
  ASSERT_TRUE(r);
  Json events = BodyJson(r)["events"];
  ASSERT_EQ(events.size(), 1u) << r->body;
  EXPECT_EQ(events[0]["type"], "commit.created");
  EXPECT_EQ(events[0]["resourceId"], pid);
  EXPECT_LT(waited, std::chrono::seconds(10));  // woke on the commit, not at the deadline
  EXPECT_EQ(admin_->Get("/api/v1/changes?wait=abc")->status, 400);
}

TEST_F(ApiE2eTest, BearerTokensFromLogin) {
  auto anonymous = server_->Client("");
  auto login = PostJson(*anonymous, "/api/v1/login",
                        {{"username", "admin"}, {"password", "admin-password-1"}});
  ASSERT_EQ(login->status, 200) << login->body;
  std::string token = BodyJson(login)["token"];
  anonymous->set_bearer_token_auth(token);
  EXPECT_EQ(anonymous->Get("/api/v1/server")->status, 200);
  anonymous->set_bearer_token_auth("forged-token");
  EXPECT_EQ(anonymous->Get("/api/v1/server")->status, 401);
  EXPECT_EQ(PostJson(*server_->Client(""), "/api/v1/login",
                     {{"username", "admin"}, {"password", "nope-nope"}})->status,
            401);
}

TEST_F(ApiE2eTest, InvalidUtf8InThePathIsAnErrorNotACrash) {
  auto anonymous = server_->Client("");
  auto r = anonymous->Get("/nope%FF");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(BodyJson(r)["@type"], "Error");
  auto bad_param = admin_->Get("/sysml/v2/projects?page%5Bafter%5D=%FF");
  ASSERT_TRUE(bad_param);
  EXPECT_EQ(bad_param->status, 400);
  EXPECT_EQ(admin_->Get("/api/v1/health")->status, 200);  // still up
}

TEST_F(ApiE2eTest, UnimplementedPartsAnswer501) {
  std::string pid = CreateProject(*admin_, "q");
  auto r = admin_->Get("/sysml/v2/projects/" + pid + "/queries");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 501);
  EXPECT_EQ(BodyJson(r)["@type"], "Error");
  EXPECT_EQ(admin_->Get("/sysml/v2/no/such/path")->status, 404);
}

}  // namespace
}  // namespace tandem::e2e
