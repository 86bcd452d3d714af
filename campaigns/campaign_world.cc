#include "campaigns/campaign_world.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

namespace tandem::campaigns {

namespace fs = std::filesystem;
using e2e::BodyJson;
using e2e::PostJson;

namespace {

constexpr const char* kReader = "puller";
constexpr const char* kReaderPassword = "puller-password";

std::string Commit(httplib::Client& c, const std::string& rid, const Json& body) {
  auto r = PostJson(c, "/sysml/v2/projects/" + rid + "/commits", body);
  if (!r || r->status != 201) {
    throw std::runtime_error("campaign set-up: a commit was refused: " + (r ? r->body : "no answer"));
  }
  return BodyJson(r)["@id"];
}

// The real model with every element's declaredName set to `name`.
Json Renamed(const std::string& name) {
  Json body = e2e::RealModel();
  for (auto& ch : body["change"]) ch["payload"]["declaredName"] = name;
  return body;
}

}  // namespace

CampaignWorld::CampaignWorld(const Options& options) : options_(options) {
  template_dir_ = dir_.Sub("template");
  auto source = Start(template_dir_ + "/source");
  auto admin = source->Client();
  auto reader = PostJson(*admin, "/api/v1/users",
                         {{"name", kReader}, {"password", kReaderPassword}, {"role", "reader"}});
  if (!reader || reader->status != 201) throw std::runtime_error("campaign set-up: no reader account");

  campaign_id_ = e2e::CreateProject(*admin, "Campaign");
  std::vector<std::string> ids;
  for (int i = 0; i < options_.commits; ++i) {
    ids.push_back(Commit(*admin, campaign_id_, Renamed("campaign " + std::to_string(i))));
  }
  auto tag = PostJson(*admin, "/sysml/v2/projects/" + campaign_id_ + "/tags",
                      {{"name", "first"}, {"taggedCommit", {{"@id", ids.front()}}}});
  auto branch = PostJson(*admin, "/sysml/v2/projects/" + campaign_id_ + "/branches",
                         {{"name", "review"}, {"head", {{"@id", ids[ids.size() / 2]}}}});
  if (!tag || tag->status != 201 || !branch || branch->status != 201) {
    throw std::runtime_error("campaign set-up: the tag or the branch was refused");
  }
  spare_id_ = e2e::CreateProject(*admin, "Spare");
  for (int i = 0; i < 5; ++i) Commit(*admin, spare_id_, Renamed("spare " + std::to_string(i)));

  campaign_oracle_ = Oracle(*admin, campaign_id_);
  spare_oracle_ = Oracle(*admin, spare_id_);
  bundle_path_ = dir_.Sub("campaign.bundle");
  auto bundle = e2e::RunProcess(
      {e2e::BinaryPath("tools/tandem/tandem"), "bundle", "create", "--resource", campaign_id_,
       "--output", bundle_path_},
      {{"TANDEM_SERVER", "http://127.0.0.1:" + std::to_string(source->port())},
       {"TANDEM_USER", "admin"},
       {"TANDEM_PASSWORD", source->admin_password()}});
  if (bundle.exit_code != 0) throw std::runtime_error("campaign set-up: bundle create: " + bundle.err);
  if (source->Terminate() != 0) throw std::runtime_error("campaign set-up: the source did not stop cleanly");
}

std::string CampaignWorld::NewTrialDir(const std::string& name) {
  std::string dir = dir_.Sub(name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy(template_dir_ + "/source", dir + "/source", fs::copy_options::recursive);
  return dir;
}

std::unique_ptr<ServerProcess> CampaignWorld::Start(const std::string& data_dir, int port,
                                                    const std::string& conf) const {
  fs::create_directories(fs::path(data_dir).parent_path());
  std::string path = data_dir + ".conf";
  std::ofstream(path) << "sync.reconcile-seconds = 3600\n" << conf;
  auto start = std::chrono::steady_clock::now();
  auto server = ServerProcess::Start({data_dir, {"--config", path}, "admin-password-1", port});
  phases().start_ms += MillisSince(start);
  return server;
}

std::string CampaignWorld::CreateConfig(ServerProcess& target, int source_port,
                                        const std::vector<std::string>& resources) {
  Json config = {{"name", "campaign-" + std::to_string(source_port)},
                 {"source",
                  {{"url", "http://127.0.0.1:" + std::to_string(source_port)},
                   {"username", kReader},
                   {"password", kReaderPassword}}},
                 {"resources", resources},
                 {"targetCategoryId", Root(target)},
                 {"trigger", {{"type", "manual"}}}};
  auto r = PostJson(*target.Client(), "/api/v1/remote-configs", config);
  EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
  return r ? BodyJson(r).value("id", "") : "";
}

Json CampaignWorld::SyncUntilOk(ServerProcess& target, const std::string& config, int attempts) {
  Json last;
  auto client = target.Client();
  auto start = std::chrono::steady_clock::now();
  struct Count {
    std::chrono::steady_clock::time_point start;
    ~Count() { phases().sync_ms += MillisSince(start); }
  } count{start};
  for (int i = 0; i < attempts; ++i) {
    auto r = client->Post("/api/v1/remote-configs/" + config + "/sync?wait=true", "", "application/json");
    last = BodyJson(r);
    if (r && r->status == 200 && last.value("outcome", "") == "ok") return last;
    // A run still going (the one a restart resumed) answers 503 at once; wait for it.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ADD_FAILURE() << "no run converged in " << attempts << " attempts; the last: " << last.dump();
  return last;
}

e2e::ProcessResult CampaignWorld::Datamanager(const std::string& data_dir, std::vector<std::string> args) {
  args.insert(args.begin(), {e2e::BinaryPath("tools/datamanager/datamanager"), "--data-dir", data_dir});
  return e2e::RunProcess(args);
}

bool CampaignWorld::Verify(const std::string& data_dir) {
  auto start = std::chrono::steady_clock::now();
  auto verify = Datamanager(data_dir, {"--verify"});
  phases().verify_ms += MillisSince(start);
  EXPECT_EQ(verify.exit_code, 0) << "datamanager --verify on " << data_dir << ":\n"
                                 << verify.out << verify.err;
  return verify.exit_code == 0;
}

std::string CampaignWorld::Root(ServerProcess& server) {
  return BodyJson(server.Client()->Get("/api/v1/server"))["rootCategoryId"];
}

Json CampaignWorld::Oracle(httplib::Client& client, const std::string& rid) {
  auto start = std::chrono::steady_clock::now();
  Json oracle = e2e::HistoryOracle(client, rid, e2e::OracleElements::kHeadsAndTags);
  phases().oracle_ms += MillisSince(start);
  return oracle;
}

bool CampaignWorld::ExpectCopyEquals(ServerProcess& server, const std::string& rid, const Json& oracle) {
  auto client = server.Client();
  bool same = Oracle(*client, rid) == oracle;
  EXPECT_TRUE(same) << "the history of " << rid << " differs from the source's";
  return same;
}

std::string CampaignWorld::State(ServerProcess& target, const std::string& config) {
  return BodyJson(target.Client()->Get("/api/v1/remote-configs/" + config + "/status")).value("state", "");
}

int CampaignMain(int argc, char** argv, CLI::App& app, CampaignFlags& flags, const std::string& kinds_help) {
  ::testing::InitGoogleTest(&argc, argv);
  app.add_option("--trials", flags.trials, "number of trials")->check(CLI::PositiveNumber);
  app.add_option("--seed", flags.seed, "seed of the random moments and offsets (default: from the clock)");
  app.add_option("--commits", flags.commits, "commits of the Campaign resource")->check(CLI::Range(2, 10'000));
  app.add_option("--kinds", flags.kinds, kinds_help)->delimiter(',');
  app.add_option("--report", flags.report, "write the figures as JSON to this file");
  app.add_option("--keep-failed", flags.keep_failed, "copy the data directories of failed trials here");
  CLI11_PARSE(app, argc, argv);
  if (flags.seed == 0) {
    flags.seed = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  }
  std::printf("%s: seed %llu (--seed=%llu repeats it)\n", app.get_description().c_str(),
              static_cast<unsigned long long>(flags.seed), static_cast<unsigned long long>(flags.seed));
  return RUN_ALL_TESTS();
}

void CampaignWorld::EndTrial(const std::string& dir, bool failed, const std::string& keep_failed) {
  std::error_code ec;
  if (failed && !keep_failed.empty()) {
    fs::path kept = fs::path(keep_failed) / fs::path(dir).filename();
    fs::create_directories(kept.parent_path(), ec);
    fs::copy(dir, kept, fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
    std::printf("  the failed trial's data directories are in %s\n", kept.c_str());
  }
  fs::remove_all(dir, ec);
}

CampaignWorld::Phases& CampaignWorld::phases() {
  static Phases p;
  return p;
}

void CampaignWorld::PrintPhases(int64_t total_ms) {
  const Phases& p = phases();
  auto share = [&](int64_t ms) { return total_ms > 0 ? 100.0 * static_cast<double>(ms) / static_cast<double>(total_ms) : 0.0; };
  std::printf("time: starting servers %.1f s (%.0f%%), datamanager --verify %.1f s (%.0f%%), runs to convergence "
              "%.1f s (%.0f%%), history oracles %.1f s (%.0f%%)\n",
              static_cast<double>(p.start_ms) / 1000, share(p.start_ms), static_cast<double>(p.verify_ms) / 1000,
              share(p.verify_ms), static_cast<double>(p.sync_ms) / 1000, share(p.sync_ms),
              static_cast<double>(p.oracle_ms) / 1000, share(p.oracle_ms));
}

int CampaignWorld::FailureCount() {
  const auto* result = ::testing::UnitTest::GetInstance()->current_test_info()->result();
  int n = 0;
  for (int i = 0; i < result->total_part_count(); ++i) n += result->GetTestPartResult(i).failed();
  return n;
}

}  // namespace tandem::campaigns
