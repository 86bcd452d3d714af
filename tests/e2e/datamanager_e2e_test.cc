// End-to-end tests of the datamanager tool against the data directories of
// RUNNING tandem-server processes: each change is seen by the server at once
// (deleted resource 404, deleted user 401, read-only flag removed -> commit
// accepted), and the whole offloading procedure of docs/offloading.md: a
// one-time configuration on the archive, a delete at the source that the
// archive's copy must vouch for, the configuration removed, the copy complete
// and read-only, -rrof, and a commit on the archive.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <thread>

#include <sqlite3.h>

#include "common/ids.h"
#include "testing/repo/forged_commit.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/e2e/e2e_util.h"

namespace tandem::e2e {
namespace {

class DataManagerE2eTest : public ::testing::Test {
 protected:
  std::unique_ptr<ServerProcess> Start(const std::string& name) {
    std::string conf = dir_.Sub(name + ".conf");
    std::ofstream(conf) << "server.data-dir = \"" << dir_.Sub(name) << "\"\n"
                        << "sync.reconcile-seconds = 3600\n";
    return ServerProcess::Start({dir_.Sub(name), {"--config", conf}, "admin-password-1", 0});
  }
  ProcessResult Dm(const std::string& server, std::vector<std::string> args,
                   const std::map<std::string, std::string>& env = {}) {
    args.insert(args.begin(), {BinaryPath("tools/datamanager/datamanager"), "--data-dir",
                               dir_.Sub(server)});
    return RunProcess(args, env);
  }
  static bool WaitFor(const std::function<bool()>& done, int seconds = 30) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  static std::string Commit(httplib::Client& c, const std::string& rid, const Json& body,
                            int expected = 201) {
    auto r = PostJson(c, "/sysml/v2/projects/" + rid + "/commits", body);
    EXPECT_EQ(r->status, expected) << r->body;
    return BodyJson(r).value("@id", "");
  }
  static Json OneChange(const std::string& element, const std::string& name) {
    return {{"change", Json::array({Json{{"identity", {{"@id", element}}},
                                         {"payload", {{"@type", "PartDefinition"}, {"name", name}}}}})}};
  }
  static std::string Url(const ServerProcess& s) { return "http://127.0.0.1:" + std::to_string(s.port()); }
  static std::string Root(httplib::Client& c) { return BodyJson(c.Get("/api/v1/server"))["rootCategoryId"]; }
  // Branch name -> head commit id and hash, as the admin API shows them.
  static std::map<std::string, std::string> Heads(httplib::Client& c, const std::string& rid) {
    std::map<std::string, std::string> out;
    for (auto& b : GetAll(c, "/sysml/v2/projects/" + rid + "/branches")) {
      if (!b["head"].is_object()) continue;
      std::string head = b["head"]["@id"];
      Json commit = BodyJson(c.Get("/api/v1/resources/" + rid + "/commits/" + head));
      out[b["name"]] = head + " " + commit.value("hash", "");
    }
    return out;
  }
  static Json Config(const ServerProcess& source, const std::string& name,
                     std::vector<std::string> resources, const std::string& target_category,
                     const std::string& trigger, bool once) {
    return {{"name", name},
            {"source", {{"url", Url(source)}, {"username", "puller"}, {"password", "puller-password"}}},
            {"resources", resources},
            {"targetCategoryId", target_category},
            {"trigger", {{"type", trigger}}},
            {"once", once}};
  }

