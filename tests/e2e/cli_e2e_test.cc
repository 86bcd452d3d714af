// End-to-end tests of the `tandem` command-line client against a real server:
// the binary runs as its own process, as a user or a script would run it.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/e2e/e2e_util.h"

namespace tandem::e2e {
namespace {

class CliE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({dir_.Sub("data"), {}, "admin-password-1"});
  }
  ProcessResult Tandem(std::vector<std::string> args, const std::string& password = "admin-password-1") {
    args.insert(args.begin(), BinaryPath("tools/tandem/tandem"));
    return RunProcess(args, {{"TANDEM_SERVER", "http://127.0.0.1:" + std::to_string(server_->port())},
                             {"TANDEM_USER", "admin"},
                             {"TANDEM_PASSWORD", password}});
  }
  Json TandemJson(std::vector<std::string> args) {
    args.insert(args.begin(), "--json");
    auto r = Tandem(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out, nullptr, false);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(CliE2eTest, CategoriesResourcesCommitsAndElements) {
  auto created = Tandem({"category", "create", "Libraries"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string cat;
  for (const auto& c : TandemJson({"category", "list"})) {
    if (c["name"] == "Libraries") cat = c["id"];
  }
  ASSERT_FALSE(cat.empty());
  ASSERT_EQ(Tandem({"resource", "create", "PartsTree", "--category", cat, "--project-id", "PRJ-1"}).exit_code, 0);
  Json resources = TandemJson({"resource", "list", "--category", cat});
  ASSERT_EQ(resources.size(), 1u);
  std::string rid = resources[0]["id"];
  EXPECT_EQ(resources[0]["projectId"], "PRJ-1");

  auto commit = Tandem({"commit", rid, SharedPath("data/sysml-v2/PartsTreeRedefinition.json"),
                        "--description", "real model"});
  ASSERT_EQ(commit.exit_code, 0) << commit.err;
  EXPECT_NE(commit.out.find("228"), std::string::npos) << commit.out;

  Json log = TandemJson({"log", rid});
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["description"], "real model");
  EXPECT_EQ(log[0]["author"], "admin");

  Json elements = TandemJson({"elements", rid});
  EXPECT_EQ(elements.size(), 228u);  // all pages, followed through Link headers
  std::string some_id = RealModel()["change"][17]["identity"]["@id"];
  Json element = TandemJson({"element", rid, some_id});
  EXPECT_EQ(element["@id"], some_id);
  EXPECT_EQ(element["@type"], RealModel()["change"][17]["payload"]["@type"]);

  std::string head = log[0]["id"];
  ASSERT_EQ(Tandem({"tag", "create", rid, "release", "--commit", head}).exit_code, 0);
  ASSERT_EQ(Tandem({"branch", "create", rid, "review", "--commit", head}).exit_code, 0);
  EXPECT_EQ(TandemJson({"tag", "list", rid}).size(), 1u);
  EXPECT_EQ(TandemJson({"branch", "list", rid}).size(), 2u);

  ASSERT_EQ(Tandem({"resource", "rename", rid, "Parts Tree"}).exit_code, 0);
  ASSERT_EQ(Tandem({"resource", "move", rid, "--category",
                    BodyJson(server_->Client()->Get("/api/v1/server"))["rootCategoryId"]})
                .exit_code,
            0);
  Json shown = TandemJson({"resource", "show", rid});
  EXPECT_EQ(shown["name"], "Parts Tree");
  ASSERT_EQ(Tandem({"category", "delete", cat}).exit_code, 0);  // empty now
}

TEST_F(CliE2eTest, ErrorsPrintTheServersMessageAndExitNonZero) {
  std::string rid = CreateProject(*server_->Client(), "p");
  auto stale = Tandem({"commit", rid, SharedPath("data/sysml-v2/PartsTreeRedefinition.json"),
                       "--previous", "00000000-0000-4000-8000-000000000000"});
  EXPECT_NE(stale.exit_code, 0);
  EXPECT_NE(stale.err.find("409"), std::string::npos) << stale.err;
  EXPECT_NE(stale.err.find("is not the head"), std::string::npos) << stale.err;

  auto wrong_password = Tandem({"resource", "list"}, "not-the-password");
  EXPECT_NE(wrong_password.exit_code, 0);
  EXPECT_NE(wrong_password.err.find("401"), std::string::npos) << wrong_password.err;
  EXPECT_EQ(wrong_password.err.find("not-the-password"), std::string::npos);

  TempDir files;
  std::string bad = files.Sub("bad.json");
  std::ofstream(bad) << "{\"change\": 5}";
  auto bad_file = Tandem({"commit", rid, bad});
  EXPECT_NE(bad_file.exit_code, 0);
  EXPECT_NE(bad_file.err.find("change"), std::string::npos) << bad_file.err;
  EXPECT_TRUE(GetAll(*server_->Client(), "/sysml/v2/projects/" + rid + "/commits").empty());
}

TEST_F(CliE2eTest, UsersAndRoles) {
  auto create = RunProcess({BinaryPath("tools/tandem/tandem"), "user", "create", "bob", "--role", "reader"},
                           {{"TANDEM_SERVER", "http://127.0.0.1:" + std::to_string(server_->port())},
                            {"TANDEM_PASSWORD", "admin-password-1"},
                            {"TANDEM_NEW_PASSWORD", "bob-password-1"}});
  ASSERT_EQ(create.exit_code, 0) << create.err;
  auto as_bob = RunProcess({BinaryPath("tools/tandem/tandem"), "--user", "bob", "category", "create", "X"},
                           {{"TANDEM_SERVER", "http://127.0.0.1:" + std::to_string(server_->port())},
                            {"TANDEM_PASSWORD", "bob-password-1"}});
  EXPECT_NE(as_bob.exit_code, 0);
  EXPECT_NE(as_bob.err.find("403"), std::string::npos) << as_bob.err;
  Json users = TandemJson({"user", "list"});
  EXPECT_EQ(users.size(), 2u);
}

TEST_F(CliE2eTest, ImportCopiesAProjectFromAnotherServerAndFollowsItToItsEnd) {
  auto source = ServerProcess::Start({dir_.Sub("source"), {}, "admin-password-1"});
  auto cs = source->Client();
  ASSERT_EQ(PostJson(*cs, "/api/v1/users",
                     {{"name", "puller"}, {"password", "import-secret-9"}, {"role", "reader"}})
                ->status,
            201);
  std::string rid = CreateProject(*cs, "Elsewhere");
  ASSERT_EQ(PostJson(*cs, "/sysml/v2/projects/" + rid + "/commits", RealModel())->status, 201);
  std::string root = BodyJson(server_->Client()->Get("/api/v1/server"))["rootCategoryId"];
  std::string from = "http://127.0.0.1:" + std::to_string(source->port()) + "/sysml/v2";
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), BinaryPath("tools/tandem/tandem"));
    return RunProcess(args,
                      {{"TANDEM_SERVER", "http://127.0.0.1:" + std::to_string(server_->port())},
                       {"TANDEM_USER", "admin"},
                       {"TANDEM_PASSWORD", "admin-password-1"},
                       {"TANDEM_IMPORT_PASSWORD", "import-secret-9"}});
  };
  auto imported = run(
      {"import", "--from", from, "--project", rid, "--user", "puller", "--target-category", root});
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;
  EXPECT_NE(imported.out.find("state      succeeded"), std::string::npos) << imported.out;
  EXPECT_EQ(imported.out.find("import-secret-9") + imported.err.find("import-secret-9"),
            2 * std::string::npos);
  EXPECT_EQ(TandemJson({"elements", rid}).size(), 228u);

  Json list = TandemJson({"import", "list"});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["projectId"], rid);
  auto status = Tandem({"import", "status", list[0]["id"]});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("commits 1/1"), std::string::npos) << status.out;

  // A failed import is a failed command, with the reason.
  auto wrong = run({"import", "--from", from, "--project", "5d1c8a4e-1b2c-4d3e-8f40-000000000001",
                    "--user", "puller", "--target-category", root});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.err.find("has no project"), std::string::npos) << wrong.err;
  auto incomplete = Tandem({"import", "--from", from});
  EXPECT_NE(incomplete.exit_code, 0);
  EXPECT_NE(incomplete.err.find("needs --from, --project and --target-category"), std::string::npos)
      << incomplete.err;
}

}  // namespace
}  // namespace tandem::e2e
