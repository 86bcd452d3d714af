// The permission matrix: every registered route × every kind of caller
// (anonymous, reader, writer, sync-manager with the remote configuration's
// category in scope, sync-manager without it, admin) against an in-process
// ApiServer on a real SQLite store, over real HTTP. The expected access of each
// route is written here, independently of the policies the routes declare, and
// the test fails when a route is registered without a row (or a row names a
// route that no longer exists). A second in-process server is the source that
// remote configurations point to.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>
#include <thread>

#include "api/api_server.h"
#include "common/clock.h"
#include "common/ids.h"
#include "store/sqlite/sqlite_store.h"
#include "sync/credential_box.h"
#include "sync/http_sync_source.h"
#include "tests/e2e/e2e_util.h"

namespace tandem {
namespace {

using e2e::BodyJson;
using e2e::Json;
using e2e::TempDir;

constexpr char kAdminPassword[] = "admin-password-1";
constexpr char kUserPassword[] = "user-password-1";

// One Tandem server in this process: store, repository, authenticator, sync
// engine and HTTP API on a free port of 127.0.0.1.
class InProcessServer {
 public:
  InProcessServer() {
    store_ = std::move(SqliteStore::Open(dir_.Sub("tandem.db")).value());
    repo_ = std::make_unique<Repository>(*store_, SystemClock::Instance());
    EXPECT_TRUE(repo_->Bootstrap().ok());
    auth_ = std::make_unique<Authenticator>(*store_, SystemClock::Instance());
    EXPECT_TRUE(auth_->BootstrapAdmin(std::string(kAdminPassword)).ok());
    engine_ = std::make_unique<SyncEngine>(*repo_, CredentialBox::Open(dir_.Sub("secret.key")).value(),
                                           SystemClock::Instance(), HttpSourceFactory());
    EXPECT_TRUE(engine_->Start().ok());
    ApiOptions options;
    options.bundle_dir = dir_.Sub("bundle-uploads");
    api_ = std::make_unique<ApiServer>(*repo_, *auth_, engine_.get(), options);
    port_ = api_->Bind("127.0.0.1", 0).value();
    serving_ = std::thread([this] { EXPECT_TRUE(api_->Serve().ok()); });
  }
  ~InProcessServer() {
    api_->Stop();
    serving_.join();
    engine_->Stop();
  }

  std::unique_ptr<httplib::Client> Client(const std::string& user = "",
                                          const std::string& password = "") const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
    c->set_read_timeout(60, 0);
    if (!user.empty()) c->set_basic_auth(user, password);
    return c;
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const ApiServer& api() const { return *api_; }

 private:
  TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Repository> repo_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<SyncEngine> engine_;
  std::unique_ptr<ApiServer> api_;
  int port_ = 0;
  std::thread serving_;
};

// Who may call a route, as this test expects it.
enum class Access {
  kPublic,      // everyone, without credentials
  kReader,      // every authenticated user
  kWriter,      // writer, admin
  kAdmin,       // admin only
  kScoped,      // admin, sync-manager with the category in scope
  kScopedList,  // admin and both sync-managers (the list is filtered by scope)
  kSyncManager, // admin and both sync-managers (what they touch is their own)
};

enum class Caller { kAnonymous, kReader, kWriter, kSyncManagerInScope, kSyncManagerOutOfScope, kAdmin };

const char* CallerName(Caller c) {
  switch (c) {
    case Caller::kAnonymous: return "anonymous";
    case Caller::kReader: return "reader";
    case Caller::kWriter: return "writer";
    case Caller::kSyncManagerInScope: return "sync-manager in scope";
    case Caller::kSyncManagerOutOfScope: return "sync-manager out of scope";
    case Caller::kAdmin: return "admin";
  }
  return "?";
}

bool Allowed(Access access, Caller c) {
  switch (access) {
    case Access::kPublic: return true;
    case Access::kReader: return c != Caller::kAnonymous;
    case Access::kWriter: return c == Caller::kWriter || c == Caller::kAdmin;
    case Access::kAdmin: return c == Caller::kAdmin;
    case Access::kScoped: return c == Caller::kSyncManagerInScope || c == Caller::kAdmin;
    case Access::kScopedList:
    case Access::kSyncManager:
      return c == Caller::kSyncManagerInScope || c == Caller::kSyncManagerOutOfScope ||
             c == Caller::kAdmin;
  }
  return false;
}

struct Request {
  std::string path;
  std::optional<Json> body;
};

class PermissionMatrixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_ = target_.Client("admin", kAdminPassword);
    // The source: one project and an account for targets to pull with.
    auto source_admin = source_.Client("admin", kAdminPassword);
    ASSERT_EQ(Post(*source_admin, "/api/v1/users",
                   {{"name", "puller"}, {"password", "puller-password"}, {"role", "reader"}}),
              201);
    source_project_ = e2e::CreateProject(*source_admin, "library");

