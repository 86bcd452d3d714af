// The security suite (docs/security.md): a catalogue of hostile inputs sent to
// a running tandem-server, each of which must get a clear 4xx with an Error
// body while the server stays up and the store stays unchanged; plus the
// limits (headers, connections), the login throttle, token expiry, credential
// handling and a forged pack stream served to a real target.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "common/zstd_stream.h"
#include "tests/e2e/e2e_util.h"
#include "tests/e2e/raw_socket.h"

namespace tandem::e2e {
namespace {

constexpr char kAdminPassword[] = "admin-password-1";

std::string WriteConfig(const TempDir& dir, const std::string& name, const std::string& text) {
  std::string path = dir.Sub(name);
  std::ofstream(path) << text;
  return path;
}


// One hostile request and the answer it must get.
struct Case {
  Case(std::string name_, int expected_, std::string method_, std::string path_, std::string body_,
       httplib::Headers headers_, bool as_admin_ = true, std::string raw_ = "")
      : name(std::move(name_)),
        expected(expected_),
        method(std::move(method_)),
        path(std::move(path_)),
        body(std::move(body_)),
        headers(std::move(headers_)),
        as_admin(as_admin_),
        raw(std::move(raw_)) {}
  std::string name;
  int expected;
  // Either an HTTP request through httplib...
  std::string method;
  std::string path;
  std::string body;
  httplib::Headers headers;
  bool as_admin;
  // ...or raw bytes on a socket (when set).
  std::string raw;
};

class SecurityE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conf_ = WriteConfig(dir_, "application.conf",
                        "server.max-body-bytes = 1048576\n"
                        "server.max-json-depth = 32\n"
                        "server.max-page-size = 500\n"
                        "server.max-header-bytes = 16384\n"
                        "server.max-header-count = 50\n"
                        "storage.max-changes-per-commit = 50\n"
                        "auth.max-failed-logins = 3\n"
                        "auth.lockout-max-seconds = 2\n");
    server_ = ServerProcess::Start({dir_.Sub("data"), {"--config", conf_}, kAdminPassword});
    admin_ = server_->Client();
  }

  // What an attacker must not change: users, categories, resources with their
  // branches (heads) and commits, remote configurations and the change feed.
  Json Fingerprint() {
    Json f;
    f["users"] = BodyJson(admin_->Get("/api/v1/users"));
    f["categories"] = BodyJson(admin_->Get("/api/v1/categories"));
    f["resources"] = BodyJson(admin_->Get("/api/v1/resources?page%5Bsize%5D=500"));
    f["configs"] = BodyJson(admin_->Get("/api/v1/remote-configs"));
    f["changes"] = BodyJson(admin_->Get("/api/v1/changes?limit=1000"));
    for (const auto& r : f["resources"]) {
      std::string id = r.value("id", "");
      f["branches"][id] = BodyJson(admin_->Get("/sysml/v2/projects/" + id + "/branches"));
      f["commits"][id] = BodyJson(admin_->Get("/api/v1/resources/" + id + "/commits"));
    }
    return f;
  }

  httplib::Result Send(const Case& c) {
    auto client = c.as_admin ? server_->Client() : server_->Client("");
    const char* type = "application/json";
    if (c.method == "GET") return client->Get(c.path, c.headers);
    if (c.method == "DELETE") return client->Delete(c.path, c.headers);
    if (c.method == "PATCH") return client->Patch(c.path, c.headers, c.body, type);
    if (c.method == "PUT") return client->Put(c.path, c.headers, c.body, type);
    return client->Post(c.path, c.headers, c.body, type);
  }

  TempDir dir_;
  std::string conf_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> admin_;
};

std::string Nested(int depth) {
  return std::string(static_cast<size_t>(depth), '[') + std::string(static_cast<size_t>(depth), ']');
}

