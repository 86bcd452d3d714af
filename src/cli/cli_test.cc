// Tests of the tandem CLI, driven in-process through a fake Transport.
#include "cli/cli.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/api_client.h"
#include "cli/commit_file.h"
#include "cli/output.h"
#include "cli/request_target.h"
#include "cli/server_url.h"

namespace tandem {
namespace {

using nlohmann::json;

constexpr char kPassword[] = "s3cret-Pa55";
constexpr char kRes[] = "11111111-aaaa-4aaa-8aaa-000000000001";
constexpr char kProject[] = "22222222-bbbb-4bbb-8bbb-000000000002";
constexpr char kMain[] = "33333333-cccc-4ccc-8ccc-000000000003";
constexpr char kHead[] = "44444444-dddd-4ddd-8ddd-000000000004";

// A scripted server: canned responses per "METHOD target", first in first out
// (the last one repeats), and a record of every request.
class FakeServer : public Transport {
 public:
  void On(const std::string& method, const std::string& target, int status, const json& body,
          HttpHeaders headers = {}) {
    HttpResponse response;
    response.status = status;
    response.body = body.is_null() ? "" : body.dump();
    response.headers = std::move(headers);
    routes_[method + " " + target].push_back(std::move(response));
  }
  void OnRaw(const std::string& method, const std::string& target, int status, std::string body) {
    HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    routes_[method + " " + target].push_back(std::move(response));
  }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    requests.push_back(request);
    if (unreachable) return Status::Unavailable("cannot reach http://127.0.0.1:8111: refused");
    auto it = routes_.find(request.method + " " + request.target);
    if (it == routes_.end()) {
      HttpResponse missing;
      missing.status = 404;
      missing.body =
          json{{"@type", "Error"},
               {"description", "no fake route for " + request.method + " " + request.target}}
              .dump();
      return missing;
    }
    HttpResponse response = it->second.front();
    if (it->second.size() > 1) it->second.pop_front();
    return response;
  }

  std::vector<HttpRequest> requests;
  bool unreachable = false;

 private:
  std::map<std::string, std::deque<HttpResponse>> routes_;
};

// Hands RunCli a Transport that forwards to the test's FakeServer.
class ForwardingTransport : public Transport {
 public:
  explicit ForwardingTransport(FakeServer& server) : server_(server) {}
  Result<HttpResponse> Send(const HttpRequest& request) override { return server_.Send(request); }

 private:
  FakeServer& server_;
};

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  CliTest() {
    env_.variables["TANDEM_PASSWORD"] = kPassword;
    env_.make_transport = [this](const ServerUrl& url, const TransportOptions&) {
      connected_to_ = url.ToString();
      return std::make_unique<ForwardingTransport>(server_);
    };
  }

  Outcome Cli(const std::vector<std::string>& args, const std::string& input = "") {
    std::istringstream in(input);
    std::ostringstream out, err;
    Outcome outcome;
    outcome.code = RunCli(args, in, out, err, env_);
    outcome.out = out.str();
    outcome.err = err.str();
    EXPECT_EQ(outcome.out.find(kPassword), std::string::npos) << outcome.out;
    EXPECT_EQ(outcome.err.find(kPassword), std::string::npos) << outcome.err;
    return outcome;
  }

  // The resource kRes (the SysML v2 project with the same id) with Project ID
  // kProject and default branch kMain.
  void ServeResource() {
    server_.On("GET", std::string("/api/v1/resources/") + kRes, 200,
               {{"id", kRes},
                {"projectId", kProject},
                {"name", "Drone"},
                {"defaultBranchId", kMain},
                {"readOnly", false},
                {"origin", nullptr}});
  }

  std::string ProjectPath() const { return std::string("/sysml/v2/projects/") + kRes; }

  const HttpRequest& LastRequest() const { return server_.requests.back(); }

  FakeServer server_;
  Environment env_;
  std::string connected_to_;
};

// ---------------------------------------------------------------- parsing

TEST_F(CliTest, NoArgumentsPrintsHelpAndExitsWithUsage) {
  Outcome r = Cli({});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("Usage: tandem"), std::string::npos);
  EXPECT_TRUE(server_.requests.empty());
}