    root_ = BodyJson(admin_->Get("/api/v1/server"))["rootCategoryId"];
    in_scope_ = FreshCategory();
    out_of_scope_ = FreshCategory();
    AddUser("reader", "reader");
    AddUser("writer", "writer");
    AddUser("victim", "reader");
    AddUser("manager-in", "sync-manager", {in_scope_});
    AddUser("manager-out", "sync-manager", {out_of_scope_});

    project_ = e2e::CreateProject(*admin_, "model");
    element_ = NewUuid();
    auto commit = e2e::PostJson(*admin_, "/sysml/v2/projects/" + project_ + "/commits",
                                CommitBody(element_));
    ASSERT_EQ(commit->status, 201) << commit->body;
    commit_ = BodyJson(commit)["@id"];
    Json project = BodyJson(admin_->Get("/sysml/v2/projects/" + project_));
    branch_ = project["defaultBranch"]["@id"];
    tag_ = FreshTag();
    query_ = FreshQuery();
    Json changes = BodyJson(admin_->Get(CommitPath() + "/changes"));
    ASSERT_TRUE(changes.is_array() && !changes.empty()) << changes.dump();
    change_ = changes[0]["@id"];
    config_ = FreshConfig();
    usage_ = UsedElementPath();
    auto import = e2e::PostJson(*admin_, "/api/v1/imports", ImportBody(in_scope_));
    ASSERT_EQ(import->status, 202) << import->body;
    import_ = BodyJson(import)["id"];
  }

  static int Post(httplib::Client& c, const std::string& path, const Json& body) {
    auto r = e2e::PostJson(c, path, body);
    EXPECT_TRUE(r) << path;
    return r ? r->status : 0;
  }
  static std::string Unique(const std::string& prefix) { return prefix + "-" + RandomHex(4); }
  static Json CommitBody(const std::string& element) {
    return {{"@type", "Commit"},
            {"change",
             {{{"@type", "DataVersion"},
               {"identity", {{"@id", element}}},
               {"payload", {{"@type", "PartDefinition"}, {"@id", element}, {"name", "part"}}}}}}};
  }
  std::string Created(const std::string& path, const Json& body, const char* id_key = "@id") {
    auto r = e2e::PostJson(*admin_, path, body);
    EXPECT_TRUE(r && r->status == 201) << path << ": " << (r ? r->body : "no answer");
    return r ? BodyJson(r).value(id_key, "") : "";
  }
  void AddUser(const std::string& name, const std::string& role,
               const std::vector<std::string>& scopes = {}) {
    Json body = {{"name", name}, {"password", kUserPassword}, {"role", role}};
    if (!scopes.empty()) body["scopes"] = scopes;
    ASSERT_EQ(Post(*admin_, "/api/v1/users", body), 201);
  }
  std::string FreshCategory() {
    return Created("/api/v1/categories", {{"name", Unique("category")}, {"parentId", root_}}, "id");
  }
  std::string FreshProject() { return e2e::CreateProject(*admin_, Unique("project")); }
  Json BranchBody() const {
    return {{"@type", "Branch"}, {"name", Unique("branch")}, {"head", {{"@id", commit_}}}};
  }
  Json TagBody() const {
    return {{"@type", "Tag"}, {"name", Unique("tag")}, {"taggedCommit", {{"@id", commit_}}}};
  }
  std::string FreshBranch() { return Created(ProjectPath() + "/branches", BranchBody()); }
  std::string FreshTag() { return Created(ProjectPath() + "/tags", TagBody()); }
  // GET .../projectUsage of an element another project brings into a commit of its own.
  std::string UsedElementPath() {
    std::string app = FreshProject();
    std::string usage = NewUuid();
    Json body = {{"@type", "Commit"},
                 {"change",
                  {{{"@type", "DataVersion"},
                    {"identity", {{"@id", usage}}},
                    {"payload",
                     {{"@type", "ProjectUsage"},
                      {"@id", usage},
                      {"usedProject", {{"@id", project_}}},
                      {"usedCommit", {{"@id", commit_}}}}}}}}};
    std::string app_commit = Created("/sysml/v2/projects/" + app + "/commits", body);
    return "/sysml/v2/projects/" + app + "/commits/" + app_commit + "/elements/" + element_ +
           "/projectUsage";
  }
  // A commit on a branch of its own, forked at commit_ (something to merge).
  std::string FreshSideCommit() {
    return Created(ProjectPath() + "/commits?branchId=" + FreshBranch(), CommitBody(NewUuid()));
  }
  static Json QueryBody() {
    return Json{{"@type", "Query"},
                {"name", Unique("q")},
                {"where",
                 {{"@type", "PrimitiveConstraint"},
                  {"operator", "="},
                  {"property", "@type"},
                  {"value", Json::array({"PartUsage"})}}}};
  }
  std::string FreshQuery() { return Created(ProjectPath() + "/queries", QueryBody()); }
  std::string FreshUser() {
    std::string name = Unique("user");
    AddUser(name, "reader");
    return name;
  }
  Json ConfigBody(const std::string& category) const {
    return {{"name", Unique("config")},
            {"source",
             {{"url", source_.Url()}, {"username", "puller"}, {"password", "puller-password"}}},
            {"resources", Json::array({source_project_})},
            {"targetCategoryId", category},
            {"trigger", {{"type", "manual"}}}};
  }
  Json ImportBody(const std::string& category) const {
    return {{"from", source_.Url() + "/sysml/v2"},
            {"projectId", NewUuid()},
            {"username", "puller"},
            {"password", "puller-password"},
            {"targetCategoryId", category}};
  }
  std::string FreshConfig() { return Created("/api/v1/remote-configs", ConfigBody(in_scope_), "id"); }
  // The caller's own bundle upload (uploads are private to who made them);
  // a caller who may not make one gets an id that names none.
  std::string UploadOf(Caller c) {
    auto known = uploads_.find(c);
    if (known != uploads_.end()) return known->second;
    return uploads_[c] = FreshUpload(c);
  }
  // A new upload of the caller's, not remembered (for the delete row).
  std::string FreshUpload(Caller c) {
    auto r = e2e::PostJson(*ClientFor(c), "/api/v1/bundles/uploads", Json::object());
    if (r && r->status == 201) return BodyJson(r).value("id", "");
    return NewUuid();
  }
  void DiscardUploadOf(Caller c) {
    auto known = uploads_.find(c);
    if (known == uploads_.end()) return;
    ClientFor(c)->Delete("/api/v1/bundles/uploads/" + known->second);
    uploads_.erase(known);
  }
  std::string ProjectPath() const { return "/sysml/v2/projects/" + project_; }
  std::string CommitPath() const { return ProjectPath() + "/commits/" + commit_; }