Json CommitOf(const std::vector<std::pair<std::string, std::string>>& identity_and_payload_id) {
  Json change = Json::array();
  for (const auto& [identity, payload_id] : identity_and_payload_id) {
    change.push_back({{"@type", "DataVersion"},
                      {"identity", {{"@id", identity}}},
                      {"payload", {{"@type", "PartDefinition"}, {"@id", payload_id}}}});
  }
  return {{"@type", "Commit"}, {"change", change}};
}

std::string Uuid(int n) {
  char buf[37];
  std::snprintf(buf, sizeof(buf), "00000000-0000-4000-8000-%012d", n);
  return buf;
}

std::string Basic(const std::string& user_and_password) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -6;
  for (unsigned char ch : user_and_password) {
    val = (val << 8) + ch;
    bits += 8;
    while (bits >= 0) {
      out.push_back(kAlphabet[(val >> bits) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > -6) out.push_back(kAlphabet[((val << 8) >> (bits + 8)) & 0x3F]);
  while (out.size() % 4) out.push_back('=');
  return "Basic " + out;
}

TEST_F(SecurityE2eTest, HostileInputsGetAClear4xxAndChangeNothing) {
  std::string pid = CreateProject(*admin_, "target");
  std::string e1 = Uuid(1);
  auto committed = PostJson(*admin_, "/sysml/v2/projects/" + pid + "/commits", CommitOf({{e1, e1}}));
  ASSERT_EQ(committed->status, 201) << committed->body;
  std::string cid = BodyJson(committed)["@id"];
  const std::string p = "/sysml/v2/projects/" + pid;
  const std::string c = p + "/commits/" + cid;
  const std::string commits = p + "/commits";
  const std::string project_type = R"({"@type":"Project","name":)";

  std::vector<std::pair<std::string, std::string>> fifty_one;
  for (int i = 100; i < 151; ++i) fifty_one.emplace_back(Uuid(i), Uuid(i));
  std::string huge_password(2000, 'x');
  std::string pad(7000, 'a');
  std::string many_headers;
  for (int i = 0; i < 60; ++i) many_headers += "X-Filler-" + std::to_string(i) + ": 1\r\n";

  std::vector<Case> cases = {
      // Malformed and hostile JSON.
      {"truncated JSON", 400, "POST", "/sysml/v2/projects", "{", {}},
      {"empty body", 400, "POST", "/sysml/v2/projects", "", {}},
      {"JSON array instead of object", 400, "POST", "/sysml/v2/projects", "[]", {}},
      {"unterminated object", 400, "POST", "/sysml/v2/projects", project_type + R"("x")", {}},
      {"wrong field type", 400, "POST", "/sysml/v2/projects", project_type + "5}", {}},
      {"unknown field", 400, "POST", "/sysml/v2/projects", project_type + R"("x","evil":1})", {}},
      {"trailing garbage", 400, "POST", "/sysml/v2/projects", project_type + R"("x"} {})", {}},
      {"NUL inside JSON", 400, "POST", "/sysml/v2/projects", project_type + std::string("\"a\0b\"}", 6), {}},
      {"invalid UTF-8 in body", 400, "POST", "/sysml/v2/projects", project_type + "\"\xff\xfe\"}", {}},
      {"overlong UTF-8 in body", 400, "POST", "/sysml/v2/projects", project_type + "\"\xc0\xaf\"}", {}},
      {"lone surrogate escape", 400, "POST", "/sysml/v2/projects", project_type + R"("\ud800"})", {}},
      {"number out of range", 400, "POST", "/sysml/v2/projects",
       project_type + R"("x","description":1e999})", {}},
      {"nesting over server.max-json-depth", 400, "POST", commits,
       R"({"@type":"Commit","change":)" + Nested(40) + "}", {}},
      {"100000 levels of nesting", 400, "POST", commits, Nested(100000), {}},
      {"body over server.max-body-bytes", 413, "POST", commits,
       R"({"@type":"Commit","description":")" + std::string(1100000, 'a') + "\"}", {}},
      {"more changes than storage.max-changes-per-commit", 413, "POST", commits,
       CommitOf(fifty_one).dump(), {}},
      {"payload @id differs from identity", 400, "POST", commits, CommitOf({{Uuid(2), Uuid(3)}}).dump(), {}},
      {"identity not a UUID", 400, "POST", commits, CommitOf({{"../../x", "../../x"}}).dump(), {}},
      {"same element twice", 400, "POST", commits, CommitOf({{Uuid(4), Uuid(4)}, {Uuid(4), Uuid(4)}}).dump(), {}},
      {"previousCommit not a reference", 400, "POST", commits,
       R"({"@type":"Commit","change":[],"previousCommit":"x"})", {}},
      {"readOnly as a string", 400, "PATCH", "/api/v1/resources/" + pid, R"({"readOnly":"yes"})", {}},
      // Paths.
      {"encoded path traversal as an id", 404, "GET", "/sysml/v2/projects/..%2f..%2fetc%2fpasswd", "", {}},
      {"dot-dot as an id", 400, "GET", "/sysml/v2/projects/%2e%2e", "", {}},
      {"path traversal to an unknown route", 404, "GET", "/api/v1/../../etc/passwd", "", {}},
      {"invalid UTF-8 in the path", 400, "GET", "/sysml/v2/projects/%ff%fe", "", {}},
      {"NUL in the path", 400, "GET", "/sysml/v2/projects/abc%00def", "", {}},
      {"element id not a UUID", 400, "GET", c + "/elements/not-a-uuid", "", {}},
      {"commit id not a UUID", 400, "GET", p + "/commits/1%20OR%201=1", "", {}},
      {"user name with a traversal", 404, "DELETE", "/api/v1/users/..%2fadmin", "", {}},
      {"unknown method on a route", 404, "PATCH", "/api/v1/health", "{}", {}},
      {"unknown project", 404, "GET", "/sysml/v2/projects/" + Uuid(9), "", {}},
      // Query parameters.
      {"page size zero", 400, "GET", "/sysml/v2/projects?page%5Bsize%5D=0", "", {}},
      {"negative page size", 400, "GET", "/sysml/v2/projects?page%5Bsize%5D=-1", "", {}},
      {"page size over server.max-page-size", 400, "GET", "/sysml/v2/projects?page%5Bsize%5D=1000000", "", {}},
      {"page size overflowing 64 bits", 400, "GET",
       "/sysml/v2/projects?page%5Bsize%5D=99999999999999999999999", "", {}},
      {"non-numeric page size", 400, "GET", "/sysml/v2/projects?page%5Bsize%5D=abc", "", {}},
      {"page size in exponent form", 400, "GET", "/sysml/v2/projects?page%5Bsize%5D=1e3", "", {}},
      {"empty page size", 400, "GET", "/sysml/v2/projects?page%5Bsize%5D=", "", {}},
      {"invalid UTF-8 page size", 400, "GET", "/sysml/v2/projects?page%5Bsize%5D=%ff", "", {}},
      {"cursor not a UUID", 400, "GET", "/sysml/v2/projects?page%5Bafter%5D=abc", "", {}},
      {"CRLF in a cursor", 400, "GET", "/sysml/v2/projects?page%5Bafter%5D=%0d%0aSet-Cookie:%20x=1", "", {}},
      {"both cursors", 400, "GET",
       "/sysml/v2/projects?page%5Bafter%5D=" + pid + "&page%5Bbefore%5D=" + pid, "", {}},
      {"negative since", 400, "GET", "/api/v1/changes?since=-1", "", {}},
      {"non-numeric since", 400, "GET", "/api/v1/changes?since=abc", "", {}},
      {"wait over server.max-wait-seconds", 400, "GET", "/api/v1/changes?wait=100000", "", {}},
      {"zero limit", 400, "GET", "/api/v1/changes?limit=0", "", {}},
      {"unknown direction", 400, "GET", c + "/elements/" + e1 + "/relationships?direction=sideways", "", {}},
      {"excludeUsed not a boolean", 400, "GET", c + "/elements?excludeUsed=maybe", "", {}},
      {"diff without a base", 400, "GET", c + "/diff", "", {}},
      {"category filter not a UUID", 400, "GET", "/api/v1/resources?categoryId=..%2f..", "", {}},
      {"branch filter not a UUID", 400, "GET", "/api/v1/resources/" + pid + "/commits?branchId=x", "", {}},
      {"pack have= not a UUID", 400, "GET", "/sync/v1/resources/" + pid + "/pack?have=x", "", {}},
      {"pack want= with an empty item", 400, "GET", "/sync/v1/resources/" + pid + "/pack?want=,", "", {}},
      {"catalogue ids not UUIDs", 400, "POST", "/sync/v1/catalogue", R"({"resources":["../x"]})", {}},
      {"catalogue body not an object", 400, "POST", "/sync/v1/catalogue", "[]", {}},
      // Credentials, accounts and configurations.
      {"Basic not base64", 401, "GET", "/api/v1/server", "", {{"Authorization", "Basic !!!"}}, false},
      {"Basic without a colon", 401, "GET", "/api/v1/server", "", {{"Authorization", Basic("nocolon")}}, false},
      {"unknown bearer token", 401, "GET", "/api/v1/server", "", {{"Authorization", "Bearer 00"}}, false},
      {"unsupported scheme", 401, "GET", "/api/v1/server", "", {{"Authorization", "Negotiate abc"}}, false},
      {"2000-character password", 401, "GET", "/api/v1/server", "",
       {{"Authorization", Basic("mallory:" + huge_password)}}, false},
      {"no credentials", 401, "GET", "/api/v1/users", "", {}, false},
      {"login without a password", 400, "POST", "/api/v1/login", R"({"username":"admin"})", {}, false},
      {"login with wrong types", 400, "POST", "/api/v1/login", R"({"username":1,"password":[]})", {}, false},
      {"user with an unknown role", 400, "POST", "/api/v1/users",
       R"({"name":"eve","password":"eve-password-1","role":"root"})", {}},
      {"user name with a traversal", 400, "POST", "/api/v1/users",
       R"({"name":"../etc","password":"eve-password-1","role":"reader"})", {}},
      {"user with a short password", 400, "POST", "/api/v1/users",
       R"({"name":"eve","password":"short","role":"reader"})", {}},
      {"category under an unknown parent", 404, "POST", "/api/v1/categories",
       R"({"name":"c","parentId":")" + Uuid(8) + "\"}", {}},
      {"source url with credentials", 400, "POST", "/api/v1/remote-configs",
       R"({"name":"x","source":{"url":"http://puller:s3cret-pw@127.0.0.1:1","username":"u","password":"p"},)"
       R"("targetCategoryId":")" + Uuid(8) + "\"}", {}},
      {"source url of another scheme", 400, "POST", "/api/v1/remote-configs",
       R"({"name":"x","source":{"url":"file:///etc/passwd","username":"u","password":"p"},)"
       R"("targetCategoryId":")" + Uuid(8) + "\"}", {}},
      // Raw HTTP: headers and framing.
      {"more header fields than server.max-header-count", 431, "", "", "", {}, false,
       "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n" + many_headers + "\r\n"},
      {"headers over server.max-header-bytes", 431, "", "", "", {}, false,
       "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-A: " + pad + "\r\nX-B: " + pad + "\r\nX-C: " + pad +
           "\r\n\r\n"},
      {"one header line over 8 KiB", 400, "", "", "", {}, false,
       "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-A: " + std::string(9000, 'a') + "\r\n\r\n"},
      {"garbage request line", 400, "", "", "", {}, false, "GARBAGE\r\n\r\n"},
      {"bare CR in a header value", 400, "", "", "", {}, false,
       "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-A: a\rInjected: b\r\n\r\n"},
      {"negative Content-Length", 400, "", "", "", {}, false,
       "POST /sysml/v2/projects HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n{}"},
      {"non-numeric Content-Length", 400, "", "", "", {}, false,
       "POST /sysml/v2/projects HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}"},
      {"bad chunk size", 400, "", "", "", {}, false,
       "POST /api/v1/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"},
      {"request target over 8 KiB", 414, "", "", "", {}, false,
       "GET /api/v1/health?" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n"},
  };

  Json before = Fingerprint();
  int passed = 0;
  for (const auto& k : cases) {
    int status = 0;
    std::string body;
    if (!k.raw.empty()) {
      RawSocket conn(server_->port());
      conn.Send(k.raw);
      std::string response = conn.Receive(3000);
      status = StatusOf(response);
      body = BodyOf(response);
    } else {
      auto r = Send(k);
      ASSERT_TRUE(r) << k.name << ": no answer";
      status = r->status;
      body = r->body;
    }
    EXPECT_EQ(status, k.expected) << k.name << ": " << body.substr(0, 300);
    Json error = Json::parse(body, nullptr, false);
    if (!error.is_object()) error = Json::object();
    EXPECT_EQ(error.value("@type", ""), "Error") << k.name << ": " << body.substr(0, 300);
    EXPECT_FALSE(error.value("description", "").empty()) << k.name;
    EXPECT_EQ(body.find("s3cret-pw"), std::string::npos) << k.name << " echoed a password";
    auto health = server_->Client("")->Get("/api/v1/health");
    ASSERT_TRUE(health && health->status == 200) << "the server stopped answering after: " << k.name;
    if (status == k.expected) ++passed;
  }
  EXPECT_EQ(Fingerprint(), before) << "a hostile request changed the store";
  EXPECT_TRUE(server_->running());
  std::cout << "hostile-input catalogue: " << passed << " of " << cases.size()
            << " cases answered as expected" << std::endl;
  EXPECT_EQ(server_->StderrText().find("s3cret-pw"), std::string::npos);
}

