// Tests of the tandem CLI, driven in-process through a fake Transport.
#include "cli/cli.h"

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/api_client.h"
#include "cli/cli_test_fixture.h"
#include "cli/commit_file.h"
#include "cli/output.h"
#include "cli/request_target.h"
#include "net/http_url.h"
#include "cli/sync_commands.h"

namespace tandem {
namespace {

using nlohmann::json;

constexpr char kRes[] = "11111111-aaaa-4aaa-8aaa-000000000001";
constexpr char kProject[] = "22222222-bbbb-4bbb-8bbb-000000000002";
constexpr char kMain[] = "33333333-cccc-4ccc-8ccc-000000000003";
constexpr char kHead[] = "44444444-dddd-4ddd-8ddd-000000000004";

class CliTest : public CliFixture {
 protected:
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

// Names a hostile source stored before mirrored metadata was checked (or an
// older server): printed raw they cleared the screen and faked rows.
TEST_F(CliTest, ControlCharactersInServerTextAreEscapedInTablesAndErrors) {
  server_.On("GET", "/api/v1/resources", 200,
             json::array({{{"id", "r1"},
                           {"name", "Drone\x1b[2J\r\nr9  Fake\x07"},
                           {"categoryId", "c1"},
                           {"readOnly", true},
                           {"created", "2024-05-01T10:20:30.123Z"}}}));
  Outcome r = Cli({"resource", "list"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "ID  NAME                              CATEGORY  READ-ONLY  CREATED\n"
            "r1  Drone\\x1b[2J\\x0d\\x0ar9  Fake\\x07  c1        yes        2024-05-01 10:20:30Z\n");
  server_.On("GET", "/api/v1/resources/r2", 409,
             {{"@type", "Error"}, {"description", "project 'x\x1b]0;owned\x07' is read-only"}});
  r = Cli({"resource", "show", "r2"});
  EXPECT_NE(r.code, kExitOk);
  EXPECT_NE(r.err.find("project 'x\\x1b]0;owned\\x07' is read-only"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
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

TEST(CommitFileTest, AFileNestedTooDeepToSendIsRefused) {
  std::string deep = "[{\"payload\":{\"@type\":\"Part\",\"x\":" + std::string(100'000, '[') +
                     std::string(100'000, ']') + "}}]";
  Result<json> body = ParseCommitFile(deep, "deep.json");
  ASSERT_FALSE(body.ok());
  EXPECT_NE(body.status().message().find("deep.json nests deeper than 10000 levels"),
            std::string::npos)
      << body.status().message();
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

// ---------------------------------------------------------------- sync

constexpr char kSourcePassword[] = "src-Pa55-w0rd";
constexpr char kConfigId[] = "55555555-eeee-4eee-8eee-000000000005";
constexpr char kTargetCat[] = "66666666-ffff-4fff-8fff-000000000006";
constexpr char kOldRun[] = "2024-05-01T09:00:00.000000Z";
constexpr char kNewRun[] = "2024-05-01T10:00:05.000000Z";

// Runs `tandem sync` commands with a fake clock: sleeping advances it and
// records how long was slept, so following a run takes no real time.
class SyncCliTest : public CliTest {
 protected:
  SyncCliTest() {
    SyncWaitHooks hooks;
    hooks.now_micros = [this] { return now_micros_; };
    hooks.sleep = [this](std::chrono::milliseconds d) {
      sleeps_.push_back(d);
      now_micros_ += std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    };
    hooks.is_terminal = [this](const std::ostream&) { return terminal_; };
    SetSyncWaitHooks(std::move(hooks));
  }
  ~SyncCliTest() override { SetSyncWaitHooks({}); }

  // Like Cli(), and also checks that the source password never shows.
  Outcome Sync(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), "sync");
    Outcome r = Cli(args, input);
    EXPECT_EQ(r.out.find(kSourcePassword), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find(kSourcePassword), std::string::npos) << r.err;
    return r;
  }

  std::string ConfigPath() const { return std::string("/api/v1/remote-configs/") + kConfigId; }

  static json Config() {
    return {{"id", kConfigId},
            {"name", "Supplier A"},
            {"source", {{"url", "https://supplier.example:8111"}, {"username", "mirror"}}},
            {"resources", json::array({kRes})},
            {"categories", json::array()},
            {"targetCategoryId", kTargetCat},
            {"trigger", {{"type", "tag"}, {"tag", "release"}}},
            {"once", false},
            {"enabled", true},
            {"created", "2024-05-01T08:00:00.000000Z"}};
  }

  static json Status(const std::string& state, const std::string& last_run,
                     const std::string& outcome = "ok", json progress = nullptr) {
    json s = {
        {"id", kConfigId},          {"name", "Supplier A"},
        {"state", state},           {"lastRun", {{"finished", last_run}, {"outcome", outcome}}},
        {"lastSuccess", kOldRun},   {"lastError", nullptr},
        {"consecutiveFailures", 0}, {"resources", json::array()}};
    if (!progress.is_null()) s["progress"] = progress;
    return s;
  }

  static json Progress(int done, int total, int commits, int bytes, int rate) {
    return {{"resourcesDone", done},
            {"resourcesTotal", total},
            {"commitsDone", commits},
            {"bytesDone", bytes},
            {"bytesPerSecond", rate}};
  }

  static json Row(const std::string& name, const std::string& state, json message = nullptr) {
    return {{"sourceId", "src-" + name},
            {"targetId", "src-" + name},
            {"name", name},
            {"projectId", "p-" + name},
            {"selectedBy", json::array({"resource"})},
            {"state", state},
            {"message", message}};
  }

  static json Run(const std::string& finished, const std::string& outcome, json rows,
                  json error = nullptr) {
    json report = {{"commits", 12}, {"bytes", 3 * 1024 * 1024}, {"resources", rows}};
    if (!error.is_null()) report["error"] = error;
    return {{"started", "2024-05-01T10:00:00.000000Z"},
            {"finished", finished},
            {"outcome", outcome},
            {"report", report}};
  }

  // The requests of `method` to `target`, in order.
  std::vector<ClientRequest> Requests(const std::string& method, const std::string& target) const {
    std::vector<ClientRequest> out;
    for (const auto& r : server_.requests) {
      if (r.method == method && r.target == target) out.push_back(r);
    }
    return out;
  }

  int64_t now_micros_ = 1'000'000'000;
  std::vector<std::chrono::milliseconds> sleeps_;
  bool terminal_ = false;
};

TEST_F(SyncCliTest, CreateTakesTheSourcePasswordFromTheEnvironment) {
  env_.variables["TANDEM_SOURCE_PASSWORD"] = kSourcePassword;
  json created = Config();
  server_.On("POST", "/api/v1/remote-configs", 201, created);
  Outcome r =
      Sync({"create", "Supplier A", "--source", "https://supplier.example:8111", "--source-user",
            "mirror", "--target-category", kTargetCat, "--resource", kRes, "--resource", kProject,
            "--category", kMain, "--trigger", "tag", "--tag", "release", "--once"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(LastRequest().content_type, "application/json");
  EXPECT_EQ(json::parse(LastRequest().body),
            (json{{"name", "Supplier A"},
                  {"source",
                   {{"url", "https://supplier.example:8111"},
                    {"username", "mirror"},
                    {"password", kSourcePassword}}},
                  {"resources", json::array({kRes, kProject})},
                  {"categories", json::array({kMain})},
                  {"targetCategoryId", kTargetCat},
                  {"trigger", {{"type", "tag"}, {"tag", "release"}}},
                  {"once", true},
                  {"enabled", true}}));
  EXPECT_EQ(r.out, std::string("Created remote configuration ") + kConfigId +
                       " (Supplier A), trigger tag release\n"
                       "The first run has started; follow it with: tandem sync status " +
                       kConfigId + "\n");

  // --json prints the server's record; defaults: trigger commit, enabled.
  r = Sync({"create", "B", "--source", "http://s:1", "--source-user", "m", "--target-category",
            kTargetCat, "--category", kMain, "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(json::parse(r.out), created);
  json sent = json::parse(LastRequest().body);
  EXPECT_EQ(sent["trigger"], (json{{"type", "commit"}}));
  EXPECT_EQ(sent["enabled"], true);
  EXPECT_EQ(sent["once"], false);
  EXPECT_EQ(sent["resources"], json::array());

  // Each --resource takes one id, so NAME may follow it.
  r = Sync({"create", "--resource", kRes, "C", "--source", "http://s:1", "--source-user", "m",
            "--target-category", kTargetCat});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  sent = json::parse(LastRequest().body);
  EXPECT_EQ(sent["name"], "C");
  EXPECT_EQ(sent["resources"], json::array({kRes}));
}

TEST_F(SyncCliTest, TheSourcePasswordIsNeverAFlag) {
  env_.variables["TANDEM_SOURCE_PASSWORD"] = kSourcePassword;
  for (const char* flag : {"--source-password", "--password"}) {
    Outcome r = Sync({"create", "A", "--source", "http://s:1", "--source-user", "m",
                      "--target-category", kTargetCat, "--resource", kRes, flag, "pw"});
    EXPECT_EQ(r.code, kExitUsage) << flag;
  }
  EXPECT_TRUE(server_.requests.empty());
}

TEST_F(SyncCliTest, CreatePromptsForTheSourcePasswordOnATerminal) {
  std::vector<std::string> prompts;
  env_.read_secret = [&prompts](std::string_view prompt) -> Result<std::string> {
    prompts.emplace_back(prompt);
    return std::string(kSourcePassword);
  };
  server_.On("POST", "/api/v1/remote-configs", 201, Config());
  Outcome r =
      Sync({"create", "A", "--source", "https://supplier.example:8111", "--source-user", "mirror",
            "--target-category", kTargetCat, "--resource", kRes, "--trigger", "manual"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  ASSERT_EQ(prompts.size(), 1u);  // the login password comes from TANDEM_PASSWORD
  EXPECT_EQ(prompts[0], "Password of mirror at the source https://supplier.example:8111: ");
  EXPECT_EQ(json::parse(LastRequest().body)["source"]["password"], kSourcePassword);
  EXPECT_NE(r.out.find("Run it with: tandem sync now"), std::string::npos) << r.out;
}

TEST_F(SyncCliTest, CreateValidationErrorsExitTwoBeforeAnyRequest) {
  env_.variables["TANDEM_SOURCE_PASSWORD"] = kSourcePassword;
  std::vector<std::string> base = {"create",        "A", "--source",          "http://s:1",
                                   "--source-user", "m", "--target-category", kTargetCat};
  auto with = [&base](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  Outcome r = Sync(with({}));
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("give --resource ID or --category ID"), std::string::npos) << r.err;
  r = Sync(with({"--resource", kRes, "--trigger", "tag"}));
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("--trigger tag needs --tag NAME"), std::string::npos) << r.err;
  r = Sync(with({"--resource", kRes, "--tag", "v1"}));
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("--tag is only used with --trigger tag"), std::string::npos) << r.err;
  r = Sync(with({"--resource", kRes, "--trigger", "manual", "--tag", "v1"}));
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(Sync(with({"--resource", kRes, "--trigger", "hourly"})).code, kExitUsage);
  EXPECT_EQ(
      Sync({"create", "A", "--source", "http://s:1", "--source-user", "m", "--resource", kRes})
          .code,
      kExitUsage);  // no --target-category
  EXPECT_EQ(Sync({"create", "--source", "http://s:1", "--source-user", "m", "--resource", kRes,
                  "--target-category", kTargetCat})
                .code,
            kExitUsage);                                                   // no NAME
  EXPECT_EQ(Sync(with({"--resource", kRes, kProject})).code, kExitUsage);  // one id per flag
  EXPECT_EQ(Sync({"now"}).code, kExitUsage);
  EXPECT_EQ(Sync({"runs", kConfigId, "--limit", "0"}).code, kExitUsage);
  EXPECT_EQ(Sync({"now", kConfigId, "--timeout", "0"}).code, kExitUsage);

  // No source password and no terminal to ask.
  env_.variables.erase("TANDEM_SOURCE_PASSWORD");
  r = Sync(with({"--resource", kRes}));
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("set TANDEM_SOURCE_PASSWORD or run interactively"), std::string::npos);
  EXPECT_TRUE(server_.requests.empty());
}

TEST_F(SyncCliTest, CreateShowsWhyTheServerRefused) {
  env_.variables["TANDEM_SOURCE_PASSWORD"] = kSourcePassword;
  server_.On("POST", "/api/v1/remote-configs", 503,
             {{"@type", "Error"},
              {"description", "cannot reach the source at http://s:1: connection refused"}});
  Outcome r = Sync({"create", "A", "--source", "http://s:1", "--source-user", "m",
                    "--target-category", kTargetCat, "--resource", kRes});
  EXPECT_EQ(r.code, kExitServerError);
  EXPECT_EQ(r.err,
            "error: 503 Service Unavailable: cannot reach the source at http://s:1: connection "
            "refused\n");
}

TEST_F(SyncCliTest, ARefusedSourceAccountIsNotBlamedOnTheLogin) {
  env_.variables["TANDEM_SOURCE_PASSWORD"] = kSourcePassword;
  server_.On("POST", "/api/v1/remote-configs", 401,
             {{"@type", "Error"},
              {"description",
               "connecting at http://s:1: the source refused the credentials (wrong user name "
               "or password)"}});
  server_.On("POST", "/api/v1/remote-configs", 401,
             {{"@type", "Error"}, {"description", "wrong user name or password"}});
  Outcome r = Sync({"create", "A", "--source", "http://s:1", "--source-user", "m",
                    "--target-category", kTargetCat, "--resource", kRes});
  EXPECT_EQ(r.code, kExitServerError);
  EXPECT_EQ(r.err,
            "error: 401 Unauthorized: connecting at http://s:1: the source refused the "
            "credentials (wrong user name or password)\n"
            "hint: check the source account's user name and password (TANDEM_SOURCE_PASSWORD)\n");

  // A failed login at the target keeps the usual hint.
  r = Sync({"create", "A", "--source", "http://s:1", "--source-user", "m", "--target-category",
            kTargetCat, "--resource", kRes});
  EXPECT_EQ(r.code, kExitServerError);
  EXPECT_NE(r.err.find("hint: check the user name (--user, TANDEM_USER)"), std::string::npos);
}

TEST_F(SyncCliTest, ListShowEnableDisableDelete) {
  json other = Config();
  other["id"] = "c2";
  other["name"] = "B";
  other["trigger"] = {{"type", "commit"}};
  other["once"] = true;
  other["enabled"] = false;
  server_.On("GET", "/api/v1/remote-configs", 200, json::array({Config(), other}));
  Outcome r = Sync({"list"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, std::string("ID                                    NAME        SOURCE      "
                               "                   TRIGGER       ENABLED\n") +
                       kConfigId +
                       "  Supplier A  https://supplier.example:8111  tag release   yes\n"
                       "c2                                    B           "
                       "https://supplier.example:8111  commit, once  no\n");

  server_.On("GET", ConfigPath(), 200, Config());
  r = Sync({"show", kConfigId});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, std::string("id:               ") + kConfigId +
                       "\n"
                       "name:             Supplier A\n"
                       "source:           https://supplier.example:8111\n"
                       "source user:      mirror\n"
                       "resources:        " +
                       kRes + "\n" +
                       "categories:       -\n"
                       "target category:  " +
                       kTargetCat + "\n" +
                       "trigger:          tag release\n"
                       "enabled:          yes\n"
                       "created:          2024-05-01 08:00:00Z\n");
  r = Sync({"show", kConfigId, "--json"});
  EXPECT_EQ(json::parse(r.out), Config());

  json disabled = Config();
  disabled["enabled"] = false;
  server_.On("PATCH", ConfigPath(), 200, disabled);
  r = Sync({"disable", kConfigId});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(json::parse(LastRequest().body), (json{{"enabled", false}}));
  EXPECT_EQ(r.out, std::string("Disabled remote configuration ") + kConfigId + " (Supplier A)\n");
  r = Sync({"enable", kConfigId});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(json::parse(LastRequest().body), (json{{"enabled", true}}));
  EXPECT_EQ(r.out.substr(0, 7), "Enabled");

  server_.On("DELETE", ConfigPath(), 204, nullptr);
  r = Sync({"delete", kConfigId});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, std::string("Deleted remote configuration ") + kConfigId +
                       "; the resources it copied stay on this server\n");
}

TEST_F(SyncCliTest, SetPasswordSendsOnlyTheNewPassword) {
  server_.On("GET", ConfigPath(), 200, Config());
  server_.On("PATCH", ConfigPath(), 200, Config());
  std::vector<std::string> prompts;
  env_.read_secret = [&prompts](std::string_view prompt) -> Result<std::string> {
    prompts.emplace_back(prompt);
    return std::string(kSourcePassword);
  };
  Outcome r = Sync({"set-password", kConfigId});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  ASSERT_EQ(prompts.size(), 1u);
  EXPECT_EQ(prompts[0], "Password of mirror at the source https://supplier.example:8111: ");
  EXPECT_EQ(LastRequest().method, "PATCH");
  EXPECT_EQ(json::parse(LastRequest().body), (json{{"source", {{"password", kSourcePassword}}}}));
  EXPECT_EQ(r.out, std::string("Changed the source password of remote configuration ") + kConfigId +
                       " (Supplier A)\n");

  env_.read_secret = nullptr;
  env_.variables["TANDEM_SOURCE_PASSWORD"] = "from-env";
  r = Sync({"set-password", kConfigId});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(json::parse(LastRequest().body), (json{{"source", {{"password", "from-env"}}}}));
}

TEST_F(SyncCliTest, NowFollowsTheRunToAnOkOutcome) {
  server_.On("GET", ConfigPath() + "/status", 200, Status("idle", kOldRun));  // before
  server_.On("POST", ConfigPath() + "/sync", 202, {{"queued", true}});
  server_.On("GET", ConfigPath() + "/status", 200, Status("idle", kOldRun));  // not started yet
  server_.On("GET", ConfigPath() + "/status", 200,
             Status("running", kOldRun, "ok", Progress(1, 3, 4, 2048, 1024)));
  server_.On("GET", ConfigPath() + "/status", 200,
             Status("running", kOldRun, "ok", Progress(2, 3, 9, 3 << 20, 1 << 20)));
  server_.On("GET", ConfigPath() + "/status", 200, Status("idle", kNewRun, "ok"));
  json run = Run(kNewRun, "ok", json::array({Row("Drone", "synced"), Row("Rover", "synced")}));
  server_.On("GET", ConfigPath() + "/runs", 200, json::array({run, Run(kOldRun, "ok", {})}));

  Outcome r = Sync({"now", kConfigId});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "Run ok, finished 2024-05-01 10:00:05Z: 12 commits, 3.0 MiB\n"
            "RESOURCE  STATE   MESSAGE\n"
            "Drone     synced  -\n"
            "Rover     synced  -\n");
  // Not a terminal: plain lines, the first at once, then at most every 5 s.
  EXPECT_EQ(r.err, "sync: waiting for the run to start (idle)\n");
  // The run is asked for with an empty JSON body, after reading the status.
  std::vector<ClientRequest> posts = Requests("POST", ConfigPath() + "/sync");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].body, "{}");
  EXPECT_EQ(posts[0].content_type, "application/json");
  EXPECT_EQ(server_.requests[0].target, ConfigPath() + "/status");
  EXPECT_EQ(server_.requests[1].method, "POST");
  EXPECT_EQ(Requests("GET", ConfigPath() + "/status").size(), 5u);
  ASSERT_EQ(sleeps_.size(), 4u);  // no real sleeping; one poll interval each
  for (auto d : sleeps_) EXPECT_EQ(d, kSyncPollInterval);
}

TEST_F(SyncCliTest, NowPrintsPlainProgressLinesWhenTheRunTakesLonger) {
  server_.On("GET", ConfigPath() + "/status", 200, Status("idle", kOldRun));
  server_.On("POST", ConfigPath() + "/sync", 202, {{"queued", true}});
  for (int i = 0; i < 20; ++i) {  // 6 s of polls at 1/3
    server_.On("GET", ConfigPath() + "/status", 200,
               Status("running", kOldRun, "ok", Progress(1, 3, 4, 100, 50)));
  }
  server_.On("GET", ConfigPath() + "/status", 200,
             Status("running", kOldRun, "ok", Progress(2, 3, 7, 5000, 900)));
  server_.On("GET", ConfigPath() + "/status", 200, Status("idle", kNewRun, "ok"));
  server_.On("GET", ConfigPath() + "/runs", 200,
             json::array({Run(kNewRun, "ok", json::array({Row("Drone", "synced")}))}));
  Outcome r = Sync({"now", kConfigId});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.err,
            "sync: 1/3 resources, 4 commits, 100 B, 50 B/s\n"
            "sync: 2/3 resources, 7 commits, 4.9 KiB, 900 B/s\n");
}

TEST_F(SyncCliTest, NowDrawsAProgressBarOnATerminal) {
  terminal_ = true;
  server_.On("GET", ConfigPath() + "/status", 200, Status("idle", kOldRun));
  server_.On("POST", ConfigPath() + "/sync", 202, {{"queued", true}});
  server_.On("GET", ConfigPath() + "/status", 200,
             Status("running", kOldRun, "ok", Progress(1, 4, 4, 2048, 1024)));
  server_.On("GET", ConfigPath() + "/status", 200, Status("idle", kNewRun, "ok"));
  server_.On("GET", ConfigPath() + "/runs", 200, json::array({Run(kNewRun, "ok", json::array())}));
  Outcome r = Sync({"now", kConfigId});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.err,
            "\r\x1b[K[######------------------] 1/4 resources, 4 commits, 2.0 KiB, 1.0 KiB/s"
            "\r\x1b[K");
}

TEST_F(SyncCliTest, NowExitsOneForAPartialRun) {
  server_.On("GET", ConfigPath() + "/status", 200, Status("idle", ""));
  server_.On("GET", ConfigPath() + "/status", 200, Status("idle", kNewRun, "partial"));
  server_.On("POST", ConfigPath() + "/sync", 202, {{"queued", true}});
  json rows = json::array(
      {Row("Drone", "synced"),
       Row("Rover", "conflict", "Project ID 'p-Rover' is already used here by project 'Old'")});
  server_.On("GET", ConfigPath() + "/runs", 200, json::array({Run(kNewRun, "partial", rows)}));
  Outcome r = Sync({"now", kConfigId});
  EXPECT_EQ(r.code, kExitServerError);
  EXPECT_EQ(r.out,
            "Run partial, finished 2024-05-01 10:00:05Z: 12 commits, 3.0 MiB\n"
            "RESOURCE  STATE     MESSAGE\n"
            "Drone     synced    -\n"
            "Rover     conflict  Project ID 'p-Rover' is already used here by project 'Old'\n");
  EXPECT_NE(r.err.find("error: the run was partial: 1 of 2 resources are not synchronized\n"),
            std::string::npos)
      << r.err;
}

TEST_F(SyncCliTest, NowPrintsTheErrorAndTheHintOfAFailedRun) {
  server_.On("GET", ConfigPath() + "/status", 200, Status("idle", kOldRun));
  json failed = Status("error", kNewRun, "error");
  failed["lastError"] = {{"time", kNewRun},
                         {"message", "cannot reach the source: connection refused"},
                         {"hint", "check that the source is running"}};
  failed["consecutiveFailures"] = 1;
  server_.On("GET", ConfigPath() + "/status", 200, failed);
  server_.On("POST", ConfigPath() + "/sync", 202, {{"queued", true}});
  server_.On("GET", ConfigPath() + "/runs", 200,
             json::array({Run(kNewRun, "error", json::array(),
                              "cannot reach the source: connection refused")}));
  Outcome r = Sync({"now", kConfigId});
  EXPECT_EQ(r.code, kExitServerError);
  EXPECT_EQ(r.err,
            "error: the run failed: cannot reach the source: connection refused\n"
            "hint: check that the source is running\n");
}

TEST_F(SyncCliTest, NowWithJsonPrintsTheRun) {
  server_.On("GET", ConfigPath() + "/status", 200, Status("idle", kOldRun));
  server_.On("POST", ConfigPath() + "/sync", 202, {{"queued", true}});
  server_.On("GET", ConfigPath() + "/status", 200, Status("idle", kNewRun));
  json run = Run(kNewRun, "ok", json::array({Row("Drone", "synced")}));
  server_.On("GET", ConfigPath() + "/runs", 200, json::array({run}));
  Outcome r = Sync({"now", kConfigId, "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(json::parse(r.out), run);

  // The exit code still tells a partial run.
  server_.On("GET", ConfigPath() + "/status", 200, Status("idle", "2024-05-01T11:00:00.000000Z"));
  json partial = Run("2024-05-01T11:00:00.000000Z", "partial", json::array({Row("D", "behind")}));
  server_.On("GET", ConfigPath() + "/runs", 200, json::array({partial}));
  r = Sync({"--json", "now", kConfigId});
  EXPECT_EQ(r.code, kExitServerError);
  EXPECT_EQ(json::parse(r.out), partial);
}

TEST_F(SyncCliTest, NowWaitsForTheQueuedRunWhenAnotherIsRunning) {
  const std::string first = "2024-05-01T10:00:01.000000Z";
  server_.On("GET", ConfigPath() + "/status", 200,
             Status("running", kOldRun, "ok", Progress(0, 1, 0, 0, 0)));  // before
  server_.On("POST", ConfigPath() + "/sync", 202, {{"queued", true}});
  // The run that was going ends; the queued one has not started yet.
  server_.On("GET", ConfigPath() + "/status", 200, Status("idle", first));
  server_.On("GET", ConfigPath() + "/status", 200,
             Status("running", first, "ok", Progress(0, 1, 0, 0, 0)));
  server_.On("GET", ConfigPath() + "/status", 200, Status("idle", kNewRun));
  server_.On("GET", ConfigPath() + "/runs", 200,
             json::array({Run(first, "partial", json::array()), Run(kOldRun, "ok", {})}));
  server_.On("GET", ConfigPath() + "/runs", 200,
             json::array({Run(kNewRun, "ok", json::array()), Run(first, "partial", json::array()),
                          Run(kOldRun, "ok", {})}));
  Outcome r = Sync({"now", kConfigId});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "Run ok, finished 2024-05-01 10:00:05Z: 12 commits, 3.0 MiB\n");
  EXPECT_EQ(Requests("GET", ConfigPath() + "/runs").size(), 2u);
}

TEST_F(SyncCliTest, NowGivesUpAtTheDeadline) {
  server_.On("GET", ConfigPath() + "/status", 200, Status("idle", kOldRun));
  server_.On("POST", ConfigPath() + "/sync", 202, {{"queued", true}});
  server_.On("GET", ConfigPath() + "/status", 200,
             Status("running", kOldRun, "ok", Progress(0, 1, 0, 0, 0)));
  Outcome r = Sync({"now", kConfigId, "--timeout", "3"});
  EXPECT_EQ(r.code, kExitServerError);
  EXPECT_NE(r.err.find("error: no result after 3 s; the run goes on at the server"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(sleeps_.size(), 10u);  // 10 x 300 ms
}

TEST_F(SyncCliTest, NowStopsWhenTheRunEndsWithoutARecord) {
  server_.On("GET", ConfigPath() + "/status", 200, Status("idle", kOldRun));
  server_.On("POST", ConfigPath() + "/sync", 202, {{"queued", true}});
  server_.On("GET", ConfigPath() + "/status", 200,
             Status("running", kOldRun, "ok", Progress(0, 1, 0, 0, 0)));
  server_.On("GET", ConfigPath() + "/status", 200, Status("error", kOldRun));
  Outcome r = Sync({"now", kConfigId});
  EXPECT_EQ(r.code, kExitServerError);
  EXPECT_NE(r.err.find("error: the run stopped without recording a result (state error)"),
            std::string::npos)
      << r.err;
  EXPECT_LT(sleeps_.size(), 60u);
}

TEST_F(SyncCliTest, NowOfADisabledConfigurationShowsTheServersReason) {
  server_.On("GET", ConfigPath() + "/status", 200, Status("paused", kOldRun));
  server_.On("POST", ConfigPath() + "/sync", 409,
             {{"@type", "Error"},
              {"description", "remote configuration 'Supplier A' is disabled; enable it first"}});
  Outcome r = Sync({"now", kConfigId});
  EXPECT_EQ(r.code, kExitServerError);
  EXPECT_EQ(
      r.err,
      "error: 409 Conflict: remote configuration 'Supplier A' is disabled; enable it first\n");
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(SyncCliTest, NowWithoutWaitingOnlyAsks) {
  server_.On("POST", ConfigPath() + "/sync", 202, {{"queued", true}});
  Outcome r = Sync({"now", kConfigId, "--no-wait"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, std::string("Asked for a run of remote configuration ") + kConfigId +
                       "; follow it with: tandem sync status " + kConfigId + "\n");
  EXPECT_EQ(server_.requests.size(), 1u);
  EXPECT_EQ(LastRequest().body, "{}");
  r = Sync({"now", kConfigId, "--no-wait", "--json"});
  EXPECT_EQ(json::parse(r.out), (json{{"queued", true}}));
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(SyncCliTest, StatusShowsStateLastRunErrorAndResources) {
  json s = Status("waiting", kNewRun, "error");
  s["nextAttempt"] = "2024-05-01T10:00:09.000000Z";
  s["lastError"] = {{"time", kNewRun},
                    {"message", "cannot reach the source"},
                    {"hint", "check that the source is running"}};
  s["consecutiveFailures"] = 2;
  s["resources"] = json::array({Row("Drone", "synced"),
                                Row("Rover", "behind", "connection reset during the pack"),
                                {{"sourceId", nullptr},
                                 {"categoryId", "cat-9"},
                                 {"state", "error"},
                                 {"message", "the source has no category cat-9"}}});
  server_.On("GET", ConfigPath() + "/status", 200, s);
  Outcome r = Sync({"status", kConfigId});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, std::string("configuration:         Supplier A (") + kConfigId + ")\n" +
                       "state:                 waiting: next attempt at 2024-05-01 10:00:09Z\n"
                       "last run:              2024-05-01 10:00:05Z, error\n"
                       "last success:          2024-05-01 09:00:00Z\n"
                       "last error:            2024-05-01 10:00:05Z: cannot reach the source\n"
                       "hint:                  check that the source is running\n"
                       "consecutive failures:  2\n"
                       "\n"
                       "RESOURCE        STATE   MESSAGE\n"
                       "Drone           synced  -\n"
                       "Rover           behind  connection reset during the pack\n"
                       "category cat-9  error   the source has no category cat-9\n");

  r = Sync({"status", kConfigId, "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(json::parse(r.out), s);
}

TEST_F(SyncCliTest, StatusOfANewConfiguration) {
  json s = {{"id", kConfigId},           {"name", "Supplier A"},
            {"state", "running"},        {"progress", Progress(1, 2, 5, 1536, 512)},
            {"lastRun", nullptr},        {"lastSuccess", nullptr},
            {"lastError", nullptr},      {"consecutiveFailures", nullptr},
            {"resources", json::array()}};
  server_.On("GET", ConfigPath() + "/status", 200, s);
  Outcome r = Sync({"status", kConfigId});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, std::string("configuration:         Supplier A (") + kConfigId + ")\n" +
                       "state:                 running: 1/2 resources, 5 commits, 1.5 KiB, "
                       "512 B/s\n"
                       "last run:              never\n"
                       "last success:          never\n"
                       "last error:            -\n"
                       "consecutive failures:  0\n"
                       "\n"
                       "No resources synchronized yet\n");
}

TEST_F(SyncCliTest, RunsListsNewestFirstUpToTheLimit) {
  json runs = json::array(
      {Run(kNewRun, "partial", json::array({Row("Drone", "synced"), Row("Rover", "conflict")})),
       Run("2024-05-01T09:30:00.000000Z", "error", json::array(), "cannot reach the source"),
       Run(kOldRun, "ok", json::array({Row("Drone", "synced")}))});
  server_.On("GET", ConfigPath() + "/runs", 200, runs);
  Outcome r = Sync({"runs", kConfigId, "--limit", "2"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "STARTED               FINISHED              OUTCOME  COMMITS  DATA     RESOURCES   "
            "ERROR\n"
            "2024-05-01 10:00:00Z  2024-05-01 10:00:05Z  partial  12       3.0 MiB  1/2 synced\n"
            "2024-05-01 10:00:00Z  2024-05-01 09:30:00Z  error    12       3.0 MiB  -           "
            "cannot reach the source\n");
  r = Sync({"runs", kConfigId, "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(json::parse(r.out), runs);
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