  std::unique_ptr<httplib::Client> ClientFor(Caller c) const {
    switch (c) {
      case Caller::kAnonymous: return target_.Client();
      case Caller::kReader: return target_.Client("reader", kUserPassword);
      case Caller::kWriter: return target_.Client("writer", kUserPassword);
      case Caller::kSyncManagerInScope: return target_.Client("manager-in", kUserPassword);
      case Caller::kSyncManagerOutOfScope: return target_.Client("manager-out", kUserPassword);
      case Caller::kAdmin: return target_.Client("admin", kAdminPassword);
    }
    return nullptr;
  }

  InProcessServer source_;
  InProcessServer target_;
  std::unique_ptr<httplib::Client> admin_;
  std::string source_project_, root_, in_scope_, out_of_scope_;
  std::string project_, element_, commit_, branch_, tag_, query_, change_, config_, usage_, import_;
  Caller caller_ = Caller::kAnonymous;  // whom the matrix is asking now
  std::map<Caller, std::string> uploads_;
};

struct Row {
  Method method;
  std::string pattern;  // as registered, with {id} for a path capture
  Access access;
  int ok_status;  // the answer to a caller who may
  std::function<Request()> request;
};

// "{id}" and "{user}" stand for the capture groups the routes register.
std::string Pattern(std::string p) {
  for (auto [from, to] : {std::pair<std::string, std::string>{"{id}", "([^/]+)"},
                          {"{user}", "([A-Za-z0-9._@-]+)"}}) {
    for (size_t at; (at = p.find(from)) != std::string::npos;) p.replace(at, from.size(), to);
  }
  return p;
}

httplib::Result Send(httplib::Client& c, Method m, const Request& r) {
  std::string body = r.body ? r.body->dump() : "";
  switch (m) {
    case Method::kGet: {
      if (!r.body) return c.Get(r.path);
      httplib::Request get;  // a GET with a body, as GET /query-results takes one
      get.method = "GET";
      get.path = r.path;
      get.body = body;
      get.set_header("Content-Type", "application/json");
      return c.send(get);
    }
    case Method::kPost: return c.Post(r.path, body, "application/json");
    case Method::kPut: return c.Put(r.path, body, "application/json");
    case Method::kPatch: return c.Patch(r.path, body, "application/json");
    case Method::kDelete: return c.Delete(r.path);
  }
  return c.Get(r.path);
}