TEST_F(SecurityE2eTest, EchoedValuesCannotInjectHeaders) {
  CreateProject(*admin_, "one");
  CreateProject(*admin_, "two");
  // Other query parameters are carried into the Link header, percent-encoded.
  // Raw bytes: httplib's client would percent-decode header values it reads.
  RawSocket conn(server_->port());
  conn.Send("GET /sysml/v2/projects?page%5Bsize%5D=1&x=%0d%0aSet-Cookie:%20evil HTTP/1.1\r\n"
            "Host: x\r\nAuthorization: " + Basic(std::string("admin:") + kAdminPassword) +
            "\r\n\r\n");
  std::string response = conn.Receive(3000);
  EXPECT_EQ(StatusOf(response), 200) << response;
  std::string head = response.substr(0, response.find("\r\n\r\n") + 2);
  EXPECT_EQ(head.find("\r\nSet-Cookie"), std::string::npos) << head;
  auto link = head.find("\r\nLink: ");
  ASSERT_NE(link, std::string::npos) << head;
  std::string value = head.substr(link + 8, head.find("\r\n", link + 2) - link - 8);
  EXPECT_NE(value.find("x=%0D%0ASet-Cookie%3A%20evil"), std::string::npos) << value;
  EXPECT_NE(value.find("rel=\"next\""), std::string::npos) << value;
}

