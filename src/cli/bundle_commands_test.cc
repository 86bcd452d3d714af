// Tests of `tandem bundle create|apply|state` through the fake server: what
// each sends, what it writes, and that a damaged file never leaves the machine.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/cli_test_fixture.h"
#include "common/ids.h"
#include "sync/bundle_file.h"

namespace tandem {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr char kRes[] = "11111111-aaaa-4aaa-8aaa-000000000001";
constexpr char kCommit[] = "44444444-dddd-4ddd-8ddd-000000000004";
constexpr char kCategory[] = "55555555-eeee-4eee-8eee-000000000005";
constexpr char kUpload[] = "66666666-ffff-4fff-8fff-000000000006";

class BundleCliTest : public CliFixture {
 protected:
  BundleCliTest() : dir_(fs::temp_directory_path() / ("tandem-cli-bundle-" + RandomHex(6))) {
    fs::create_directories(dir_);
  }
  ~BundleCliTest() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  // A well-formed bundle of one resource whose pack is `pack_bytes` bytes.
  static std::string Bundle(size_t pack_bytes) {
    std::string out;
    BundleWriter w([&](std::string_view b) {
      out.append(b);
      return true;
    });
    json manifest = {{"format", kBundleManifestFormat},
                     {"version", kBundleFormatVersion},
                     {"resources", {{{"id", kRes}, {"heads", {kCommit}}}}}};
    EXPECT_TRUE(w.Start(manifest).ok());
    EXPECT_TRUE(w.BeginResource(kRes).ok());
    EXPECT_TRUE(w.Pack(std::string(pack_bytes, 'p')).ok());
    EXPECT_TRUE(w.Finish().ok());
    return out;
  }