TEST_F(PermissionMatrixTest, EveryRouteAnswersEveryCallerAsExpected) {
  const std::string sysml = "/sysml/v2/projects/{id}";
  const std::string commit = sysml + "/commits/{id}";
  auto fixed = [](std::string path, std::optional<Json> body = std::nullopt) {
    return [path, body] { return Request{path, body}; };
  };
  const std::string p = ProjectPath();
  const std::string c = CommitPath();
  const std::string e = c + "/elements/" + element_;
  const std::string cfg = "/api/v1/remote-configs/" + config_;
  std::vector<Row> rows = {
      // SysML v2 API: projects, branches, tags.
      {Method::kGet, "/sysml/v2/projects", Access::kReader, 200, fixed("/sysml/v2/projects")},
      {Method::kPost, "/sysml/v2/projects", Access::kWriter, 201,
       [] { return Request{"/sysml/v2/projects", Json{{"@type", "Project"}, {"name", Unique("p")}}}; }},
      {Method::kGet, sysml, Access::kReader, 200, fixed(p)},
      {Method::kPut, sysml, Access::kWriter, 200,
       fixed(p, Json{{"@type", "Project"}, {"name", "model"}})},
      {Method::kDelete, sysml, Access::kAdmin, 200,
       [this] { return Request{"/sysml/v2/projects/" + FreshProject(), {}}; }},
      {Method::kGet, sysml + "/branches", Access::kReader, 200, fixed(p + "/branches")},
      {Method::kPost, sysml + "/branches", Access::kWriter, 201,
       [this, p] { return Request{p + "/branches", BranchBody()}; }},
      {Method::kGet, sysml + "/branches/{id}", Access::kReader, 200, fixed(p + "/branches/" + branch_)},
      {Method::kDelete, sysml + "/branches/{id}", Access::kWriter, 200,
       [this, p] { return Request{p + "/branches/" + FreshBranch(), {}}; }},
      {Method::kPost, sysml + "/branches/{id}/merge", Access::kWriter, 201,
       [this, p] {
         return Request{p + "/branches/" + FreshBranch() + "/merge?sourceCommitId=" + FreshSideCommit(),
                        Json::array()};
       }},
      {Method::kGet, sysml + "/tags", Access::kReader, 200, fixed(p + "/tags")},
      {Method::kPost, sysml + "/tags", Access::kWriter, 201,
       [this, p] { return Request{p + "/tags", TagBody()}; }},
      {Method::kGet, sysml + "/tags/{id}", Access::kReader, 200, fixed(p + "/tags/" + tag_)},
      {Method::kDelete, sysml + "/tags/{id}", Access::kWriter, 200,
       [this, p] { return Request{p + "/tags/" + FreshTag(), {}}; }},
      // Commits and what they hold.
      {Method::kGet, sysml + "/commits", Access::kReader, 200, fixed(p + "/commits")},
      {Method::kPost, sysml + "/commits", Access::kWriter, 201,
       [p] { return Request{p + "/commits", CommitBody(NewUuid())}; }},
      {Method::kGet, commit, Access::kReader, 200, fixed(c)},
      {Method::kGet, commit + "/changes", Access::kReader, 200, fixed(c + "/changes")},
      {Method::kGet, commit + "/changes/{id}", Access::kReader, 200, fixed(c + "/changes/" + change_)},
      {Method::kGet, commit + "/elements", Access::kReader, 200, fixed(c + "/elements")},
      {Method::kGet, commit + "/elements/{id}", Access::kReader, 200, fixed(e)},
      {Method::kGet, commit + "/elements/{id}/projectUsage", Access::kReader, 200, fixed(usage_)},
      {Method::kGet, commit + "/elements/{id}/relationships", Access::kReader, 200,
       fixed(e + "/relationships")},
      {Method::kGet, commit + "/roots", Access::kReader, 200, fixed(c + "/roots")},
      {Method::kGet, commit + "/diff", Access::kReader, 200, fixed(c + "/diff?baseCommitId=" + commit_)},
      // The Query service: keeping a query writes to the project, running one reads.
      {Method::kGet, sysml + "/queries", Access::kReader, 200, fixed(p + "/queries")},
      {Method::kPost, sysml + "/queries", Access::kWriter, 201,
       [p] { return Request{p + "/queries", QueryBody()}; }},
      {Method::kGet, sysml + "/query-results", Access::kReader, 200,
       fixed(p + "/query-results", QueryBody())},
      {Method::kPost, sysml + "/query-results", Access::kReader, 200,
       fixed(p + "/query-results", QueryBody())},
      {Method::kGet, sysml + "/queries/{id}", Access::kReader, 200, fixed(p + "/queries/" + query_)},
      {Method::kPut, sysml + "/queries/{id}", Access::kWriter, 200,
       fixed(p + "/queries/" + query_, QueryBody())},
      {Method::kDelete, sysml + "/queries/{id}", Access::kWriter, 200,
       [this, p] { return Request{p + "/queries/" + FreshQuery(), {}}; }},
      {Method::kGet, sysml + "/queries/{id}/results", Access::kReader, 200,
       fixed(p + "/queries/" + query_ + "/results")},
      // The metamodel's data types.
      {Method::kGet, "/sysml/v2/meta/datatypes", Access::kReader, 200, fixed("/sysml/v2/meta/datatypes")},
      {Method::kGet, "/sysml/v2/meta/datatypes/(.+)", Access::kReader, 200,
       fixed("/sysml/v2/meta/datatypes/https:%2F%2Fwww.omg.org%2Fspec%2FSysML%2F20230201%2FPartUsage")},
      // Administration API.
      {Method::kGet, "/api/v1/categories", Access::kReader, 200, fixed("/api/v1/categories")},
      {Method::kPost, "/api/v1/categories", Access::kAdmin, 201,
       [this] {
         return Request{"/api/v1/categories", Json{{"name", Unique("c")}, {"parentId", root_}}};
       }},
      {Method::kGet, "/api/v1/categories/{id}", Access::kReader, 200,
       fixed("/api/v1/categories/" + in_scope_)},
      {Method::kPatch, "/api/v1/categories/{id}", Access::kAdmin, 200,
       fixed("/api/v1/categories/" + out_of_scope_, Json{{"description", "patched"}})},
      {Method::kDelete, "/api/v1/categories/{id}", Access::kAdmin, 204,
       [this] { return Request{"/api/v1/categories/" + FreshCategory(), {}}; }},
      {Method::kGet, "/api/v1/resources", Access::kReader, 200, fixed("/api/v1/resources")},
      {Method::kPost, "/api/v1/resources", Access::kWriter, 201,
       [] { return Request{"/api/v1/resources", Json{{"name", Unique("r")}}}; }},
      {Method::kGet, "/api/v1/resources/{id}", Access::kReader, 200,
       fixed("/api/v1/resources/" + project_)},
      {Method::kPatch, "/api/v1/resources/{id}", Access::kWriter, 200,
       fixed("/api/v1/resources/" + project_, Json{{"description", "patched"}})},
      {Method::kDelete, "/api/v1/resources/{id}", Access::kAdmin, 204,
       [this] { return Request{"/api/v1/resources/" + FreshProject(), {}}; }},
      {Method::kGet, "/api/v1/resources/{id}/commits", Access::kReader, 200,
       fixed("/api/v1/resources/" + project_ + "/commits")},
      {Method::kGet, "/api/v1/resources/{id}/commits/{id}", Access::kReader, 200,
       fixed("/api/v1/resources/" + project_ + "/commits/" + commit_)},
      {Method::kGet, "/api/v1/users", Access::kAdmin, 200, fixed("/api/v1/users")},
      {Method::kPost, "/api/v1/users", Access::kAdmin, 201,
       [] {
         return Request{"/api/v1/users", Json{{"name", Unique("u")},
                                              {"password", kUserPassword},
                                              {"role", "reader"}}};
       }},
      // Someone else's account: admins only (changing one's own is tested apart).
      {Method::kPatch, "/api/v1/users/{user}", Access::kAdmin, 200,
       fixed("/api/v1/users/victim", Json{{"password", "victim-password-2"}})},
      {Method::kDelete, "/api/v1/users/{user}", Access::kAdmin, 204,
       [this] { return Request{"/api/v1/users/" + FreshUser(), {}}; }},
      {Method::kPost, "/api/v1/login", Access::kPublic, 200,
       fixed("/api/v1/login", Json{{"username", "admin"}, {"password", kAdminPassword}})},
      {Method::kPost, "/api/v1/logout", Access::kReader, 204, fixed("/api/v1/logout", Json::object())},
      {Method::kGet, "/api/v1/health", Access::kPublic, 200, fixed("/api/v1/health")},
      {Method::kGet, "/api/v1/server", Access::kReader, 200, fixed("/api/v1/server")},
      {Method::kGet, "/api/v1/changes", Access::kReader, 200, fixed("/api/v1/changes")},
      {Method::kGet, "/metrics", Access::kReader, 200, fixed("/metrics")},
      // Source side of synchronization.
      {Method::kGet, "/sync/v1/info", Access::kReader, 200, fixed("/sync/v1/info")},
      {Method::kPost, "/sync/v1/catalogue", Access::kReader, 200,
       fixed("/sync/v1/catalogue", Json{{"resources", Json::array({project_})}})},
      {Method::kGet, "/sync/v1/resources/{id}/pack", Access::kReader, 200,
       fixed("/sync/v1/resources/" + project_ + "/pack")},
      // Remote configurations: scoped to the target category.
      {Method::kGet, "/api/v1/remote-configs", Access::kScopedList, 200, fixed("/api/v1/remote-configs")},
      {Method::kPost, "/api/v1/remote-configs", Access::kScoped, 201,
       [this] { return Request{"/api/v1/remote-configs", ConfigBody(in_scope_)}; }},
      {Method::kGet, "/api/v1/remote-configs/{id}", Access::kScoped, 200, fixed(cfg)},
      {Method::kPatch, "/api/v1/remote-configs/{id}", Access::kScoped, 200,
       fixed(cfg, Json{{"enabled", true}})},
      {Method::kDelete, "/api/v1/remote-configs/{id}", Access::kScoped, 204,
       [this] { return Request{"/api/v1/remote-configs/" + FreshConfig(), {}}; }},
      {Method::kGet, "/api/v1/remote-configs/{id}/status", Access::kScoped, 200, fixed(cfg + "/status")},
      {Method::kGet, "/api/v1/remote-configs/{id}/runs", Access::kScoped, 200, fixed(cfg + "/runs")},
      {Method::kPost, "/api/v1/remote-configs/{id}/sync", Access::kScoped, 202,
       fixed(cfg + "/sync", Json::object())},
      // The wizard's view of a source: whoever may create configurations.
      {Method::kPost, "/api/v1/remote-sources/browse", Access::kSyncManager, 200,
       [this] {
         return Request{"/api/v1/remote-sources/browse",
                        Json{{"url", source_.Url()}, {"username", "puller"}, {"password", "puller-password"}}};
       }},
      // The web administration's files: the login page loads before any login.
      {Method::kGet, "/admin", Access::kPublic, 301, fixed("/admin")},
      {Method::kGet, "/admin/", Access::kPublic, 200, fixed("/admin/")},
      {Method::kGet, "/admin/(.+)", Access::kPublic, 200, fixed("/admin/js/app.js")},
      // Imports: scoped to the target category. Each one started here names a
      // project the source does not have, so it fails at once and none waits
      // for another.
      {Method::kGet, "/api/v1/imports", Access::kScopedList, 200, fixed("/api/v1/imports")},
      {Method::kPost, "/api/v1/imports", Access::kScoped, 202,
       [this] { return Request{"/api/v1/imports", ImportBody(in_scope_)}; }},
      {Method::kGet, "/api/v1/imports/{id}", Access::kScoped, 200, fixed("/api/v1/imports/" + import_)},
      {Method::kDelete, "/api/v1/imports/{id}", Access::kScoped, 200, fixed("/api/v1/imports/" + import_)},
      // Bundles: taking history out is like the /sync/v1 endpoints; uploads
      // belong to who made them; applying is scoped to the target category.
      {Method::kPost, "/api/v1/bundles", Access::kReader, 200,
       fixed("/api/v1/bundles", Json{{"resources", Json::array({project_})}})},
      {Method::kGet, "/api/v1/bundles/state", Access::kReader, 200,
       fixed("/api/v1/bundles/state?resources=" + project_)},
      {Method::kGet, "/api/v1/bundles/uploads", Access::kSyncManager, 200,
       fixed("/api/v1/bundles/uploads")},
      {Method::kGet, "/api/v1/bundles/uploads/{id}", Access::kSyncManager, 200,
       [this] { return Request{"/api/v1/bundles/uploads/" + UploadOf(caller_), {}}; }},
      {Method::kPut, "/api/v1/bundles/uploads/{id}", Access::kSyncManager, 200,
       [this] { return Request{"/api/v1/bundles/uploads/" + UploadOf(caller_) + "?offset=0", "piece"}; }},
      {Method::kDelete, "/api/v1/bundles/uploads/{id}", Access::kSyncManager, 204,
       [this] { return Request{"/api/v1/bundles/uploads/" + FreshUpload(caller_), {}}; }},
      // A caller who may apply gets past the policy to the handler, which
      // refuses the malformed wait=; nothing starts (at most four uploads may
      // be open, and a started check would hold one).
      {Method::kPost, "/api/v1/bundles/uploads/{id}/apply", Access::kScoped, 400,
       [this] {
         return Request{"/api/v1/bundles/uploads/" + UploadOf(caller_) + "/apply?targetCategory=" +
                            in_scope_ + "&wait=maybe",
                        Json::object()};
       }},
      // Last: each caller's upload above makes way for the one this creates.
      {Method::kPost, "/api/v1/bundles/uploads", Access::kSyncManager, 201,
       [this] {
         DiscardUploadOf(caller_);
         return Request{"/api/v1/bundles/uploads", Json::object()};
       }},
  };

  // Every registered route has exactly one row, and every row is a route.
  std::set<std::pair<std::string, std::string>> registered, covered;
  std::map<std::pair<std::string, std::string>, std::string> declared;
  for (const auto& r : target_.api().routes()) {
    registered.insert({MethodName(r.method), r.pattern});
    declared[{MethodName(r.method), r.pattern}] = DescribePolicy(r.policy);
  }
  for (const auto& row : rows) {
    EXPECT_TRUE(covered.insert({MethodName(row.method), Pattern(row.pattern)}).second)
        << "two rows for " << MethodName(row.method) << " " << row.pattern;
  }
  for (const auto& route : registered) {
    EXPECT_TRUE(covered.count(route)) << "route without a row in the permission matrix: "
                                      << route.first << " " << route.second;
  }
  for (const auto& row : covered) {
    EXPECT_TRUE(registered.count(row)) << "row for a route that does not exist: " << row.first
                                       << " " << row.second;
  }

  const std::vector<Caller> callers = {Caller::kAnonymous,          Caller::kReader,
                                       Caller::kWriter,             Caller::kSyncManagerInScope,
                                       Caller::kSyncManagerOutOfScope, Caller::kAdmin};
  std::map<Caller, std::unique_ptr<httplib::Client>> clients;
  for (Caller caller : callers) clients[caller] = ClientFor(caller);
  int cells = 0;
  for (const auto& row : rows) {
    for (Caller caller : callers) {
      bool allowed = Allowed(row.access, caller);
      int expected = allowed ? row.ok_status : caller == Caller::kAnonymous ? 401 : 403;
      caller_ = caller;
      Request request = row.request();
      auto r = Send(*clients[caller], row.method, request);
      ++cells;
      ASSERT_TRUE(r) << MethodName(row.method) << " " << request.path << " as " << CallerName(caller);
      EXPECT_EQ(r->status, expected)
          << MethodName(row.method) << " " << row.pattern << " (declared: "
          << declared[{MethodName(row.method), Pattern(row.pattern)}] << ") as "
          << CallerName(caller) << ": " << r->body.substr(0, 300);
      if (!allowed) {
        EXPECT_EQ(BodyJson(r).value("@type", ""), "Error") << r->body;
        EXPECT_FALSE(BodyJson(r).value("description", "").empty()) << r->body;
      }
    }
  }
  std::cout << "permission matrix: " << rows.size() << " routes x " << callers.size()
            << " callers = " << cells << " cells" << std::endl;
  EXPECT_EQ(cells, static_cast<int>(registered.size() * callers.size()));
}