TEST_F(SecurityE2eTest, ClientTextCannotForgeLogLines) {
  // httplib decodes the path: %0d%0a would become a line break in the log.
  auto r = admin_->Get("/sysml/v2/projects/x%0d%0aFORGED-LOG-LINE");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  auto login = server_->Client("");
  EXPECT_EQ(PostJson(*login, "/api/v1/login",
                     {{"username", "eve\r\nFORGED-LOGIN-LINE"}, {"password", "wrong-password"}})
                ->status,
            401);
  std::string log = server_->StderrText();
  EXPECT_NE(log.find("x\\x0d\\x0aFORGED-LOG-LINE"), std::string::npos) << log;
  EXPECT_EQ(log.find("\nFORGED-LOG-LINE"), std::string::npos) << log;
  EXPECT_NE(log.find("eve\\x0d\\x0aFORGED-LOGIN-LINE"), std::string::npos) << log;
  EXPECT_EQ(log.find("\nFORGED-LOGIN-LINE"), std::string::npos) << log;
}

TEST_F(SecurityE2eTest, RepeatedFailedLoginsAreRefusedThenTheRightPasswordWorks) {
  auto login = [&](const std::string& password) {
    auto client = server_->Client("");
    return PostJson(*client, "/api/v1/login", {{"username", "admin"}, {"password", password}});
  };
  // auth.max-failed-logins = 3: the fourth failure starts a lockout.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(login("guess-number-" + std::to_string(i))->status, 401);
  auto refused = login(kAdminPassword);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429) << refused->body;
  EXPECT_GE(std::atoi(refused->get_header_value("Retry-After").c_str()), 1);
  EXPECT_NE(BodyJson(refused).value("description", "").find("try again in"), std::string::npos);
  // HTTP Basic from the same address is throttled the same way.
  auto basic = server_->Client("admin", "guess-number-9")->Get("/api/v1/server");
  EXPECT_EQ(basic->status, 429);
  // After the lockout (at most auth.lockout-max-seconds = 2) the right password works.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    status = login(kAdminPassword)->status;
    if (status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(status, 200);
  std::string log = server_->StderrText();
  EXPECT_NE(log.find("failed login for account 'admin' from 127.0.0.1"), std::string::npos) << log;
  EXPECT_NE(log.find("locked out for"), std::string::npos) << log;
  EXPECT_EQ(log.find("guess-number-"), std::string::npos) << "a password reached the log";
}