  fs::path dir_;
};

TEST_F(BundleCliTest, CreateWritesTheStreamedBundleAndSendsWhatTheTargetHolds) {
  std::string bundle = Bundle(100);
  std::string earlier = Path("earlier.bundle");
  std::ofstream(earlier, std::ios::binary) << bundle;
  server_.OnRaw("POST", "/api/v1/bundles", 200, bundle);

  std::string out = Path("new.bundle");
  Outcome r = Cli({"bundle", "create", "--resource", kRes, "--since", earlier, "--output", out});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(Read(out), bundle);
  EXPECT_FALSE(fs::exists(out + ".part"));
  json sent = json::parse(LastRequest().body);
  EXPECT_EQ(sent["resources"], json::array({kRes}));
  EXPECT_EQ(sent["since"], json({{kRes, {kCommit}}}));  // the earlier bundle's heads

  // A state file works the same way.
  std::string state = Path("b.state");
  std::ofstream(state) << json{{"format", kBundleStateFormat}, {"resources", {{kRes, {kCommit}}}}}.dump();
  ASSERT_EQ(Cli({"bundle", "create", "--category", kCategory, "--since", state, "--output", out}).code,
            kExitOk);
  sent = json::parse(LastRequest().body);
  EXPECT_EQ(sent["categories"], json::array({kCategory}));
  EXPECT_EQ(sent["since"], json({{kRes, {kCommit}}}));
}

TEST_F(BundleCliTest, CreateRefusesBadInputAndLeavesNoFileWhenTheServerRefuses) {
  std::string out = Path("x.bundle");
  EXPECT_EQ(Cli({"bundle", "create", "--output", out}).code, kExitUsage);  // no selection
  std::string bogus = Path("bogus.state");
  std::ofstream(bogus) << "{\"resources\": {}}";
  Outcome r = Cli({"bundle", "create", "--resource", kRes, "--since", bogus, "--output", out});
  EXPECT_NE(r.code, kExitOk);
  EXPECT_NE(r.err.find("not a state file"), std::string::npos) << r.err;
  EXPECT_TRUE(server_.requests.empty());

  server_.On("POST", "/api/v1/bundles", 404,
             {{"@type", "Error"}, {"description", std::string("this server has no resource ") + kRes}});
  r = Cli({"bundle", "create", "--resource", kRes, "--output", out});
  EXPECT_NE(r.code, kExitOk);
  EXPECT_NE(r.err.find("has no resource"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out + ".part"));
}

TEST_F(BundleCliTest, ApplyRefusesADamagedFileBeforeSendingAnything) {
  std::string bundle = Bundle(1000);
  std::string damaged = bundle;
  damaged[damaged.size() / 2] ^= 1;
  std::string path = Path("damaged.bundle");
  std::ofstream(path, std::ios::binary) << damaged;
  Outcome r = Cli({"bundle", "apply", path, "--target-category", kCategory});
  EXPECT_NE(r.code, kExitOk);
  EXPECT_NE(r.err.find("checksum"), std::string::npos) << r.err;
  EXPECT_TRUE(server_.requests.empty());
}

TEST_F(BundleCliTest, ApplyUploadsInPiecesAndPrintsTheRunReport) {
  std::string bundle = Bundle(300);
  std::string path = Path("good.bundle");
  std::ofstream(path, std::ios::binary) << bundle;
  const uint64_t piece = 128;
  server_.On("POST", "/api/v1/bundles/uploads", 201,
             {{"id", kUpload}, {"received", 0}, {"maxBytes", 1 << 20}, {"pieceBytes", piece}});
  std::string base = std::string("/api/v1/bundles/uploads/") + kUpload;
  for (uint64_t at = 0; at < bundle.size(); at += piece) {
    server_.On("PUT", base + "?offset=" + std::to_string(at), 200,
               {{"id", kUpload}, {"received", std::min<uint64_t>(at + piece, bundle.size())}});
  }
  server_.On("POST", base + "/apply?targetCategory=" + kCategory, 202,
             {{"id", kUpload}, {"state", "checking"}, {"progress", {{"bytesChecked", 0}, {"bytesTotal", 400}}}});
  server_.On("GET", base, 200,
             {{"id", kUpload},
              {"state", "applying"},
              {"progress", {{"resourcesDone", 0}, {"resourcesTotal", 1}, {"commitsDone", 1}}}});
  server_.On("GET", base, 200,
             {{"id", kUpload},
              {"state", "done"},
              {"report",
               {{"outcome", "ok"},
                {"commits", 3},
                {"resources", {{{"sourceId", kRes}, {"name", "Drone"}, {"state", "synced"}}}}}}});

  Outcome r = Cli({"bundle", "apply", path, "--target-category", kCategory});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("Bundle applied: ok, 3 commits"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Drone"), std::string::npos) << r.out;
  std::string uploaded;
  for (const auto& request : server_.requests) {
    if (request.method != "PUT") continue;
    EXPECT_LE(request.body.size(), piece);
    EXPECT_EQ(request.content_type, "application/octet-stream");
    uploaded += request.body;
  }
  EXPECT_EQ(uploaded, bundle);
  EXPECT_EQ(LastRequest().method, "GET");  // followed until done
  EXPECT_NE(r.err.find("the server is checking the bundle"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the server is applying it"), std::string::npos) << r.err;
}

TEST_F(BundleCliTest, AnUploadResumesWhereTheServerSaysAfterABrokenConnection) {
  std::string bundle = Bundle(300);
  std::string path = Path("good.bundle");
  std::ofstream(path, std::ios::binary) << bundle;
  std::string base = std::string("/api/v1/bundles/uploads/") + kUpload;
  const uint64_t piece = bundle.size() / 2 + 1;  // two pieces
  const std::string second = base + "?offset=" + std::to_string(piece);
  server_.On("POST", "/api/v1/bundles/uploads", 201,
             {{"id", kUpload}, {"received", 0}, {"maxBytes", 1 << 20}, {"pieceBytes", piece}});
  server_.On("PUT", base + "?offset=0", 200, {{"id", kUpload}, {"received", piece}});
  server_.On("PUT", second, 200, {{"id", kUpload}, {"received", bundle.size()}});
  // The second piece's answer is lost although the server stored it.
  server_.drops["PUT " + second] = 1;
  server_.On("GET", base, 200, {{"id", kUpload}, {"state", "receiving"}, {"received", piece}});
  server_.On("POST", base + "/apply?targetCategory=" + kCategory, 202,
             {{"id", kUpload}, {"state", "done"}, {"report", {{"outcome", "ok"}, {"commits", 1}}}});
  Outcome r = Cli({"bundle", "apply", path, "--target-category", kCategory});
  ASSERT_EQ(r.code, kExitOk) << r.err << r.out;
  int puts_of_second = 0;
  for (const auto& request : server_.requests) {
    if (request.method == "PUT" && request.target == second) ++puts_of_second;
  }
  EXPECT_EQ(puts_of_second, 2);  // sent again from where the server said it was

  // Three lost answers: the command gives up, saying the connection failed.
  server_.drops["PUT " + second] = 3;
  r = Cli({"bundle", "apply", path, "--target-category", kCategory});
  EXPECT_EQ(r.code, kExitConnection) << r.err;
  EXPECT_EQ(LastRequest().method, "PUT");
}

TEST_F(BundleCliTest, ARefusedApplyReportsTheServersReason) {
  std::string bundle = Bundle(50);
  std::string path = Path("incremental.bundle");
  std::ofstream(path, std::ios::binary) << bundle;
  std::string base = std::string("/api/v1/bundles/uploads/") + kUpload;
  server_.On("POST", "/api/v1/bundles/uploads", 201,
             {{"id", kUpload}, {"received", 0}, {"maxBytes", 1 << 20}, {"pieceBytes", 1 << 20}});
  server_.On("PUT", base + "?offset=0", 200, {{"id", kUpload}, {"received", bundle.size()}});
  server_.On("POST", base + "/apply?targetCategory=" + kCategory, 202,
             {{"id", kUpload},
              {"state", "failed"},
              {"error", {{"status", 409}, {"description", std::string("the bundle builds on commits this server does not have: ") + kCommit}}}});
  Outcome r = Cli({"bundle", "apply", path, "--target-category", kCategory});
  EXPECT_EQ(r.code, kExitServerError);
  EXPECT_NE(r.err.find(std::string("409 Conflict: the bundle builds on commits")), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(kCommit), std::string::npos) << r.err;
}

TEST_F(BundleCliTest, ApplyOfABundleLargerThanTheServerTakesDiscardsTheUpload) {
  std::string path = Path("big.bundle");
  std::ofstream(path, std::ios::binary) << Bundle(5000);
  server_.On("POST", "/api/v1/bundles/uploads", 201,
             {{"id", kUpload}, {"received", 0}, {"maxBytes", 1000}, {"pieceBytes", 100}});
  server_.On("DELETE", std::string("/api/v1/bundles/uploads/") + kUpload, 204, nullptr);
  Outcome r = Cli({"bundle", "apply", path, "--target-category", kCategory});
  EXPECT_NE(r.code, kExitOk);
  EXPECT_NE(r.err.find("sync.max-bundle-bytes"), std::string::npos) << r.err;
  EXPECT_EQ(LastRequest().method, "DELETE");
}

TEST_F(BundleCliTest, StateWritesWhatTheServerHolds) {
  json state = {{"format", kBundleStateFormat}, {"version", 1}, {"resources", {{kRes, {kCommit}}}}};
  server_.On("GET", std::string("/api/v1/bundles/state?resources=") + kRes, 200, state);
  std::string out = Path("b.state");
  Outcome r = Cli({"bundle", "state", "--resource", kRes, "--output", out});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(json::parse(Read(out)), state);
  EXPECT_NE(r.out.find("1 resources"), std::string::npos);
}

}  // namespace
}  // namespace tandem