// The metrics label every route's requests by RouteLabel(pattern): for each
// real pattern that must be a plain path, captures as placeholders, no regex left.
TEST_F(PermissionMatrixTest, EveryRoutesMetricsLabelIsAPathWithPlaceholders) {
  size_t with_captures = 0;
  for (const auto& r : target_.api().routes()) {
    std::string label = RouteLabel(r.pattern);
    EXPECT_TRUE(label.starts_with("/")) << r.pattern << " -> " << label;
    EXPECT_EQ(label.find_first_of("()[]^$|*+?\\"), std::string::npos)
        << r.pattern << " -> " << label;
    if (label.find('{') != std::string::npos) ++with_captures;
    // A label without placeholders is the pattern itself.
    if (r.pattern.find('(') == std::string::npos) {
      EXPECT_EQ(label, r.pattern);
    }
  }
  EXPECT_GT(with_captures, 30u);
}

TEST_F(PermissionMatrixTest, ASyncManagerCannotMoveAConfigurationOutOfItsScope) {
  auto manager = ClientFor(Caller::kSyncManagerInScope);
  // Creating one that targets a category outside the scopes.
  auto created = e2e::PostJson(*manager, "/api/v1/remote-configs", ConfigBody(out_of_scope_));
  EXPECT_EQ(created->status, 403) << created->body;
  // Re-targeting its own configuration there.
  auto moved = e2e::PatchJson(*manager, "/api/v1/remote-configs/" + config_,
                              {{"targetCategoryId", out_of_scope_}});
  EXPECT_EQ(moved->status, 403) << moved->body;
  EXPECT_EQ(BodyJson(admin_->Get("/api/v1/remote-configs/" + config_))["targetCategoryId"], in_scope_);
  // A sub-category of a scope category is in scope.
  std::string below = Created("/api/v1/categories", {{"name", "below"}, {"parentId", in_scope_}}, "id");
  auto deeper = e2e::PatchJson(*manager, "/api/v1/remote-configs/" + config_,
                               {{"targetCategoryId", below}});
  EXPECT_EQ(deeper->status, 200) << deeper->body;
  // The out-of-scope manager does not even see it listed.
  auto listed = ClientFor(Caller::kSyncManagerOutOfScope)->Get("/api/v1/remote-configs");
  EXPECT_EQ(BodyJson(listed), Json::array());
}

