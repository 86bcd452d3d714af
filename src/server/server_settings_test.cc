#include "server/server_settings.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/ids.h"

namespace tandem {
namespace {

class ServerSettingsTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    path_ = std::filesystem::temp_directory_path() / ("tandem-conf-" + RandomHex(6) + ".conf");
    std::ofstream(path_) << text;
    return path_.string();
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::filesystem::path path_;
};

TEST_F(ServerSettingsTest, ReadsKeysAndFlagsWin) {
  std::vector<std::string> warnings;
  auto s = LoadServerSettings(Write("server { port = 9000\n bind = \"0.0.0.0\" }\n"
                                    "sysml.post-status = 200\nlog.level = debug\n"),
                              SettingsOverrides{std::nullopt, 0, std::nullopt, std::nullopt, {}},
                              warnings);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->port, 0);
  EXPECT_EQ(s->bind, "0.0.0.0");
  EXPECT_EQ(s->post_status, 200);
  EXPECT_EQ(s->log_level, "debug");
  EXPECT_TRUE(warnings.empty());
}

TEST_F(ServerSettingsTest, UnknownKeysWarnWithFileAndLine) {
  std::vector<std::string> warnings;
  auto s = LoadServerSettings(Write("server.port = 8111\nserver.colour = blue\n"), {}, warnings);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find(":2: unknown key 'server.colour'"), std::string::npos) << warnings[0];
}

TEST_F(ServerSettingsTest, BadValuesAndMalformedFilesAreRefused) {
  std::vector<std::string> warnings;
  auto bad_type = LoadServerSettings(Write("server.port = eighty\n"), {}, warnings);
  ASSERT_FALSE(bad_type.ok());
  EXPECT_NE(bad_type.status().message().find(":1:"), std::string::npos);
  EXPECT_NE(bad_type.status().message().find("server.port"), std::string::npos);
  auto malformed = LoadServerSettings(Write("server {\n port = 1\n"), {}, warnings);
  ASSERT_FALSE(malformed.ok());
  EXPECT_NE(malformed.status().message().find("never closed"), std::string::npos)
      << malformed.status().message();
  auto post = LoadServerSettings(Write("sysml.post-status = 302\n"), {}, warnings);
  EXPECT_FALSE(post.ok());
}

TEST_F(ServerSettingsTest, SecurityLimitsAreReadAndRangeChecked) {
  std::vector<std::string> warnings;
  auto s = LoadServerSettings(Write("server.max-header-bytes = 4096\n"
                                    "server.max-header-count = 20\n"
                                    "server.max-connections = 64\n"
                                    "auth.max-failed-logins = 7\n"
                                    "auth.lockout-max-seconds = 60\n"
                                    "auth.token-ttl-seconds = 1\n"
                                    "sync.max-pack-bytes = 1073741824\n"),
                              {}, warnings);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(s->max_header_bytes, 4096u);
  EXPECT_EQ(s->max_header_count, 20u);
  EXPECT_EQ(s->max_connections, 64u);
  EXPECT_EQ(s->max_failed_logins, 7);
  EXPECT_EQ(s->login_lockout_max_seconds, 60);
  EXPECT_EQ(s->token_ttl_seconds, 1);
  EXPECT_EQ(s->sync_max_pack_bytes, 1ull << 30);
  for (const char* text : {"server.max-header-bytes = 10\n", "server.max-connections = 0\n",
                           "auth.max-failed-logins = 0\n", "sync.max-pack-bytes = -1\n"}) {
    auto bad = LoadServerSettings(Write(text), {}, warnings);
    EXPECT_FALSE(bad.ok()) << text;
  }
}

TEST_F(ServerSettingsTest, HttpEngineDeadlinesAndLongPollCapAreReadAndRangeChecked) {
  std::vector<std::string> warnings;
  auto defaults = LoadServerSettings(std::nullopt, {}, warnings);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->header_timeout_seconds, 10);
  EXPECT_EQ(defaults->max_long_polls, 256u);
  auto s = LoadServerSettings(Write("server.max-long-polls = 8\n"
                                    "server.header-timeout-seconds = 3\n"
                                    "server.idle-timeout-seconds = 4\n"
                                    "server.body-timeout-seconds = 5\n"),
                              {}, warnings);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(s->max_long_polls, 8u);
  EXPECT_EQ(s->header_timeout_seconds, 3);
  EXPECT_EQ(s->idle_timeout_seconds, 4);
  EXPECT_EQ(s->body_timeout_seconds, 5);
  for (const char* text : {"server.max-long-polls = 0\n", "server.header-timeout-seconds = 0\n",
                           "server.idle-timeout-seconds = 99999\n",
                           "server.body-timeout-seconds = -1\n"}) {
    auto bad = LoadServerSettings(Write(text), {}, warnings);
    EXPECT_FALSE(bad.ok()) << text;
  }
}

TEST_F(ServerSettingsTest, BundleSizeLimitIsReadAndBounded) {
  std::vector<std::string> warnings;
  auto s = LoadServerSettings(Write("sync.max-bundle-bytes = 1048576\n"), {}, warnings);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->max_bundle_bytes, size_t{1} << 20);
  auto tiny = LoadServerSettings(Write("sync.max-bundle-bytes = 10\n"), {}, warnings);
  ASSERT_FALSE(tiny.ok());
  EXPECT_NE(tiny.status().message().find("sync.max-bundle-bytes"), std::string::npos);
}

TEST_F(ServerSettingsTest, UploadSlotsAreReadAndTheTotalCoversOneUser) {
  std::vector<std::string> warnings;
  auto defaults = LoadServerSettings(Write(""), {}, warnings);
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->max_open_uploads_per_user, 4u);
  EXPECT_EQ(defaults->max_open_uploads, 64u);
  auto s = LoadServerSettings(
      Write("sync.max-open-uploads-per-user = 2\nsync.max-open-uploads = 10\n"), {}, warnings);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->max_open_uploads_per_user, 2u);
  EXPECT_EQ(s->max_open_uploads, 10u);
  auto inverted = LoadServerSettings(
      Write("sync.max-open-uploads-per-user = 8\nsync.max-open-uploads = 4\n"), {}, warnings);
  ASSERT_FALSE(inverted.ok());
  EXPECT_NE(inverted.status().message().find("must be at least sync.max-open-uploads-per-user"),
            std::string::npos)
      << inverted.status().message();
  EXPECT_FALSE(LoadServerSettings(Write("sync.max-open-uploads-per-user = 0\n"), {}, warnings).ok());
  EXPECT_TRUE(warnings.empty());
}

}  // namespace
}  // namespace tandem
