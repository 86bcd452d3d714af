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
  auto null_or_absent = [](const Json& p, const char* k) {
    return !p.contains(k) || p[k].is_null();
  };
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
  expect_error(
      PostJson(*admin_, commits, {{"change", {change}}, {"previousCommit", {{"@id", stale}}}}), 409,
      "is not the head");
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
  expect_error(
      PostJson(*server_->Client("reader1", "reader-password"), commits, {{"change", {change}}}),
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
                     {{"username", "admin"}, {"password", "nope-nope"}})
                ->status,
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

// The Queries recipes of a SysML v2 API client, against the real model:
// run a query, keep one, run it at two commits, change it, delete it; and
// the index survives a restart.
TEST_F(ApiE2eTest, QueriesFindTheModelsElementsAndKeptQueriesRunAtAnyCommit) {
  auto [pid, cid] = CommitRealModel();
  const std::string project = "/sysml/v2/projects/" + pid;
  std::set<std::string> part_names;
  for (const auto& ch : RealModel()["change"]) {
    if (ch["payload"]["@type"] == "PartUsage")
      part_names.insert(ch["payload"]["name"].get<std::string>());
  }
  ASSERT_FALSE(part_names.empty());
  auto names_of = [](const std::vector<Json>& elements) {
    std::set<std::string> out;
    for (const auto& e : elements) {
      EXPECT_EQ(e.size(), 3u) << "select keeps name, @id and @type: " << e.dump();
      out.insert(e.value("name", ""));
    }
    return out;
  };
  Json parts{{"@type", "Query"},
             {"select", Json::array({"name"})},
             {"where",
              {{"@type", "PrimitiveConstraint"},
               {"operator", "="},
               {"property", "@type"},
               {"value", "PartUsage"}}}};
  auto run = PostJson(*admin_, project + "/query-results?page%5Bsize%5D=1000", parts);
  ASSERT_EQ(run->status, 200) << run->body;
  EXPECT_EQ(names_of(BodyJson(run).get<std::vector<Json>>()), part_names);

  // Keep it, then rename a part in a second commit: the kept query answers per commit.
  parts["name"] = "all parts";
  auto kept = PostJson(*admin_, project + "/queries", parts);
  ASSERT_EQ(kept->status, 201) << kept->body;
  std::string qid = BodyJson(kept)["@id"];
  std::string renamed_id;
  Json renamed;
  for (const auto& ch : RealModel()["change"]) {
    if (ch["payload"]["@type"] == "PartUsage") {
      renamed_id = ch["identity"]["@id"];
      renamed = ch["payload"];
      break;
    }
  }
  std::string old_name = renamed["name"];
  renamed["name"] = "renamedPart";
  auto second = PostJson(*admin_, project + "/commits",
                         {{"@type", "Commit"},
                          {"change", Json::array({{{"@type", "DataVersion"},
                                                   {"identity", {{"@id", renamed_id}}},
                                                   {"payload", renamed}}})}});
  ASSERT_EQ(second->status, 201) << second->body;
  std::string cid2 = BodyJson(second)["@id"];
  std::set<std::string> after = part_names;
  after.erase(old_name);
  after.insert("renamedPart");
  const std::string results = project + "/queries/" + qid + "/results?page%5Bsize%5D=5";
  EXPECT_EQ(names_of(GetAll(*admin_, results + "&commitId=" + cid)), part_names);
  EXPECT_EQ(names_of(GetAll(*admin_, results)), after);  // the head of the default branch

  // By name, at each commit.
  Json by_name{
      {"@type", "Query"},
      {"where", {{"operator", "="}, {"property", "name"}, {"value", Json::array({old_name})}}}};
  auto at1 = PostJson(*admin_, project + "/query-results?commitId=" + cid, by_name);
  auto at2 = PostJson(*admin_, project + "/query-results?commitId=" + cid2, by_name);
  ASSERT_EQ(at1->status, 200) << at1->body;
  ASSERT_EQ(at2->status, 200) << at2->body;
  EXPECT_EQ(BodyJson(at1).size(), 1u);
  EXPECT_EQ(BodyJson(at2).size(), 0u);

  // Change the kept query to every Usage (instanceOf follows the metamodel).
  Json usages = parts;
  usages["where"] = {{"@type", "PrimitiveConstraint"},
                     {"operator", "instanceOf"},
                     {"property", "@type"},
                     {"value", Json::array({"Usage"})}};
  auto put = admin_->Put(project + "/queries/" + qid, usages.dump(), "application/json");
  ASSERT_EQ(put->status, 200) << put->body;
  size_t expected_usages = 0;
  for (const auto& ch : RealModel()["change"]) {
    std::string t = ch["payload"]["@type"];
    if (t == "PartUsage" || t == "AttributeUsage") ++expected_usages;
  }
  EXPECT_EQ(GetAll(*admin_, results + "&commitId=" + cid).size(), expected_usages);

  // The index is stored: after a restart the same answers.
  ASSERT_EQ(server_->Terminate(), 0);
  server_ = ServerProcess::Start({dir_.Sub("data"), {}, "admin-password-1"});
  admin_ = server_->Client();
  EXPECT_EQ(names_of(GetAll(*admin_, project + "/queries/" + qid + "/results?commitId=" + cid2 +
                                         "&page%5Bsize%5D=100"))
                .count("renamedPart"),
            1u);

  EXPECT_EQ(admin_->Delete(project + "/queries/" + qid)->status, 200);
  EXPECT_EQ(admin_->Get(project + "/queries/" + qid)->status, 404);

  // A read-only copy keeps no new queries; a bad query says what to fix.
  auto lock = PatchJson(*admin_, "/api/v1/resources/" + pid, {{"readOnly", true}});
  ASSERT_EQ(lock->status, 200) << lock->body;
  EXPECT_EQ(PostJson(*admin_, project + "/queries", parts)->status, 409);
  auto bad = PostJson(*admin_, project + "/query-results",
                      {{"where", {{"operator", "~"}, {"property", "name"}, {"value", "x"}}}});
  ASSERT_EQ(bad->status, 400);
  EXPECT_NE(BodyJson(bad)["description"].get<std::string>().find(
                "use one of <, <=, =, >, >=, in, instanceOf"),
            std::string::npos);
}