TEST(SecurityLimitsE2eTest, TokensExpireAfterTheirTtl) {
  TempDir dir;
  std::string conf = WriteConfig(dir, "ttl.conf", "auth.token-ttl-seconds = 1\n");
  auto server = ServerProcess::Start({dir.Sub("data"), {"--config", conf}, kAdminPassword});
  auto r = PostJson(*server->Client(""), "/api/v1/login",
                    {{"username", "admin"}, {"password", kAdminPassword}});
  ASSERT_EQ(r->status, 200) << r->body;
  std::string token = BodyJson(r)["token"];
  auto with_token = server->Client("");
  with_token->set_bearer_token_auth(token);
  EXPECT_EQ(with_token->Get("/api/v1/server")->status, 200);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int status = 0;
  std::string body;
  while (std::chrono::steady_clock::now() < deadline) {
    auto last = with_token->Get("/api/v1/server");
    status = last ? last->status : 0;
    body = last ? last->body : "";
    if (status == 401) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status, 401);
  EXPECT_NE(body.find("expired"), std::string::npos) << body;
}

TEST(SecurityLimitsE2eTest, ConnectionsOverTheLimitGet503AtOnce) {
  TempDir dir;
  std::string conf =
      WriteConfig(dir, "conn.conf", "server.threads = 2\nserver.max-connections = 2\n");
  auto server = ServerProcess::Start({dir.Sub("data"), {"--config", conf}, kAdminPassword});
  {
    // Two idle connections hold both workers and both admitted slots.
    RawSocket idle1(server->port()), idle2(server->port());
    RawSocket third(server->port());
    auto start = std::chrono::steady_clock::now();
    third.Send("GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string response = third.Receive(3000);
    EXPECT_EQ(StatusOf(response), 503) << response;
    EXPECT_NE(response.find("Retry-After: 1"), std::string::npos) << response;
    EXPECT_NE(BodyOf(response).find("server.max-connections"), std::string::npos) << response;
    // Answered by the refusal thread, not after the idle connections time out.
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  }
  // With the idle connections gone the server serves again.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = server->Client("")->Get("/api/v1/health");
    status = r ? r->status : 0;
    if (status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status, 200);
}

// Two servers: a source with a reader account for targets and one project
// with two commits, and a target with a category to synchronize into.
class SecuritySyncE2eTest : public ::testing::Test {
 protected:
  static constexpr char kSourcePassword[] = "puller-secret-password";

  void SetUp() override {
    source_ = ServerProcess::Start({dir_.Sub("source"), {}, kAdminPassword});
    target_ = ServerProcess::Start({dir_.Sub("target"), {}, kAdminPassword});
    auto source_admin = source_->Client();
    ASSERT_EQ(PostJson(*source_admin, "/api/v1/users",
                       {{"name", "puller"}, {"password", kSourcePassword}, {"role", "reader"}})
                  ->status,
              201);
    project_ = CreateProject(*source_admin, "library");
    for (int i = 1; i <= 2; ++i) {
      auto r = PostJson(*source_admin, "/sysml/v2/projects/" + project_ + "/commits",
                        CommitOf({{Uuid(i), Uuid(i)}}));
      ASSERT_EQ(r->status, 201) << r->body;
    }
    category_ = BodyJson(target_->Client()->Get("/api/v1/server"))["rootCategoryId"];
  }

  Json Config(const std::string& url) const {
    return {{"name", "cfg-" + RandomName()},
            {"source", {{"url", url}, {"username", "puller"}, {"password", kSourcePassword}}},
            {"resources", Json::array({project_})},
            {"targetCategoryId", category_},
            {"trigger", {{"type", "manual"}}}};
  }
  static std::string RandomName() { return std::to_string(std::rand()); }
  static std::string Url(int port) { return "http://127.0.0.1:" + std::to_string(port); }

  TempDir dir_;
  std::unique_ptr<ServerProcess> source_, target_;
  std::string project_, category_;
};

TEST_F(SecuritySyncE2eTest, SourcePasswordsNeverLeaveTheTargetInClear) {
  auto target = target_->Client();
  auto created = PostJson(*target, "/api/v1/remote-configs", Config(Url(source_->port())));
  ASSERT_EQ(created->status, 201) << created->body;
  std::string id = BodyJson(created)["id"];
  auto run = target->Post("/api/v1/remote-configs/" + id + "/sync?wait=true", "", "application/json");
  ASSERT_EQ(run->status, 200) << run->body;
  ASSERT_EQ(BodyJson(run)["outcome"], "ok") << run->body;
  // Not in any answer about the configuration...
  for (const std::string& path : {std::string("/api/v1/remote-configs"), "/api/v1/remote-configs/" + id,
                                  "/api/v1/remote-configs/" + id + "/status",
                                  "/api/v1/remote-configs/" + id + "/runs"}) {
    auto r = target->Get(path);
    ASSERT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->body.find(kSourcePassword), std::string::npos) << path;
  }
  EXPECT_EQ(created->body.find(kSourcePassword), std::string::npos);
  EXPECT_EQ(run->body.find(kSourcePassword), std::string::npos);
  // ...nor in the store's files (database and write-ahead log) or either log.
  for (const auto& entry : std::filesystem::directory_iterator(dir_.Sub("target"))) {
    if (!entry.is_regular_file()) continue;
    EXPECT_EQ(ReadFile(entry.path().string()).find(kSourcePassword), std::string::npos)
        << entry.path();
  }
  EXPECT_TRUE(std::filesystem::exists(dir_.Sub("target") + "/tandem.db-wal"))
      << "the write-ahead log was not checked";
  EXPECT_EQ(target_->StderrText().find(kSourcePassword), std::string::npos);
  EXPECT_EQ(source_->StderrText().find(kSourcePassword), std::string::npos);
  // A URL carrying credentials is refused without being repeated back.
  Json in_url = Config("http://puller:" + std::string(kSourcePassword) + "@127.0.0.1:" +
                       std::to_string(source_->port()));
  auto refused = PostJson(*target, "/api/v1/remote-configs", in_url);
  EXPECT_EQ(refused->status, 400) << refused->body;
  EXPECT_NE(refused->body.find("source.username and source.password"), std::string::npos)
      << refused->body;
  EXPECT_EQ(refused->body.find(kSourcePassword), std::string::npos) << refused->body;
  EXPECT_EQ(target_->StderrText().find(kSourcePassword), std::string::npos);
}

