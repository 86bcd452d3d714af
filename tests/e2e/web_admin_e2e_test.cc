// End-to-end tests of what the web administration needs from a real
// tandem-server (docs/web-admin.md): its files under /admin/ with a strict
// Content-Security-Policy, the wizard's browsing of a source through the
// target (POST /api/v1/remote-sources/browse: the source's tree, its refusals
// in words and never as the caller's own 401), and the Server page's figures.
// The pages themselves are driven in Chromium by tests/web/admin.test.mjs.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>

#include "tests/e2e/e2e_util.h"

namespace tandem::e2e {
namespace {

class WebAdminE2eTest : public ::testing::Test {
 protected:
  std::unique_ptr<ServerProcess> Start(const std::string& name) {
    std::string path = dir_.Sub(name + ".conf");
    std::ofstream(path) << "sync.reconcile-seconds = 3600\n";
    return ServerProcess::Start({dir_.Sub(name), {"--config", path}, "admin-password-1", 0});
  }
  static std::string Url(const ServerProcess& s) {
    return "http://127.0.0.1:" + std::to_string(s.port());
  }
  static Json Browse(httplib::Client& target, const Json& body, int expected_status) {
    auto r = PostJson(target, "/api/v1/remote-sources/browse", body);
    EXPECT_TRUE(r);
    if (!r) return Json();
    EXPECT_EQ(r->status, expected_status) << r->body;
    return Json::parse(r->body, nullptr, false);
  }
  TempDir dir_;
};

TEST_F(WebAdminE2eTest, ThePagesAreServedWithAStrictPolicyAndNothingElseIs) {
  auto s = Start("s");
  auto c = s->Client("", "");  // no account: the login page must load
  auto redirect = c->Get("/admin");
  ASSERT_TRUE(redirect);
  EXPECT_EQ(redirect->status, 301);
  EXPECT_EQ(redirect->get_header_value("Location"), "/admin/");

  auto index = c->Get("/admin/");
  ASSERT_TRUE(index);
  ASSERT_EQ(index->status, 200);
  EXPECT_EQ(index->get_header_value("Content-Type"), "text/html; charset=utf-8");
  std::string csp = index->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
  EXPECT_EQ(index->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(index->get_header_value("Referrer-Policy"), "no-referrer");
  EXPECT_NE(index->body.find("<script type=\"module\""), std::string::npos);
  // No inline script: every script is a file of ours.
  EXPECT_EQ(std::regex_search(index->body, std::regex("<script(?![^>]*\\bsrc=)[^>]*>")), false)
      << index->body;

  // Every file the page names is served, with its type and the same policy.
  std::regex reference("(?:src|href)=\"([^\"#:]+)\"");
  size_t named = 0;
  for (std::sregex_iterator it(index->body.begin(), index->body.end(), reference), end; it != end;
       ++it) {
    std::string path = "/admin/" + (*it)[1].str();
    auto file = c->Get(path);
    ASSERT_TRUE(file) << path;
    EXPECT_EQ(file->status, 200) << path;
    EXPECT_FALSE(file->get_header_value("Content-Type").empty()) << path;
    EXPECT_EQ(file->get_header_value("Content-Security-Policy"), csp) << path;
    ++named;
  }
  EXPECT_GE(named, 2u);  // the style sheet and the application module
  auto js = c->Get("/admin/js/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");

  // Nothing but the embedded files: no directory, no file system, no traversal.
  for (const char* path : {"/admin/missing.js", "/admin/../api/v1/users",
                           "/admin/%2e%2e/%2e%2e/etc/passwd", "/admin/js/", "/admin//etc/passwd"}) {
    auto r = c->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_NE(r->status, 200) << path << ": " << r->body;
    EXPECT_EQ(r->body.find("root:"), std::string::npos) << path;
  }
}

TEST_F(WebAdminE2eTest, TheTargetBrowsesASourceAndNamesEveryRefusalInWords) {
  auto source = Start("source"), target = Start("target");
  auto cs = source->Client(), ct = target->Client();
  ASSERT_EQ(PostJson(*cs, "/api/v1/users",
                     {{"name", "puller"}, {"password", "puller-password"}, {"role", "reader"}})
                ->status,
            201);
  std::string libs = BodyJson(PostJson(*cs, "/api/v1/categories", {{"name", "Libraries"}}))["id"];
  std::string nested =
      BodyJson(PostJson(*cs, "/api/v1/categories", {{"name", "Nested"}, {"parentId", libs}}))["id"];
  // More resources than one page of the source's list, so the cursor is followed.
  std::set<std::string> made;
  for (int i = 0; i < 130; ++i) {
    Json r = BodyJson(
        PostJson(*cs, "/api/v1/resources",
                 {{"name", "r" + std::to_string(i)}, {"categoryId", i % 2 ? libs : nested}}));
    made.insert(r["id"].get<std::string>());
  }
  Json login = {{"url", Url(*source)}, {"username", "puller"}, {"password", "puller-password"}};
  Json tree = Browse(*ct, login, 200);
  EXPECT_EQ(tree["source"]["serverId"], BodyJson(cs->Get("/api/v1/server"))["serverId"]);
  std::set<std::string> categories;
  for (const auto& c : tree["categories"]) categories.insert(c["id"].get<std::string>());
  EXPECT_TRUE(categories.count(libs) && categories.count(nested)) << tree["categories"].dump();
  std::set<std::string> listed;
  for (const auto& r : tree["resources"]) {
    listed.insert(r["id"].get<std::string>());
    EXPECT_TRUE(r["projectId"].is_string() && r["name"].is_string() && r["readOnly"] == false)
        << r.dump();
  }
  EXPECT_EQ(listed, made);

  // The source's refusal of the credentials is a 400 that says so: a 401
  // would read as the caller's own session having ended.
  Json wrong = login;
  wrong["password"] = "not-the-password";
  Json refused = Browse(*ct, wrong, 400);
  EXPECT_NE(refused["description"].get<std::string>().find("refused the credentials"),
            std::string::npos)
      << refused.dump();
  EXPECT_EQ(refused.dump().find("not-the-password"), std::string::npos);
  Json unreachable = login;
  unreachable["url"] = "http://127.0.0.1:1";
  EXPECT_NE(Browse(*ct, unreachable, 400)["description"].get<std::string>().find("cannot reach"),
            std::string::npos);
  Json self = login;
  self["url"] = Url(*target);
  self["username"] = "admin";
  self["password"] = "admin-password-1";
  EXPECT_NE(Browse(*ct, self, 400)["description"].get<std::string>().find("this server itself"),
            std::string::npos);
  Json with_secret = login;
  with_secret["url"] = "http://puller:puller-password@127.0.0.1:" + std::to_string(source->port());
  Json secret_refused = Browse(*ct, with_secret, 400);
  EXPECT_EQ(secret_refused.dump().find("puller-password"), std::string::npos)
      << secret_refused.dump();
  Json no_port = login;
  no_port["url"] = "http://127.0.0.1";
  Browse(*ct, no_port, 400);
  Json missing = login;
  missing.erase("password");
  Browse(*ct, missing, 400);
  Json extra = login;
  extra["token"] = "x";
  Browse(*ct, extra, 400);

  // Who may browse: those who may create configurations.
  ASSERT_EQ(PostJson(*ct, "/api/v1/users",
                     {{"name", "viewer"}, {"password", "viewer-password"}, {"role", "reader"}})
                ->status,
            201);
  auto reader = target->Client("viewer", "viewer-password");
  Browse(*reader, login, 403);
  auto anonymous = target->Client("", "");
  Browse(*anonymous, login, 401);
}

// A browser that once answered a Basic prompt for this server sends those
// credentials with any site's form or script: changes from another site's
// page are refused; the pages' own requests (same origin) and other clients
// (no Origin at all) are not.
TEST_F(WebAdminE2eTest, AnotherSitesPageCannotChangeAnythingEvenWithCachedCredentials) {
  auto s = Start("s");
  auto c = s->Client();  // HTTP Basic as admin, as such a browser would send
  auto user = [](const std::string& name) {
    return Json{{"name", name}, {"password", "csrf-password-1"}, {"role", "admin"}}.dump();
  };
  auto status_of = [&](const httplib::Headers& headers, const std::string& name, const char* type) {
    auto r = c->Post("/api/v1/users", headers, user(name), type);
    return r ? r->status : -1;
  };
  EXPECT_EQ(status_of({{"Origin", "http://evil.example"}}, "x1", "text/plain"), 403);
  EXPECT_EQ(status_of({{"Origin", "null"}}, "x2", "application/x-www-form-urlencoded"), 403);
  EXPECT_EQ(status_of({{"Sec-Fetch-Site", "cross-site"}}, "x3", "application/json"), 403);
  EXPECT_EQ(
      status_of({{"Sec-Fetch-Site", "same-site"}, {"Origin", "http://other.127.0.0.1.example"}},
                "x4", "application/json"),
      403);
  auto refused = c->Delete("/api/v1/users/admin", {{"Origin", "http://evil.example"}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_NE(refused->body.find("another site"), std::string::npos) << refused->body;

  std::string self = "http://127.0.0.1:" + std::to_string(s->port());
  EXPECT_EQ(
      status_of({{"Origin", self}, {"Sec-Fetch-Site", "same-origin"}}, "ours", "application/json"),
      201);
  EXPECT_EQ(status_of({}, "curl", "application/json"), 201);
  // Behind a proxy the browser's origin is the proxy's; its Sec-Fetch-Site decides.
  EXPECT_EQ(status_of({{"Origin", "https://tandem.example"}, {"Sec-Fetch-Site", "same-origin"}},
                      "proxied", "application/json"),
            201);
  EXPECT_EQ(status_of({{"Origin", "https://tandem.example"}}, "x5", "application/json"), 403);
  // Reads stay open: a browser keeps another site from reading the answer.
  auto read = c->Get("/api/v1/server", {{"Sec-Fetch-Site", "cross-site"}});
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 200);
  std::set<std::string> names;
  for (const auto& u : BodyJson(c->Get("/api/v1/users")))
    names.insert(u["name"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"admin", "ours", "curl", "proxied"}));

  // Answers carrying tokens and data are not kept by caches.
  auto login = PostJson(*s->Client("", ""), "/api/v1/login",
                        {{"username", "admin"}, {"password", "admin-password-1"}});
  ASSERT_TRUE(login);
  EXPECT_EQ(login->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(login->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(c->Get("/admin/")->get_header_value("Cache-Control"), "no-cache");
}

TEST_F(WebAdminE2eTest, TheServerReportsItsListenersAndStore) {
  auto s = Start("s");
  auto c = s->Client();
  Json before = BodyJson(c->Get("/api/v1/server"));
  ASSERT_EQ(before["listeners"].size(), 1u) << before.dump();
  EXPECT_EQ(before["listeners"][0]["scheme"], "http");
  EXPECT_EQ(before["listeners"][0]["port"], s->port());
  EXPECT_TRUE(before["started"].is_string());
  EXPECT_GT(before["store"]["bytes"].get<int64_t>(), 0);
  std::string rid = CreateProject(*c, "Counted");
  ASSERT_EQ(PostJson(*c, "/sysml/v2/projects/" + rid + "/commits", RealModel())->status, 201);
  Json after = BodyJson(c->Get("/api/v1/server"));
  EXPECT_EQ(after["store"]["commits"].get<int64_t>(),
            before["store"]["commits"].get<int64_t>() + 1);
  EXPECT_EQ(after["store"]["resources"].get<int64_t>(),
            before["store"]["resources"].get<int64_t>() + 1);
}

}  // namespace
}  // namespace tandem::e2e