TEST_F(ApiE2eTest, MetaDatatypesAnswerByUriEncodedOrNotAndUnknownOnesAre404) {
  auto all = admin_->Get("/sysml/v2/meta/datatypes");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->status, 200) << all->body;
  const std::string part = "https://www.omg.org/spec/SysML/20230201/PartUsage";
  EXPECT_EQ(BodyJson(all)["$defs"][part]["title"], "PartUsage");
  for (const std::string& path : std::vector<std::string>{
           "/sysml/v2/meta/datatypes/https:%2F%2Fwww.omg.org%2Fspec%2FSysML%2F20230201%2FPartUsage",
           "/sysml/v2/meta/datatypes/" + part, "/sysml/v2/meta/datatypes/PartUsage"}) {
    auto one = admin_->Get(path);
    ASSERT_TRUE(one) << path;
    EXPECT_EQ(one->status, 200) << path << ": " << one->body;
    EXPECT_EQ(BodyJson(one)["$id"], part) << path;
  }
  auto unknown = admin_->Get("/sysml/v2/meta/datatypes/NoSuchType");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(BodyJson(unknown)["@type"], "Error");
  EXPECT_NE(BodyJson(unknown)["description"].get<std::string>().find("no datatype 'NoSuchType'"),
            std::string::npos);
  EXPECT_EQ(admin_->Get("/sysml/v2/no/such/path")->status, 404);
}

