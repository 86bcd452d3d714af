// End-to-end tests of what a real tandem-server keeps private on its host and
// in its answers (docs/security.md, "Data at rest"): store files 0600 in a
// group/world-readable data directory (with a warning), datamanager never
// loosening them, the first admin password gone from the process
// environment, and a store fault answered without SQL or SQLite internals.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tests/e2e/e2e_util.h"

namespace tandem::e2e {
namespace {

namespace fs = std::filesystem;

// SIGTERM and the exit code, once the server is serving: a stop that
// arrives while it is still starting its listener is not seen (a race of
// the HTTP server's start-up, outside these tests), so a request goes first.
int Stop(ServerProcess& s) {
  EXPECT_EQ(s.Client()->Get("/api/v1/health")->status, 200);
  return s.Terminate();
}

// The store files that exist must be the owner's alone; with `running`, the
// write-ahead log and its index must exist too (SQLite removes them when the
// last connection closes).
void ExpectPrivate(const std::string& db, bool running) {
  for (const std::string& file : {db, db + "-wal", db + "-shm"}) {
    struct stat st;
    if (::stat(file.c_str(), &st) != 0) {
      EXPECT_TRUE(!running && file != db) << file << " is missing";
      continue;
    }
    EXPECT_EQ(st.st_mode & 077, 0u) << file << " has mode " << std::oct << (st.st_mode & 07777);
  }
}

void Sql(const std::string& db, const std::string& sql) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(raw);
}

TEST(StoreSecurityE2eTest, StoreFilesArePrivateInAnOpenDataDirectory) {
  TempDir dir;
  std::string data = dir.Sub("data");
  fs::create_directories(data);
  fs::permissions(data, fs::perms(0755), fs::perm_options::replace);
  std::string db = data + "/tandem.db";
  {
    auto s = ServerProcess::Start({data, {}});
    auto admin = s->Client();
    CreateProject(*admin, "Secret model");  // the WAL holds it now
    ExpectPrivate(db, /*running=*/true);
    std::string log = s->StderrText();
    EXPECT_NE(log.find("the data directory " + data + " can be read by other users (mode 755)"),
              std::string::npos)
        << log;
    EXPECT_EQ(Stop(*s), 0);
  }
  // A store made by an older server with the umask's 0644 is tightened.
  fs::permissions(db, fs::perms(0644), fs::perm_options::replace);
  {
    auto s = ServerProcess::Start({data, {}});
    ExpectPrivate(db, /*running=*/true);
    EXPECT_EQ(Stop(*s), 0);
  }
  auto listed = RunProcess({BinaryPath("tools/datamanager/datamanager"), "--data-dir", data, "-lr"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  ExpectPrivate(db, /*running=*/false);
}

TEST(StoreSecurityE2eTest, TheAdminPasswordLeavesTheProcessEnvironment) {
  TempDir dir;
  auto s = ServerProcess::Start({dir.Sub("data"), {}, "admin-password-in-env"});
  std::string environ = ReadFile("/proc/" + std::to_string(s->pid()) + "/environ");
  ASSERT_FALSE(environ.empty());
  EXPECT_EQ(environ.find("admin-password-in-env"), std::string::npos);
  EXPECT_EQ(environ.find("TANDEM_ADMIN_PASSWORD"), std::string::npos);
  EXPECT_EQ(s->Client("admin", "admin-password-in-env")->Get("/api/v1/server")->status, 200);
  EXPECT_EQ(Stop(*s), 0);
}

// A fault inside SQLite (here a trigger planted into the stopped server's
// store) reaches the API as what failed and what to do; the SQL text and
// SQLite's message go to the server log only.
TEST(StoreSecurityE2eTest, AStoreFaultIsAnsweredWithoutSqlText) {
  TempDir dir;
  std::string data = dir.Sub("data");
  {
    auto s = ServerProcess::Start({data, {}});
    EXPECT_EQ(Stop(*s), 0);
  }
  Sql(data + "/tandem.db",
      "CREATE TRIGGER planted BEFORE INSERT ON categories "
      "BEGIN SELECT RAISE(ABORT, 'planted-fault-detail'); END;");
  auto s = ServerProcess::Start({data, {}});
  auto admin = s->Client();
  auto r = PostJson(*admin, "/api/v1/categories", {{"name", "Team"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  std::string description = BodyJson(r).value("description", "");
  EXPECT_NE(description.find("writing to the store failed"), std::string::npos) << r->body;
  EXPECT_NE(description.find("nothing was changed"), std::string::npos) << r->body;
  for (const char* internal : {"INSERT", "categories(", "planted-fault-detail", "SQLITE", "sqlite"}) {
    EXPECT_EQ(r->body.find(internal), std::string::npos) << internal << " in " << r->body;
  }
  EXPECT_EQ(admin->Get("/api/v1/health")->status, 200);
  std::string log = s->StderrText();
  EXPECT_NE(log.find("planted-fault-detail"), std::string::npos) << log;
  EXPECT_EQ(Stop(*s), 0);
}

}  // namespace
}  // namespace tandem::e2e