TEST_F(PermissionMatrixTest, OnlyAnAdminChangesTheReadOnlyFlag) {
  auto writer = ClientFor(Caller::kWriter);
  auto r = e2e::PatchJson(*writer, "/api/v1/resources/" + project_, {{"readOnly", true}});
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_EQ(BodyJson(admin_->Get("/api/v1/resources/" + project_)).value("readOnly", true), false);
  EXPECT_EQ(e2e::PatchJson(*admin_, "/api/v1/resources/" + project_, {{"readOnly", true}})->status, 200);
}

TEST_F(PermissionMatrixTest, UsersChangeTheirOwnPasswordOnlyWithTheCurrentOne) {
  auto reader = ClientFor(Caller::kReader);
  auto without = e2e::PatchJson(*reader, "/api/v1/users/reader", {{"password", "new-password-1"}});
  EXPECT_EQ(without->status, 400) << without->body;
  auto wrong = e2e::PatchJson(*reader, "/api/v1/users/reader",
                              {{"password", "new-password-1"}, {"currentPassword", "not-it-at-all"}});
  EXPECT_EQ(wrong->status, 403) << wrong->body;
  auto promote = e2e::PatchJson(*reader, "/api/v1/users/reader", {{"role", "admin"}});
  EXPECT_EQ(promote->status, 403) << promote->body;
  auto good = e2e::PatchJson(*reader, "/api/v1/users/reader",
                             {{"password", "new-password-1"}, {"currentPassword", kUserPassword}});
  EXPECT_EQ(good->status, 200) << good->body;
}