// The recipes of the public SysML v2 API Cookbook, as a notebook user runs
// them one after another (written here from the API's documentation): a
// project, elements created without ids, updated and deleted, commits,
// branches and tags, a query in the pilot's form (a scalar value, a
// one-constraint composite), a merge and a diff.
TEST_F(ApiE2eTest, CookbookRecipesRunOneAfterAnother) {
  auto created =
      PostJson(*admin_, "/sysml/v2/projects",
               {{"@type", "Project"}, {"name", "Cookbook Demo"}, {"description", "recipes"}});
  ASSERT_EQ(created->status, 201) << created->body;
  const std::string pid = BodyJson(created)["@id"];
  const std::string p = "/sysml/v2/projects/" + pid;
  const std::string main_branch = BodyJson(created)["defaultBranch"]["@id"];
  auto commit = [&](const Json& changes, const std::string& branch = "") {
    auto r = PostJson(*admin_, p + "/commits" + (branch.empty() ? "" : "?branchId=" + branch),
                      {{"@type", "Commit"}, {"change", changes}});
    EXPECT_EQ(r->status, 201) << r->body;
    return BodyJson(r).value("@id", "");
  };
  auto element_named = [&](const std::string& cid, const std::string& name) {
    for (const auto& e : GetAll(*admin_, p + "/commits/" + cid + "/elements")) {
      if (e.value("name", "") == name) return e;
    }
    return Json();
  };

  // Create elements without ids: the server gives them.
  std::string c1 = commit(Json::array(
      {{{"@type", "DataVersion"}, {"payload", {{"@type", "PartDefinition"}, {"name", "Vehicle"}}}},
       {{"@type", "DataVersion"},
        {"payload", {{"@type", "PartDefinition"}, {"name", "Engine"}}}}}));
  Json vehicle = element_named(c1, "Vehicle"), engine = element_named(c1, "Engine");
  ASSERT_TRUE(vehicle.is_object() && engine.is_object());
  const std::string vid = vehicle["@id"], eid = engine["@id"];

  // Update one, delete the other.
  std::string c2 = commit(Json::array(
      {{{"@type", "DataVersion"},
        {"identity", {{"@id", vid}}},
        {"payload", {{"@type", "PartDefinition"}, {"name", "Car"}}}},
       {{"@type", "DataVersion"}, {"identity", {{"@id", eid}}}, {"payload", nullptr}}}));
  EXPECT_EQ(BodyJson(admin_->Get(p + "/commits/" + c2 + "/elements/" + vid))["name"], "Car");
  EXPECT_EQ(admin_->Get(p + "/commits/" + c2 + "/elements/" + eid)->status, 404);
  EXPECT_EQ(BodyJson(admin_->Get(p + "/commits/" + c1 + "/elements/" + eid))["name"], "Engine");
  Json second = BodyJson(admin_->Get(p + "/commits/" + c2));
  EXPECT_EQ(second["previousCommit"], Json::array({{{"@id", c1}}}));
  EXPECT_EQ(GetAll(*admin_, p + "/commits/" + c2 + "/changes").size(), 2u);

  // A branch with a commit of its own, and a tag.
  auto branch = PostJson(*admin_, p + "/branches",
                         {{"@type", "Branch"}, {"name", "develop"}, {"head", {{"@id", c2}}}});
  ASSERT_EQ(branch->status, 201) << branch->body;
  const std::string develop = BodyJson(branch)["@id"];
  std::string c3 = commit(Json::array({{{"@type", "DataVersion"},
                                        {"payload", {{"@type", "PartUsage"}, {"name", "wheel"}}}}}),
                          develop);
  EXPECT_EQ(BodyJson(admin_->Get(p + "/branches/" + develop))["head"]["@id"], c3);
  EXPECT_EQ(BodyJson(admin_->Get(p + "/branches/" + main_branch))["head"]["@id"], c2);
  auto tag = PostJson(*admin_, p + "/tags",
                      {{"@type", "Tag"}, {"name", "v1"}, {"taggedCommit", {{"@id", c2}}}});
  ASSERT_EQ(tag->status, 201) << tag->body;
  EXPECT_EQ(GetAll(*admin_, p + "/tags").size(), 1u);

  // A query as the Cookbook writes it: a scalar value inside a one-constraint composite.
  Json query = {{"@type", "Query"},
                {"name", "parts named wheel"},
                {"where",
                 {{"@type", "CompositeConstraint"},
                  {"operator", "and"},
                  {"constraint", Json::array({{{"@type", "PrimitiveConstraint"},
                                               {"property", "name"},
                                               {"operator", "="},
                                               {"value", "wheel"}}})}}}};
  auto results = PostJson(*admin_, p + "/query-results?commitId=" + c3, query);
  ASSERT_EQ(results->status, 200) << results->body;
  ASSERT_EQ(BodyJson(results).size(), 1u) << results->body;
  EXPECT_EQ(BodyJson(results)[0]["@type"], "PartUsage");
  auto kept = PostJson(*admin_, p + "/queries", query);
  ASSERT_EQ(kept->status, 201) << kept->body;
  // Answered in the schema's form: a composite holds two or more constraints, so the lone
  // one stands for it, and its value is a list.
  EXPECT_EQ(BodyJson(kept)["where"]["@type"], "PrimitiveConstraint") << kept->body;
  EXPECT_EQ(BodyJson(kept)["where"]["value"], Json::array({"wheel"})) << kept->body;

  // Merge develop into main: a commit with both heads as previous commits.
  auto merged = PostJson(*admin_, p + "/branches/" + main_branch + "/merge?sourceCommitId=" + c3,
                         Json::array());
  ASSERT_EQ(merged->status, 201) << merged->body;
  Json merge = BodyJson(merged);
  EXPECT_EQ(merge["previousCommit"].size(), 2u) << merged->body;
  const std::string head = merge["@id"];
  EXPECT_TRUE(element_named(head, "wheel").is_object());

  // What changed since the first commit: Vehicle renamed, Engine gone, wheel added.
  auto diff = admin_->Get(p + "/commits/" + head + "/diff?baseCommitId=" + c1);
  ASSERT_EQ(diff->status, 200) << diff->body;
  EXPECT_EQ(BodyJson(diff).size(), 3u) << diff->body;
}

}  // namespace
}  // namespace tandem::e2e