TEST_F(CliTest, HelpExitsZero) {
  Outcome r = Cli({"--help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_NE(r.out.find("resource"), std::string::npos);
  r = Cli({"commit", "--help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_NE(r.out.find("--previous"), std::string::npos);
}

TEST_F(CliTest, UnknownCommandAndMissingArgumentsAreUsageErrors) {
  EXPECT_EQ(Cli({"frobnicate"}).code, kExitUsage);
  EXPECT_EQ(Cli({"category"}).code, kExitUsage);                // needs a subcommand
  EXPECT_EQ(Cli({"category", "create"}).code, kExitUsage);      // needs NAME
  EXPECT_EQ(Cli({"category", "move", "c1"}).code, kExitUsage);  // needs --parent
  EXPECT_EQ(Cli({"user", "create", "bob", "--role", "king"}).code, kExitUsage);
  EXPECT_EQ(Cli({"log", kRes, "--limit", "0"}).code, kExitUsage);
  EXPECT_EQ(Cli({"branch", "create", kRes, "b"}).code, kExitUsage);  // needs --commit
  EXPECT_TRUE(server_.requests.empty());
}

TEST_F(CliTest, ServerAndUserComeFromFlagsThenEnvironmentThenDefaults) {
  server_.On("GET", "/api/v1/server", 200, {{"serverId", "S1"}, {"version", "0.1.0"}});
  ASSERT_EQ(Cli({"server"}).code, kExitOk);
  EXPECT_EQ(connected_to_, "http://127.0.0.1:8111");
  EXPECT_EQ(*server_.requests.back().headers.begin(),
            (std::pair<std::string, std::string>("Authorization",
                                                 "Basic " + Base64Encode("admin:s3cret-Pa55"))));

  env_.variables["TANDEM_SERVER"] = "http://models.example:9000";
  env_.variables["TANDEM_USER"] = "alice";
  ASSERT_EQ(Cli({"server"}).code, kExitOk);
  EXPECT_EQ(connected_to_, "http://models.example:9000");
  EXPECT_EQ(server_.requests.back().headers[0].second,
            "Basic " + Base64Encode(std::string("alice:") + kPassword));

  // Global options work before or after the command.
  ASSERT_EQ(Cli({"server", "--server", "https://tandem.example", "--user", "bob"}).code, kExitOk);
  EXPECT_EQ(connected_to_, "https://tandem.example:443");
  EXPECT_EQ(server_.requests.back().headers[0].second,
            "Basic " + Base64Encode(std::string("bob:") + kPassword));
}

TEST_F(CliTest, BadServerUrlIsAUsageErrorAndNeverEchoesCredentials) {
  Outcome r = Cli({"--server", "ftp://x", "server"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("http or https"), std::string::npos);
  r = Cli({"--server", "http://admin:hunter2@host:8111", "server"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.err.find("hunter2"), std::string::npos);
  EXPECT_TRUE(server_.requests.empty());
}

TEST_F(CliTest, ServerShowsIdAndVersion) {
  server_.On("GET", "/api/v1/server", 200, {{"serverId", "S-42"}, {"version", "0.1.0"}});
  Outcome r = Cli({"server"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("server id:  S-42"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0.1.0"), std::string::npos);
  EXPECT_EQ(LastRequest().method, "GET");
}

// ---------------------------------------------------------------- passwords

TEST_F(CliTest, WithoutPasswordOrTerminalTellsWhatToDo) {
  env_.variables.erase("TANDEM_PASSWORD");
  Outcome r = Cli({"server"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("set TANDEM_PASSWORD or run interactively"), std::string::npos);
  EXPECT_TRUE(server_.requests.empty());
}

TEST_F(CliTest, PromptsForThePasswordOnATerminal) {
  env_.variables.erase("TANDEM_PASSWORD");
  std::vector<std::string> prompts;
  env_.read_secret = [&prompts](std::string_view prompt) -> Result<std::string> {
    prompts.emplace_back(prompt);
    return std::string("typed-secret");
  };
  server_.On("GET", "/api/v1/server", 200, {{"serverId", "S"}, {"version", "1"}});
  Outcome r = Cli({"server"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  ASSERT_EQ(prompts.size(), 1u);
  EXPECT_EQ(prompts[0], "Password for admin at http://127.0.0.1:8111: ");
  EXPECT_EQ(server_.requests[0].headers[0].second, "Basic " + Base64Encode("admin:typed-secret"));
  EXPECT_EQ(r.out.find("typed-secret"), std::string::npos);
  EXPECT_EQ(r.err.find("typed-secret"), std::string::npos);
}

TEST_F(CliTest, UserCreateTakesTheNewPasswordFromTheEnvironment) {
  env_.variables["TANDEM_NEW_PASSWORD"] = "n3w-Passw0rd";
  server_.On("POST", "/api/v1/users", 201,
             {{"name", "bob"}, {"role", "writer"}, {"created", "2024-05-01T10:00:00Z"}});
  Outcome r = Cli({"user", "create", "bob", "--role", "writer"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(json::parse(LastRequest().body),
            (json{{"name", "bob"}, {"password", "n3w-Passw0rd"}, {"role", "writer"}}));
  EXPECT_EQ(r.out, "Created user bob (writer)\n");
  EXPECT_EQ(r.out.find("n3w-Passw0rd"), std::string::npos);
}

TEST_F(CliTest, UserPasswdPromptsTwiceAndRefusesAMismatch) {
  std::deque<std::string> answers = {"first-pw", "other-pw"};
  env_.read_secret = [&answers](std::string_view) -> Result<std::string> {
    std::string a = answers.front();
    answers.pop_front();
    return a;
  };
  Outcome r = Cli({"user", "passwd", "bob"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("do not match"), std::string::npos);
  EXPECT_TRUE(server_.requests.empty());

  answers = {"same-pw", "same-pw"};
  server_.On("PATCH", "/api/v1/users/bob", 200, {{"name", "bob"}, {"role", "reader"}});
  r = Cli({"user", "passwd", "bob"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(json::parse(LastRequest().body), (json{{"password", "same-pw"}}));
  EXPECT_EQ(r.out.find("same-pw"), std::string::npos);
}

TEST_F(CliTest, UserPasswdWithoutTerminalOrVariableIsAUsageError) {
  Outcome r = Cli({"user", "passwd", "bob"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("TANDEM_NEW_PASSWORD"), std::string::npos);
}

TEST_F(CliTest, UserListAndDelete) {
  server_.On(
      "GET", "/api/v1/users", 200,
      json::array({{{"name", "admin"}, {"role", "admin"}, {"created", "2024-01-02T03:04:05Z"}},
                   {{"name", "bob"}, {"role", "reader"}, {"created", nullptr}}}));
  Outcome r = Cli({"user", "list"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "NAME   ROLE    CREATED\n"
            "admin  admin   2024-01-02 03:04:05Z\n"
            "bob    reader  -\n");
  server_.On("DELETE", "/api/v1/users/bob%20smith", 204, nullptr);
  r = Cli({"user", "delete", "bob smith"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "Deleted user bob smith\n");
}

// ---------------------------------------------------------------- errors

TEST_F(CliTest, ServerErrorsPrintStatusAndDescriptionAndExitOne) {
  server_.On("DELETE", "/api/v1/categories/c1", 409,
             {{"@type", "Error"}, {"description", "category c1 is not empty"}});
  Outcome r = Cli({"category", "delete", "c1"});
  EXPECT_EQ(r.code, kExitServerError);
  EXPECT_EQ(r.err, "error: 409 Conflict: category c1 is not empty\n");
  EXPECT_EQ(r.out, "");
}

TEST_F(CliTest, ErrorsWithoutErrorJsonStillShowTheStatus) {
  server_.OnRaw("GET", "/api/v1/server", 502, "<html>bad gateway</html>");
  Outcome r = Cli({"server"});
  EXPECT_EQ(r.code, kExitServerError);
  EXPECT_EQ(r.err, "error: 502 Bad Gateway\n");

  server_.OnRaw("GET", "/api/v1/users", 500, "database is locked\n");
  r = Cli({"user", "list"});
  EXPECT_EQ(r.code, kExitServerError);
  EXPECT_EQ(r.err, "error: 500 Internal Server Error: database is locked\n");
}

TEST_F(CliTest, UnauthorizedAddsAHint) {
  server_.On("GET", "/api/v1/server", 401,
             {{"@type", "Error"}, {"description", "bad credentials"}});
  Outcome r = Cli({"server"});
  EXPECT_EQ(r.code, kExitServerError);
  EXPECT_NE(r.err.find("error: 401 Unauthorized: bad credentials\n"), std::string::npos);
  EXPECT_NE(r.err.find("hint: check the user name"), std::string::npos);
}

TEST_F(CliTest, ConnectionFailureExitsThreeWithAHint) {
  server_.unreachable = true;
  Outcome r = Cli({"--server", "http://127.0.0.1:9", "category", "list"});
  EXPECT_EQ(r.code, kExitConnection);
  EXPECT_NE(r.err.find("hint: is tandem-server running at http://127.0.0.1:9?"), std::string::npos)
      << r.err;
}

TEST_F(CliTest, InvalidJsonFromTheServerIsAServerError) {
  server_.OnRaw("GET", "/api/v1/server", 200, "{not json");
  Outcome r = Cli({"server"});
  EXPECT_EQ(r.code, kExitServerError);
  EXPECT_NE(r.err.find("not valid JSON"), std::string::npos);
}

// ---------------------------------------------------------------- pagination

TEST_F(CliTest, ListsFollowLinkHeadersToTheEnd) {
  server_.On("GET", "/api/v1/resources", 200,
             json::array({{{"id", "r1"}, {"name", "One"}}, {{"id", "r2"}, {"name", "Two"}}}),
             {{"Link", "<http://127.0.0.1:8111/api/v1/resources?page[after]=r2>; rel=\"next\""}});
  server_.On("GET", "/api/v1/resources?page[after]=r2", 200,
             json::array({{{"id", "r3"}, {"name", "Three"}}}),
             {{"link", "</api/v1/resources?page[after]=r3>; rel=\"prev next\""}});
  server_.On("GET", "/api/v1/resources?page[after]=r3", 200,
             json::array({{{"id", "r4"}, {"name", "Four"}}}),
             {{"Link", "</api/v1/resources>; rel=\"first\""}});
  Outcome r = Cli({"--json", "resource", "list"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  json listed = json::parse(r.out);
  ASSERT_EQ(listed.size(), 4u);
  EXPECT_EQ(listed[3]["id"], "r4");
  EXPECT_EQ(server_.requests.size(), 3u);
}

TEST_F(CliTest, LimitAsksForSmallPagesAndStopsEarly) {
  std::string first = std::string("/api/v1/resources/") + kRes + "/commits?page[size]=3";
  server_.On("GET", first, 200, json::array({{{"id", "c5"}}, {{"id", "c4"}}, {{"id", "c3"}}}),
             {{"Link", std::string("</api/v1/resources/") + kRes +
                           "/commits?page[size]=3&page[after]=c3>; rel=\"next\""}});
  Outcome r = Cli({"log", kRes, "--limit", "3", "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(json::parse(r.out).size(), 3u);
  EXPECT_EQ(server_.requests.size(), 1u);  // the next page is not needed
}

TEST_F(CliTest, LimitTrimsAnOversizedPage) {
  server_.On("GET", "/api/v1/resources?page[size]=2", 200,
             json::array({{{"id", "a"}}, {{"id", "b"}}, {{"id", "c"}}}));
  Outcome r = Cli({"resource", "list", "--limit", "2", "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(json::parse(r.out).size(), 2u);
}

TEST_F(CliTest, PaginationLoopsAreReportedNotFollowedForever) {
  server_.On("GET", "/api/v1/categories", 200, json::array({{{"id", "c1"}}}),
             {{"Link", "</api/v1/categories>; rel=next"}});
  Outcome r = Cli({"category", "list"});
  EXPECT_EQ(r.code, kExitServerError);
  EXPECT_NE(r.err.find("loop"), std::string::npos);
  EXPECT_EQ(server_.requests.size(), 1u);
}

// ---------------------------------------------------------------- categories, resources

TEST_F(CliTest, CategoryListPrintsATree) {
  server_.On(
      "GET", "/api/v1/categories", 200,
      json::array({{{"id", "c2"},
                    {"name", "Avionics"},
                    {"parentId", "root"},
                    {"description", "flight systems"},
                    {"readOnly", false}},
                   {{"id", "root"}, {"name", "Root"}, {"parentId", nullptr}, {"readOnly", true}},
                   {{"id", "c3"}, {"name", "Sensors"}, {"parentId", "c2"}}}));
  Outcome r = Cli({"category", "list"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "ID    NAME         READ-ONLY  DESCRIPTION\n"
            "root  Root         yes\n"
            "c2      Avionics              flight systems\n"
            "c3        Sensors\n");
}

TEST_F(CliTest, CategoryCreateRenameMove) {
  server_.On("POST", "/api/v1/categories", 201, {{"id", "c9"}, {"name", "Power"}});
  Outcome r =
      Cli({"category", "create", "Power", "--parent", "root", "--description", "batteries"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "Created category c9 (Power)\n");
  EXPECT_EQ(json::parse(LastRequest().body),
            (json{{"name", "Power"}, {"parentId", "root"}, {"description", "batteries"}}));

  server_.On("PATCH", "/api/v1/categories/c9", 200, {{"id", "c9"}, {"name", "Energy"}});
  r = Cli({"category", "rename", "c9", "Energy"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(json::parse(LastRequest().body), (json{{"name", "Energy"}}));

  r = Cli({"category", "move", "c9", "--parent", "c2"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(json::parse(LastRequest().body), (json{{"parentId", "c2"}}));
  EXPECT_EQ(r.out, "Moved category c9 under c2\n");
}

TEST_F(CliTest, ResourceListFiltersByCategory) {
  server_.On("GET", "/api/v1/resources?categoryId=cat%201", 200,
             json::array({{{"id", "r1"},
                           {"name", "Drone"},
                           {"categoryId", "cat 1"},
                           {"readOnly", true},
                           {"created", "2024-05-01T10:20:30.123Z"}}}));
  Outcome r = Cli({"resource", "list", "--category", "cat 1"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "ID  NAME   CATEGORY  READ-ONLY  CREATED\n"
            "r1  Drone  cat 1     yes        2024-05-01 10:20:30Z\n");
}

TEST_F(CliTest, ResourceCreateShowMoveDelete) {
  server_.On("POST", "/api/v1/resources", 201,
             {{"id", "r7"}, {"name", "Rover"}, {"projectId", "p7"}});
  Outcome r = Cli({"resource", "create", "Rover", "--category", "c2", "--project-id", "p7"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(json::parse(LastRequest().body),
            (json{{"name", "Rover"}, {"categoryId", "c2"}, {"projectId", "p7"}}));
  EXPECT_EQ(r.out, "Created resource r7 (Rover), project p7\n");

  ServeResource();
  r = Cli({"resource", "show", kRes});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("project:         " + std::string(kProject)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("read-only:       no"), std::string::npos);

  server_.On("PATCH", "/api/v1/resources/r7", 200, {{"id", "r7"}, {"categoryId", "c3"}});
  r = Cli({"resource", "move", "r7", "--category", "c3", "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(json::parse(LastRequest().body), (json{{"categoryId", "c3"}}));
  EXPECT_EQ(json::parse(r.out)["categoryId"], "c3");

  server_.On("DELETE", "/api/v1/resources/r7", 204, nullptr);
  r = Cli({"resource", "delete", "r7"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "Deleted resource r7\n");
  r = Cli({"resource", "delete", "r7", "--json"});
  EXPECT_EQ(r.out, "");  // nothing to print for 204
}

// ---------------------------------------------------------------- commit

TEST_F(CliTest, CommitSendsTheFileAndPrintsTheNewCommitId) {
  ServeResource();
  std::string target = ProjectPath() + "/commits?branchId=" + kMain;
  server_.On("POST", target, 201, {{"@id", "c-new"}, {"@type", "Commit"}});
  std::string file = R"([
    {"identity": {"@id": "e1"}, "payload": {"@id": "e1", "@type": "PartDefinition"}},
    {"@type": "DataVersion", "identity": {"@id": "e2"}, "payload": null}
  ])";
  Outcome r = Cli({"commit", kRes, "-", "--description", "add e1", "--previous", kHead}, file);
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "Created commit c-new on branch " + std::string(kMain) +
                       ": 2 elements changed (1 written, 1 deleted)\n");
  json sent = json::parse(LastRequest().body);
  EXPECT_EQ(sent["@type"], "Commit");
  EXPECT_EQ(sent["description"], "add e1");
  EXPECT_EQ(sent["previousCommit"], (json{{"@id", kHead}}));
  EXPECT_EQ(sent["change"][0]["@type"], "DataVersion");
  EXPECT_EQ(sent["change"][1]["payload"], nullptr);
  EXPECT_EQ(LastRequest().content_type, "application/json");
}

TEST_F(CliTest, CommitToAnotherBranchWithJsonOutput) {
  ServeResource();
  server_.On("POST", ProjectPath() + "/commits?branchId=dev", 201,
             {{"@id", "c2"}, {"@type", "Commit"}});
  Outcome r = Cli({"commit", kRes, "-", "--branch", "dev", "--json"},
                  R"({"description": "from file", "change": []})");
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(json::parse(r.out)["@id"], "c2");
  EXPECT_EQ(json::parse(LastRequest().body)["description"], "from file");
}

TEST_F(CliTest, CommitConflictShowsTheServersReason) {
  ServeResource();
  server_.On(
      "POST", ProjectPath() + "/commits?branchId=" + kMain, 409,
      {{"@type", "Error"}, {"description", "previousCommit c0 is not the head of branch main"}});
  Outcome r = Cli({"commit", kRes, "-", "--previous", "c0"}, "[]");
  EXPECT_EQ(r.code, kExitServerError);
  EXPECT_EQ(r.err, "error: 409 Conflict: previousCommit c0 is not the head of branch main\n");
}

TEST_F(CliTest, BadCommitFilesAreRejectedBeforeAnyRequest) {
  struct Case {
    std::string text;
    std::string expected;
  };
  std::vector<Case> cases = {
      {"{\"change\": [", "standard input is not valid JSON"},
      {"\"hello\"", "got string"},
      {"{\"changes\": []}", "has no \"change\" array"},
      {"{\"change\": {}}", "\"change\" must be an array"},
      {"[42]", "change[0]: expected a DataVersion object, got number"},
      {R"([{"identity": {"@id": "e1"}}])", "change[0]: has no \"payload\""},
      {R"([{"identity": {"@id": "e1"}, "payload": {"@id": "e1"}}])", "has no \"@type\""},
      {R"([{"payload": null}])", "has no \"identity\""},
      {R"([{"identity": {"@id": "e1"}, "payload": {"@id": "e2", "@type": "Part"}}])",
       "payload.@id e2 differs from identity.@id e1"},
      {R"([{"@type": "Commit", "identity": {"@id": "e1"}, "payload": null}])",
       "change[0].@type: expected \"DataVersion\""},
  };
  for (const Case& c : cases) {
    Outcome r = Cli({"commit", kRes, "-"}, c.text);
    EXPECT_EQ(r.code, kExitUsage) << c.text;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << c.text << " -> " << r.err;
  }
  Outcome r = Cli({"commit", kRes, "/nonexistent/commit.json"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("cannot open commit file /nonexistent/commit.json"), std::string::npos);
  EXPECT_TRUE(server_.requests.empty());
}

TEST(CommitFileTest, FillsIdentityFromThePayloadAndCountsChanges) {
  Result<json> body = ParseCommitFile(
      R"({"@type": "Commit", "change": [{"payload": {"@id": "e1", "@type": "Part"}},
          {"identity": {"@id": "e2"}, "payload": null}]})",
      "c.json");
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ((*body)["change"][0]["identity"], (json{{"@id", "e1"}}));
  ChangeCounts counts = CountChanges(*body);
  EXPECT_EQ(counts.written, 1u);
  EXPECT_EQ(counts.deleted, 1u);
}

TEST(CommitFileTest, ListsSeveralProblemsAtOnce) {
  Result<json> body = ParseCommitFile(R"([1, 2, {"payload": null}])", "c.json");
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(body.status().message().find("c.json: 3 problems"), std::string::npos);
  EXPECT_NE(body.status().message().find("\n  change[2]"), std::string::npos);
}

// ---------------------------------------------------------------- log, branches, tags

TEST_F(CliTest, LogPrintsOneLinePerCommit) {
  server_.On("GET", std::string("/api/v1/resources/") + kRes + "/commits?branchId=b1", 200,
             json::array({{{"id", "aaaaaaaa-0000-4000-8000-000000000001"},
                           {"created", "2024-05-02T08:00:00Z"},
                           {"author", "alice"},
                           {"description", "Add wings\nand more"},
                           {"tags", json::array({{{"id", "t1"}, {"name", "v1.0"}}})}},
                          {{"id", "bbbbbbbb-0000-4000-8000-000000000002"},
                           {"created", "2024-05-01T07:00:00Z"},
                           {"author", "bob"},
                           {"name", "initial"},
                           {"tags", json::array()}}}));
  Outcome r = Cli({"log", kRes, "--branch", "b1"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "aaaaaaaa  2024-05-02 08:00:00Z  alice  Add wings ... (tag: v1.0)\n"
            "bbbbbbbb  2024-05-01 07:00:00Z  bob    initial\n");
}

TEST_F(CliTest, BranchListMarksTheDefaultBranch) {
  ServeResource();
  server_.On("GET", ProjectPath() + "/branches", 200,
             json::array({{{"@id", kMain}, {"name", "main"}, {"head", {{"@id", kHead}}}},
                          {{"@id", "b2"}, {"name", "empty"}, {"head", nullptr}}}));
  Outcome r = Cli({"branch", "list", kRes});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, std::string("   ID                                    NAME   HEAD\n") + "*  " +
                       kMain + "  main   " + kHead + "\n" +
                       "   b2                                    empty  -\n");
}

TEST_F(CliTest, BranchCreateAndDelete) {
  ServeResource();
  server_.On("POST", ProjectPath() + "/branches", 201, {{"@id", "b9"}, {"name", "feature"}});
  Outcome r = Cli({"branch", "create", kRes, "feature", "--commit", kHead});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(json::parse(LastRequest().body),
            (json{{"@type", "Branch"}, {"name", "feature"}, {"head", {{"@id", kHead}}}}));
  EXPECT_EQ(r.out, "Created branch b9 (feature) at commit " + std::string(kHead) + "\n");

  server_.On("DELETE", ProjectPath() + "/branches/b9", 204, nullptr);
  r = Cli({"branch", "delete", kRes, "b9"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "Deleted branch b9\n");
}

TEST_F(CliTest, TagCreateListDelete) {
  ServeResource();
  server_.On("POST", ProjectPath() + "/tags", 201, {{"@id", "t1"}, {"name", "v1"}});
  Outcome r = Cli({"tag", "create", kRes, "v1", "--commit", kHead, "--description", "first"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(json::parse(LastRequest().body), (json{{"@type", "Tag"},
                                                   {"name", "v1"},
                                                   {"taggedCommit", {{"@id", kHead}}},
                                                   {"description", "first"}}));

  server_.On("GET", ProjectPath() + "/tags", 200,
             json::array({{{"@id", "t1"}, {"name", "v1"}, {"taggedCommit", {{"@id", "c1"}}}}}));
  r = Cli({"tag", "list", kRes});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "ID  NAME  COMMIT  DESCRIPTION\nt1  v1    c1\n");

  server_.On("DELETE", ProjectPath() + "/tags/t1", 204, nullptr);
  EXPECT_EQ(Cli({"tag", "delete", kRes, "t1"}).code, kExitOk);
}

// ---------------------------------------------------------------- elements

TEST_F(CliTest, ElementsDefaultToTheHeadOfTheDefaultBranch) {
  ServeResource();
  server_.On("GET", ProjectPath(), 200,
             {{"@id", kRes}, {"@type", "Project"}, {"defaultBranch", {{"@id", kMain}}}});
  server_.On("GET", ProjectPath() + "/branches/" + kMain, 200,
             {{"@id", kMain}, {"name", "main"}, {"head", {{"@id", kHead}}}});
  std::string elements = ProjectPath() + "/commits/" + kHead + "/elements";
  server_.On("GET", elements, 200,
             json::array({{{"@id", "e1"}, {"@type", "PartDefinition"}, {"declaredName", "Wing"}}}),
             {{"Link", "<" + elements + "?page[after]=e1>; rel=\"next\""}});
  server_.On("GET", elements + "?page[after]=e1", 200,
             json::array({{{"@id", "e2"}, {"@type", "Package"}}}));
  Outcome r = Cli({"elements", kRes});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, std::string("ID  TYPE            NAME\n") + "e1  PartDefinition  Wing\n" +
                       "e2  Package         -\n" + "2 elements at commit " + kHead + "\n");
}

TEST_F(CliTest, ElementsOnAnEmptyBranch) {
  ServeResource();
  server_.On("GET", ProjectPath(), 200, {{"@id", kRes}, {"defaultBranch", {{"@id", kMain}}}});
  server_.On("GET", ProjectPath() + "/branches/" + kMain, 200, {{"@id", kMain}, {"head", nullptr}});
  Outcome r = Cli({"elements", kRes, "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(json::parse(r.out), json::array());
}

TEST_F(CliTest, ElementPrintsPrettyJsonAtTheGivenCommit) {
  ServeResource();
  json element = {{"@id", "e1"}, {"@type", "PartDefinition"}, {"declaredName", "Wing"}};
  server_.On("GET", ProjectPath() + "/commits/c1/elements/e1", 200, element);
  Outcome r = Cli({"element", kRes, "e1", "--commit", "c1"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, element.dump(2) + "\n");
  EXPECT_EQ(server_.requests.size(), 2u);  // resource lookup + element; no head lookup

  Outcome missing = Cli({"element", kRes, "nope", "--commit", "c1"});
  EXPECT_EQ(missing.code, kExitServerError);
  EXPECT_NE(missing.err.find("error: 404 Not Found"), std::string::npos);
}

// ---------------------------------------------------------------- building blocks

TEST(RequestTargetTest, FindsTheNextLink) {
  EXPECT_EQ(FindNextLink("<https://h/x?page[after]=7>; rel=\"next\""), "https://h/x?page[after]=7");
  EXPECT_EQ(FindNextLink("</a>; rel=\"prev\", </b>; rel=\"next\""), "/b");
  EXPECT_EQ(FindNextLink("</a>; rel=\"prev\", </b>; title=\"x\"; REL=Next"), "/b");
  EXPECT_EQ(FindNextLink("</a>; rel=\"first next\""), "/a");
  EXPECT_EQ(FindNextLink("</a>; rel=\"prev\""), std::nullopt);
  EXPECT_EQ(FindNextLink("</nextpage>; rel=\"last\""), std::nullopt);
  EXPECT_EQ(FindNextLink(""), std::nullopt);
}

TEST(RequestTargetTest, TargetsFromLinksStayOnTheConfiguredServer) {
  EXPECT_EQ(TargetFromLink("http://evil.example:80/api/v1/x?p=1", "/api/v1/x"), "/api/v1/x?p=1");
  EXPECT_EQ(TargetFromLink("https://h", "/a"), "/");
  EXPECT_EQ(TargetFromLink("/api/v1/x?page[after]=3", "/q"), "/api/v1/x?page[after]=3");
  EXPECT_EQ(TargetFromLink("?page[after]=3", "/api/v1/x?page[size]=2"), "/api/v1/x?page[after]=3");
  EXPECT_EQ(TargetFromLink("commits?a=1", "/api/v1/resources/r/log"),
            "/api/v1/resources/r/commits?a=1");
}

TEST(RequestTargetTest, EncodesQueryValuesAndSkipsEmptyOnes) {
  EXPECT_EQ(PercentEncode("a b/c?d&e=é"), "a%20b%2Fc%3Fd%26e%3D%C3%A9");
  EXPECT_EQ(AppendQuery("/x", {{"a", "1"}, {"b", ""}, {"page[size]", "5"}}), "/x?a=1&page[size]=5");
  EXPECT_EQ(AppendQuery("/x?y=1", {{"a", "&"}}), "/x?y=1&a=%26");
}

TEST(ServerUrlTest, ParsesAndRejects) {
  Result<ServerUrl> url = ParseServerUrl("HTTPS://Tandem.example");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->ToString(), "https://Tandem.example:443");
  EXPECT_EQ(ParseServerUrl("http://127.0.0.1:8111/")->port, 8111);
  EXPECT_EQ(ParseServerUrl("http://[::1]:8111")->ToString(), "http://[::1]:8111");
  for (const char* bad : {"127.0.0.1:8111", "http://", "http://h:0", "http://h:99999", "http://h:x",
                          "http://h/api", "http://h?x", "http://::1:80"}) {
    EXPECT_FALSE(ParseServerUrl(bad).ok()) << bad;
  }
}

TEST(ApiClientTest, Base64) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("admin:admin"), "YWRtaW46YWRtaW4=");
}

TEST(OutputTest, FormatsTimesAndLines) {
  EXPECT_EQ(FormatTime("2024-05-01T10:20:30.123456Z"), "2024-05-01 10:20:30Z");
  EXPECT_EQ(FormatTime("2024-05-01T10:20:30+02:00"), "2024-05-01 10:20:30+02:00");
  EXPECT_EQ(FormatTime("yesterday"), "yesterday");
  EXPECT_EQ(OneLine("short"), "short");
  EXPECT_EQ(OneLine("two\nlines"), "two ...");
  EXPECT_EQ(OneLine("trailing newline\n"), "trailing newline");
  EXPECT_EQ(OneLine(std::string(100, 'x'), 10), "xxxxxxx...");
  EXPECT_EQ(ShortId("aaaaaaaa-bbbb"), "aaaaaaaa");
}

}  // namespace
}  // namespace tandem