// A source in the middle that forwards everything from the real source but
// changes one element inside the pack stream, leaving its stated hash.
class ForgingSource {
 public:
  explicit ForgingSource(int real_port) : real_port_(real_port) {
    auto forward = [this](const httplib::Request& req, httplib::Response& res) {
      httplib::Client real("127.0.0.1", real_port_);
      httplib::Headers headers = {{"Authorization", req.get_header_value("Authorization")}};
      auto answer = req.method == "POST"
                        ? real.Post(req.target, headers, req.body, "application/json")
                        : real.Get(req.target, headers);
      if (!answer) {
        res.status = 502;
        return;
      }
      res.status = answer->status;
      std::string body = answer->body;
      if (req.path.find("/pack") != std::string::npos && answer->status == 200) {
        body = Forge(body);
      }
      res.set_content(body, answer->get_header_value("Content-Type"));
    };
    server_.Get(".*", forward);
    server_.Post(".*", forward);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~ForgingSource() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  int forged() const { return forged_; }

 private:
  // Decompresses the pack, renames the first element, compresses it again.
  std::string Forge(const std::string& pack) {
    std::string text, out;
    ZstdDecompressor unzip([&](std::string_view b) { text.append(b); return true; }, 1ull << 30);
    EXPECT_TRUE(unzip.Write(pack).ok());
    auto at = text.find("PartDefinition");
    EXPECT_NE(at, std::string::npos) << text.substr(0, 300);
    if (at == std::string::npos) return pack;
    text[at] = 'Q';
    ++forged_;
    ZstdCompressor zip([&](std::string_view b) { out.append(b); return true; });
    EXPECT_TRUE(zip.Write(text).ok());
    EXPECT_TRUE(zip.Finish().ok());
    return out;
  }

  int real_port_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> forged_{0};
};

TEST_F(SecuritySyncE2eTest, AForgedPackIsRefusedAndNothingOfItIsStored) {
  ForgingSource forger(source_->port());
  auto target = target_->Client();
  auto created = PostJson(*target, "/api/v1/remote-configs", Config(Url(forger.port())));
  ASSERT_EQ(created->status, 201) << created->body;
  std::string id = BodyJson(created)["id"];
  auto run = target->Post("/api/v1/remote-configs/" + id + "/sync?wait=true", "", "application/json");
  ASSERT_EQ(run->status, 200) << run->body;
  EXPECT_EQ(forger.forged(), 1);
  Json report = BodyJson(run)["report"];
  EXPECT_NE(report["outcome"], "ok") << run->body;
  ASSERT_EQ(report["resources"].size(), 1u) << run->body;
  EXPECT_EQ(report["resources"][0]["state"], "error") << run->body;
  EXPECT_NE(report["resources"][0].value("message", "").find("hash"), std::string::npos) << run->body;
  // The copy exists (its metadata came first) but holds no commit of the forged stream.
  auto commits = target->Get("/api/v1/resources/" + project_ + "/commits");
  ASSERT_EQ(commits->status, 200) << commits->body;
  EXPECT_EQ(BodyJson(commits), Json::array());
  EXPECT_EQ(target->Get("/api/v1/health")->status, 200);
}

}  // namespace
}  // namespace tandem::e2e