// A sync-manager's scopes are permissions like a role: an admin changes them
// (and a sync-manager always keeps at least one), a user never their own.
TEST_F(PermissionMatrixTest, OnlyAnAdminChangesScopesAndASyncManagerKeepsOne) {
  auto manager = ClientFor(Caller::kSyncManagerInScope);
  auto widen = e2e::PatchJson(*manager, "/api/v1/users/manager-in",
                              {{"scopes", {in_scope_, out_of_scope_}}});
  EXPECT_EQ(widen->status, 403) << widen->body;
  auto widened =
      e2e::PatchJson(*admin_, "/api/v1/users/manager-in", {{"scopes", {in_scope_, out_of_scope_}}});
  ASSERT_EQ(widened->status, 200) << widened->body;
  EXPECT_EQ(BodyJson(widened)["scopes"].size(), 2u) << widened->body;
  // The new scope takes effect at once: a configuration there is now its own.
  auto created = e2e::PostJson(*manager, "/api/v1/remote-configs", ConfigBody(out_of_scope_));
  EXPECT_EQ(created->status, 201) << created->body;
  auto emptied = e2e::PatchJson(*admin_, "/api/v1/users/manager-in", {{"scopes", Json::array()}});
  EXPECT_EQ(emptied->status, 400) << emptied->body;
  auto unknown = e2e::PatchJson(*admin_, "/api/v1/users/manager-in", {{"scopes", {NewUuid()}}});
  EXPECT_EQ(unknown->status, 404) << unknown->body;
  // Making a reader a sync-manager takes its scopes in the same request.
  auto promoted = e2e::PatchJson(*admin_, "/api/v1/users/reader", {{"role", "sync-manager"}});
  EXPECT_EQ(promoted->status, 400) << promoted->body;
  promoted = e2e::PatchJson(*admin_, "/api/v1/users/reader",
                            {{"role", "sync-manager"}, {"scopes", {in_scope_}}});
  EXPECT_EQ(promoted->status, 200) << promoted->body;
  ASSERT_EQ(e2e::PatchJson(*admin_, "/api/v1/users/manager-in", {{"scopes", {in_scope_}}})->status,
            200);
  // Back to reader drops the scopes, so becoming a sync-manager again asks for them anew.
  auto demoted = e2e::PatchJson(*admin_, "/api/v1/users/reader", {{"role", "reader"}});
  ASSERT_EQ(demoted->status, 200) << demoted->body;
  EXPECT_EQ(BodyJson(demoted)["scopes"], Json::array()) << demoted->body;
  EXPECT_EQ(e2e::PatchJson(*admin_, "/api/v1/users/reader", {{"role", "sync-manager"}})->status,
            400);
  EXPECT_EQ(e2e::PatchJson(*admin_, "/api/v1/users/reader", {{"scopes", {in_scope_}}})->status,
            400);
}

}  // namespace
}  // namespace tandem