  TempDir dir_;
};

TEST_F(DataManagerE2eTest, ARunningServerSeesEachChangeAtOnce) {
  auto s = Start("s");
  auto admin = s->Client();
  ASSERT_EQ(PostJson(*admin, "/api/v1/users",
                     {{"name", "bob"}, {"password", "bob-password"}, {"role", "writer"}})->status, 201);
  auto bob = s->Client("bob", "bob-password");
  std::string doomed = CreateProject(*admin, "Doomed");
  Commit(*admin, doomed, RealModel());
  std::string locked = CreateProject(*admin, "Locked");
  std::string element = RealModel()["change"][0]["identity"]["@id"];
  Commit(*admin, locked, OneChange(element, "first"));
  ASSERT_EQ(PatchJson(*admin, "/api/v1/resources/" + locked, {{"readOnly", true}})->status, 200);
  Commit(*admin, locked, OneChange(element, "refused"), 409);
  // Warm the server's caches: bob's verified password, the trie nodes of the doomed model.
  ASSERT_EQ(bob->Get("/sysml/v2/projects/" + doomed)->status, 200);
  ASSERT_EQ(GetAll(*bob, "/sysml/v2/projects/" + doomed + "/commits/" +
                             BodyJson(bob->Get("/sysml/v2/projects/" + doomed + "/commits"))[0]["@id"]
                                 .get<std::string>() +
                             "/elements?page%5Bsize%5D=1000")
                .size(),
            RealModel()["change"].size());

  std::string token = BodyJson(PostJson(*admin, "/api/v1/login",
                                        {{"username", "bob"}, {"password", "bob-password"}}))["token"];
  httplib::Client bearer("127.0.0.1", s->port());
  bearer.set_bearer_token_auth(token);
  ASSERT_EQ(bearer.Get("/sysml/v2/projects")->status, 200);

  auto du = Dm("s", {"-du", "bob"});
  ASSERT_EQ(du.exit_code, 0) << du.err;
  EXPECT_EQ(bob->Get("/sysml/v2/projects")->status, 401);
  EXPECT_EQ(bearer.Get("/sysml/v2/projects")->status, 401);

  auto dr = Dm("s", {"-dr", doomed});
  ASSERT_EQ(dr.exit_code, 0) << dr.err;
  EXPECT_NE(dr.out.find("freed "), std::string::npos) << dr.out;
  EXPECT_EQ(admin->Get("/sysml/v2/projects/" + doomed)->status, 404);

  // The same content committed again after the collection: the server's node
  // cache still holds the deleted model's nodes, and the commit must store
  // them anew rather than trust the cache.
  std::string again = CreateProject(*admin, "Again");
  std::string commit = Commit(*admin, again, RealModel());
  EXPECT_EQ(GetAll(*admin, "/sysml/v2/projects/" + again + "/commits/" + commit +
                               "/elements?page%5Bsize%5D=1000")
                .size(),
            RealModel()["change"].size());

  auto rrof = Dm("s", {"-rrof", "--resourceID=" + locked});
  ASSERT_EQ(rrof.exit_code, 0) << rrof.err;
  Commit(*admin, locked, OneChange(element, "accepted"));

  auto verify = Dm("s", {"--verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  std::string log = ReadFile(dir_.Sub("s") + "/datamanager.log");
  EXPECT_NE(log.find("-du bob] exit=0"), std::string::npos) << log;
  EXPECT_NE(log.find("-dr " + doomed + "] exit=0"), std::string::npos) << log;
  EXPECT_EQ(s->Terminate(), 0);
}

// A record the read path cannot render (100 000 levels deep, hashes correct)
// planted into a stopped server's SQLite file: listing the elements is a clean
// error and the server stays up; --verify names the record and fails.
TEST_F(DataManagerE2eTest, AnOverDeepElementPlantedInTheStoreIsAnErrorNotACrash) {
  std::string rid, element = NewUuid(), planted = NewUuid();
  {
    auto s = Start("s");
    auto admin = s->Client();
    rid = CreateProject(*admin, "Planted");
    std::string head = Commit(*admin, rid, OneChange(element, "first"));
    ASSERT_EQ(s->Terminate(), 0);
    std::string db = dir_.Sub("s") + "/tandem.db";
    std::string text = R"({"@id":")" + element + R"(","@type":"PartDefinition","x":)" +
                       std::string(100'000, '[') + std::string(100'000, ']') + "}";
    {
      auto store = SqliteStore::Open(db).value();
      auto txn = store->BeginWrite().value();
      tandem::Commit c1 = txn->GetCommit(head).value().value();
      std::string branch = txn->GetResource(rid).value()->default_branch_id;
      tandem::Commit base = c1;
      base.id = planted;
      auto forged = testing::ForgeCommit(*txn, base, c1, element, text).value();
      ASSERT_TRUE(testing::PlantCommit(*txn, forged, branch, head).ok());
      ASSERT_TRUE(txn->CommitTransaction().ok());
    }
    // The element version's row itself, with plain SQL.
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* insert = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(raw,
                                 "INSERT INTO element_versions(hash, codec, raw_size, data) "
                                 "VALUES(?, 0, ?, ?)",
                                 -1, &insert, nullptr),
              SQLITE_OK);
    Hash version = Sha256(text);
    sqlite3_bind_blob(insert, 1, version.data(), static_cast<int>(version.size()), SQLITE_STATIC);
    sqlite3_bind_int64(insert, 2, static_cast<sqlite3_int64>(text.size()));
    sqlite3_bind_blob(insert, 3, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
    EXPECT_EQ(sqlite3_step(insert), SQLITE_DONE) << sqlite3_errmsg(raw);
    sqlite3_finalize(insert);
    sqlite3_close(raw);
  }
  auto s = Start("s");
  auto admin = s->Client();
  for (const std::string& path :
       {"/sysml/v2/projects/" + rid + "/commits/" + planted + "/elements",
        "/sysml/v2/projects/" + rid + "/commits/" + planted + "/elements/" + element,
        "/sysml/v2/projects/" + rid + "/commits/" + planted + "/roots"}) {
    auto r = admin->Get(path);
    ASSERT_TRUE(r) << path;
    // A 500 says no more than that; the log names the record.
    EXPECT_EQ(r->status, 500) << path << ": " << r->body;
    EXPECT_EQ(BodyJson(r)["@type"], "Error") << r->body;
    ASSERT_EQ(admin->Get("/api/v1/health")->status, 200) << "the server died on " << path;
  }
  std::string log = s->StderrText();
  EXPECT_NE(log.find("nests deeper than the limit of 10000 levels"), std::string::npos) << log;
  EXPECT_EQ(s->Terminate(), 0);

  auto verify = Dm("s", {"--verify"});
  EXPECT_NE(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("CORRUPT project 'Planted' (" + rid + ") commit " + planted +
                            " element " + element),
            std::string::npos)
      << verify.out;
  EXPECT_NE(verify.out.find("nests deeper than the limit of 64 levels (server.max-json-depth)"),
            std::string::npos)
      << verify.out;
}

TEST_F(DataManagerE2eTest, OffloadingToAnArchiveEndToEnd) {
  auto source = Start("source"), archive = Start("archive");
  auto cs = source->Client(), ca = archive->Client();
  ASSERT_EQ(PostJson(*cs, "/api/v1/users",
                     {{"name", "puller"}, {"password", "puller-password"}, {"role", "reader"}})->status,
            201);
  // The archive's account that datamanager uses to ask for the copies.
  ASSERT_EQ(PostJson(*ca, "/api/v1/users",
                     {{"name", "checker"}, {"password", "checker-password"}, {"role", "reader"}})->status,
            201);
  std::map<std::string, std::string> creds = {{"TANDEM_USER", "checker"},
                                              {"TANDEM_PASSWORD", "checker-password"}};
  std::string element = RealModel()["change"][0]["identity"]["@id"];
  std::string dormant = CreateProject(*cs, "Dormant");
  std::string c1 = Commit(*cs, dormant, RealModel());
  Commit(*cs, dormant, OneChange(element, "last edit"));
  ASSERT_EQ(PostJson(*cs, "/sysml/v2/projects/" + dormant + "/branches",
                     {{"name", "review"}, {"head", {{"@id", c1}}}})->status, 201);
  std::string active = CreateProject(*cs, "Active");
  Commit(*cs, active, OneChange(element, "v1"));
  auto source_heads = Heads(*cs, dormant);
  ASSERT_EQ(source_heads.size(), 2u);
  uint64_t source_commits = GetAll(*cs, "/api/v1/resources/" + dormant + "/commits").size();

  // Without credentials, or before the archive has a copy: refused, nothing deleted.
  auto no_creds = Dm("source", {"-dr", dormant, "--require-copy-at", Url(*archive)});
  EXPECT_EQ(no_creds.exit_code, 2);
  EXPECT_NE(no_creds.err.find("TANDEM_USER and TANDEM_PASSWORD"), std::string::npos) << no_creds.err;
  auto no_copy = Dm("source", {"-dr", dormant, "--require-copy-at", Url(*archive)}, creds);
  EXPECT_EQ(no_copy.exit_code, 4);
  EXPECT_NE(no_copy.err.find("holds no copy"), std::string::npos) << no_copy.err;
  EXPECT_EQ(cs->Get("/sysml/v2/projects/" + dormant)->status, 200);
  // The source itself "holds" the resource: never a copy to rely on.
  ASSERT_EQ(PostJson(*cs, "/api/v1/users",
                     {{"name", "checker"}, {"password", "checker-password"}, {"role", "reader"}})->status,
            201);
  auto itself = Dm("source", {"-dr", dormant, "--require-copy-at", Url(*source)}, creds);
  EXPECT_EQ(itself.exit_code, 4);
  EXPECT_NE(itself.err.find("is this server itself"), std::string::npos) << itself.err;
  EXPECT_EQ(cs->Get("/sysml/v2/projects/" + dormant)->status, 200);

  // Step 1 (archive): a one-time configuration with the commit trigger.
  auto once = PostJson(*ca, "/api/v1/remote-configs",
                       Config(*source, "offload-dormant", {dormant}, Root(*ca), "commit", true));
  ASSERT_EQ(once->status, 201) << once->body;
  std::string once_id = BodyJson(once)["id"];
  ASSERT_TRUE(WaitFor([&] {
    return BodyJson(ca->Get("/api/v1/remote-configs/" + once_id + "/status"))["state"] == "completed";
  }));
  // An ongoing configuration copies the other project; it then moves on at the source.
  auto ongoing = PostJson(*ca, "/api/v1/remote-configs",
                          Config(*source, "follow-active", {active}, Root(*ca), "manual", false));
  ASSERT_EQ(ongoing->status, 201) << ongoing->body;
  std::string ongoing_id = BodyJson(ongoing)["id"];
  ASSERT_EQ(ca->Post("/api/v1/remote-configs/" + ongoing_id + "/sync?wait=true", "",
                     "application/json")->status, 200);
  Commit(*cs, active, OneChange(element, "v2"));

  // Step 2 (source, still running): a verified delete. A copy that is behind
  // refuses the whole command.
  auto behind = Dm("source", {"-dr", dormant, active, "--require-copy-at", Url(*archive)}, creds);
  EXPECT_EQ(behind.exit_code, 4);
  EXPECT_NE(behind.err.find("project 'Active' (" + active + ") branch 'main'"), std::string::npos)
      << behind.err;
  EXPECT_NE(behind.err.find("behind or differs"), std::string::npos) << behind.err;
  EXPECT_EQ(cs->Get("/sysml/v2/projects/" + dormant)->status, 200);
  auto deleted = Dm("source", {"-dr", dormant, "--require-copy-at", Url(*archive)}, creds);
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_NE(deleted.out.find("has a complete copy at " + Url(*archive)), std::string::npos)
      << deleted.out;
  EXPECT_EQ(cs->Get("/sysml/v2/projects/" + dormant)->status, 404);
  EXPECT_EQ(ReadFile(dir_.Sub("source") + "/datamanager.log").find("checker-password"),
            std::string::npos);

  // Step 3 (archive): the configuration is removed; the copy is complete and read-only.
  EXPECT_EQ(ca->Delete("/api/v1/remote-configs/" + once_id)->status, 204);
  EXPECT_EQ(Heads(*ca, dormant), source_heads);
  EXPECT_EQ(GetAll(*ca, "/api/v1/resources/" + dormant + "/commits").size(), source_commits);
  EXPECT_EQ(BodyJson(ca->Get("/api/v1/resources/" + dormant))["readOnly"], true);
  Commit(*ca, dormant, OneChange(element, "refused"), 409);

  // Making it editable again: -rrof on the running archive, then a commit.
  auto rrof = Dm("archive", {"-rrof", "--resourceID=" + dormant});
  ASSERT_EQ(rrof.exit_code, 0) << rrof.err;
  Commit(*ca, dormant, OneChange(element, "edited in the archive"));

  // The ongoing configuration still covers the other copy: refused unless
  // forced, and a forced copy is left alone by synchronization ("detached").
  auto refused = Dm("archive", {"-rrof", "--resourceID=" + active});
  EXPECT_EQ(refused.exit_code, 4);
  EXPECT_NE(refused.err.find("'follow-active' (" + ongoing_id + ")"), std::string::npos) << refused.err;
  EXPECT_EQ(BodyJson(ca->Get("/api/v1/resources/" + active))["readOnly"], true);
  auto forced = Dm("archive", {"-rrof", "--resourceID=" + active, "--force"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  Json run = BodyJson(ca->Post("/api/v1/remote-configs/" + ongoing_id + "/sync?wait=true", "",
                               "application/json"));
  bool detached = false;
  for (auto& row : run["report"]["resources"]) {
    if (row["sourceId"] == active) detached = row["state"] == "detached";
  }
  EXPECT_TRUE(detached) << run.dump();
  Commit(*ca, active, OneChange(element, "local edit"));

  EXPECT_EQ(Dm("source", {"--verify"}).exit_code, 0);
  EXPECT_EQ(Dm("archive", {"--verify"}).exit_code, 0);
}

}  // namespace
}  // namespace tandem::e2e
