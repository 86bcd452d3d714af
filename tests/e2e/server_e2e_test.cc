// End-to-end tests of the tandem-server process itself: configuration,
// start-up, limits, clean stops and crash safety under SIGKILL.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "tests/e2e/e2e_util.h"

namespace tandem::e2e {
namespace {

std::string WriteConfig(const TempDir& dir, const std::string& text) {
  std::string path = dir.Sub("application.conf");
  std::ofstream(path) << text;
  return path;
}

TEST(ServerE2eTest, MalformedConfigIsRefusedWithFileAndLine) {
  TempDir dir;
  std::string conf = WriteConfig(dir, "server {\n  port = eighty\n}\n");
  auto r = RunProcess({BinaryPath("tools/tandem-server/tandem-server"), "--config", conf,
                       "--data-dir", dir.Sub("data")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("application.conf:2:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("server.port"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("data") + "/tandem.db"));
}

TEST(ServerE2eTest, UnknownKeysWarnAndFlagsOverrideTheFile) {
  TempDir dir;
  std::string conf = WriteConfig(dir, "server.port = 1\nserver.shiny = yes\nsysml.post-status = 200\n");
  auto server = ServerProcess::Start({dir.Sub("data"), {"--config", conf}, "admin-password-1"});
  EXPECT_NE(server->port(), 1);  // --port 0 won over the file
  EXPECT_NE(server->StderrText().find("application.conf:2: unknown key 'server.shiny'"),
            std::string::npos)
      << server->StderrText();
  auto r = PostJson(*server->Client(), "/sysml/v2/projects", {{"name", "p"}});
  EXPECT_EQ(r->status, 200) << "sysml.post-status = 200 makes creation answer 200";
}

TEST(ServerE2eTest, OversizeBodyIs413AndStoresNothing) {
  TempDir dir;
  std::string conf = WriteConfig(dir, "server.max-body-bytes = 65536\n");
  auto server = ServerProcess::Start({dir.Sub("data"), {"--config", conf}, "admin-password-1"});
  auto admin = server->Client();
  std::string pid = CreateProject(*admin, "big");
  auto r = PostJson(*admin, "/sysml/v2/projects/" + pid + "/commits", RealModel());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(BodyJson(r).value("description", "").find("max-body-bytes"), std::string::npos)
      << r->body;
  EXPECT_TRUE(GetAll(*admin, "/sysml/v2/projects/" + pid + "/commits").empty());
}

TEST(ServerE2eTest, FirstStartPrintsAGeneratedAdminPasswordOnce) {
  TempDir dir;
  auto server = ServerProcess::Start({dir.Sub("data"), {}, ""});
  // With TANDEM_ADMIN_PASSWORD empty the server generates one and prints it.
  const std::string& out = server->stdout_text();
  auto pos = out.find("generated password: ");
  ASSERT_NE(pos, std::string::npos) << out;
  std::string password = out.substr(pos + 20, out.find('\n', pos) - pos - 20);
  EXPECT_EQ(server->Client("admin", password)->Get("/api/v1/server")->status, 200);
  EXPECT_EQ(server->StderrText().find(password), std::string::npos) << "password reached the log";
  EXPECT_EQ(server->Terminate(), 0);
  auto again = ServerProcess::Start({dir.Sub("data"), {}, ""});
  EXPECT_EQ(again->stdout_text().find("password"), std::string::npos) << again->stdout_text();
}

TEST(ServerE2eTest, SigtermStopsCleanlyAndTheDataDirIsLocked) {
  TempDir dir;
  auto server = ServerProcess::Start({dir.Sub("data"), {}, "admin-password-1"});
  auto second = RunProcess({BinaryPath("tools/tandem-server/tandem-server"), "--data-dir",
                            dir.Sub("data"), "--port", "0"});
  EXPECT_NE(second.exit_code, 0);
  EXPECT_NE(second.err.find("already using the data directory"), std::string::npos) << second.err;
  EXPECT_EQ(server->Terminate(), 0);
  EXPECT_NE(server->StderrText().find("stopped cleanly"), std::string::npos);
}

// Commits keep arriving while the server is killed; after a restart every
// commit that is visible must be whole, and the history must be consistent.
TEST(ServerE2eTest, SigkillDuringCommitsLeavesAConsistentStore) {
  TempDir dir;
  auto server = ServerProcess::Start({dir.Sub("data"), {}, "admin-password-1"});
  std::string pid = CreateProject(*server->Client(), "crash");
  std::atomic<int> acknowledged{0};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    auto c = server->Client();
    Json body = RealModel();
    for (int i = 0; !stop; ++i) {
      // Each commit rewrites all 228 elements with a new marker value.
      for (auto& ch : body["change"]) ch["payload"]["declaredName"] = "v" + std::to_string(i);
      auto r = PostJson(*c, "/sysml/v2/projects/" + pid + "/commits", body);
      if (!r || r->status != 201) break;
      ++acknowledged;
    }
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (acknowledged < 5 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  server->Kill();
  stop = true;
  writer.join();
  ASSERT_GE(acknowledged.load(), 5);

  auto restarted = ServerProcess::Start({dir.Sub("data"), {}, "admin-password-1"});
  auto admin = restarted->Client();
  auto log = GetAll(*admin, "/api/v1/resources/" + pid + "/commits?page%5Bsize%5D=1000");
  // Every acknowledged commit survived (FULL sync); at most the one in flight is extra.
  EXPECT_GE(static_cast<int>(log.size()), acknowledged.load());
  EXPECT_LE(static_cast<int>(log.size()), acknowledged.load() + 1);
  ASSERT_FALSE(log.empty());
  // The branch head is the newest commit and every commit's state is whole.
  auto branches = BodyJson(admin->Get("/sysml/v2/projects/" + pid + "/branches"));
  EXPECT_EQ(branches[0]["head"]["@id"], log.front()["id"]);
  for (size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(log[i]["elementCount"], 228);
    if (i + 1 < log.size()) {
      EXPECT_EQ(log[i]["parents"][0], log[i + 1]["id"]);
    }
  }
  auto head_elements = GetAll(*admin, "/sysml/v2/projects/" + pid + "/commits/" +
                                          log.front()["id"].get<std::string>() +
                                          "/elements?page%5Bsize%5D=1000");
  ASSERT_EQ(head_elements.size(), 228u);
  std::string marker = head_elements[0]["declaredName"];
  for (const auto& e : head_elements) EXPECT_EQ(e["declaredName"], marker) << "a torn commit";
  // And the server takes new commits on top.
  auto next = PostJson(*admin, "/sysml/v2/projects/" + pid + "/commits",
                       {{"change", Json::array()}, {"previousCommit", {{"@id", log.front()["id"]}}}});
  EXPECT_EQ(next->status, 201) << next->body;
}

}  // namespace
}  // namespace tandem::e2e
