// Synchronization bundles between two in-process servers: a bundle written by
// BundleCreator on the source and applied by BundleApplier on the target
// gives what a synchronization run gives; damaged and hostile files are
// refused whole, with nothing stored; a target moves between bundles and the
// network without copying history again.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "testing/repo/forged_commit.h"
#include "sync/bundle_applier.h"
#include "sync/bundle_creator.h"
#include "testing/sync/two_servers_fixture.h"

namespace tandem {
namespace {

class BundleTest : public TwoServersTest {
 protected:
  using TwoServersTest::AddCommit;
  Commit AddCommit(const Resource& r) { return AddCommit(*source_.repo, r, "alice"); }

  // The bundle bytes the source writes for `request`.
  std::string Create(const BundleRequest& request, Repository* from = nullptr) {
    Repository& repo = from ? *from : *source_.repo;
    SourceService service(repo);
    BundleCreator creator(repo, service, clock_);
    auto plan = creator.Plan(request);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    if (!plan.ok()) return "";
    std::string bytes;
    Status st = creator.Write(*plan, [&](std::string_view b) {
      bytes.append(b);
      return true;
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return bytes;
  }
  BundleRequest Select(std::vector<std::string> resources) {
    return BundleRequest{std::move(resources), {}, {}};
  }
  // An incremental bundle of `resource` after `since` (the commits per resource).
  std::string CreateSince(const std::string& resource, const Json& since) {
    BundleRequest request = Select({resource});
    request.since = since.get<std::map<std::string, std::vector<std::string>>>();
    return Create(request);
  }
  Result<RunReport> Apply(const std::string& bytes, Repository* into = nullptr,
                          BundleLimits limits = {}, const std::string& category = "",
                          PackLimits pack_limits = {}, const SyncRunner::CopyCheck& check = nullptr) {
    std::string path = (dir_ / ("bundle-" + RandomHex(4))).string();
    std::ofstream(path, std::ios::binary) << bytes;
    BundleProgress progress;
    BundleApplier applier(into ? *into : *target_.repo, clock_, limits, pack_limits);
    return applier.Apply(path, category.empty() ? target_category_ : category, progress, check);
  }
  // Applies a bundle that must be refused, and checks nothing was stored.
  Status Refused(const std::string& bytes, BundleLimits limits = {}, PackLimits pack_limits = {}) {
    int64_t before = target_.repo->LastEventSeq().value();
    auto report = Apply(bytes, nullptr, limits, "", pack_limits);
    EXPECT_FALSE(report.ok()) << (report.ok() ? report->resources.dump() : "");
    EXPECT_EQ(target_.repo->LastEventSeq().value(), before) << "something was stored";
    return report.ok() ? Status::Ok() : report.status();
  }

  // A synchronization run over the (in-process) network into `into`.
  RunReport NetworkRun(Repository& into, TestSource& from, const std::string& resource_id,
                       const std::string& category) {
    RemoteConfigSpec spec;
    spec.name = "network";
    spec.source_url = TestSource::kUrl;
    spec.username = from.username();
    spec.resources = {resource_id};
    spec.target_category_id = category;
    auto source = from.Source();
    RunProgress progress;
    return SyncRunner(into, clock_, "config-1", spec, Json::object(), progress)
        .Run(*source, Cancellation::Never());
  }

  std::vector<Commit> CommitsOf(Repository& repo, const std::string& id) {
    auto page = repo.ListCommits(id, {std::nullopt, std::nullopt, 10'000}, false);
    return page.ok() ? page->items : std::vector<Commit>{};
  }
  void ExpectSameHistory(Repository& from, Repository& to, const std::string& id) {
    auto commits = CommitsOf(from, id);
    ASSERT_FALSE(commits.empty());
    for (const auto& c : commits) {
      auto copy = to.GetCommit(id, c.id);
      ASSERT_TRUE(copy.ok()) << "commit " << c.id << ": " << copy.status().ToString();
      EXPECT_EQ(copy->hash, c.hash);
    }
    EXPECT_EQ(CommitsOf(to, id).size(), commits.size());
    PageRequest all{std::nullopt, std::nullopt, 100};
    auto heads = [&](Repository& repo) {
      std::map<std::string, std::optional<std::string>> out;
      auto branches = repo.ListBranches(id, all);
      EXPECT_TRUE(branches.ok()) << branches.status().ToString();
      if (branches.ok()) {
        for (const auto& b : branches->items) out[b.id] = b.head;
      }
      return out;
    };
    EXPECT_EQ(heads(to), heads(from));
    EXPECT_EQ(to.ListTags(id, all)->items.size(), from.ListTags(id, all)->items.size());
  }

  // Takes a bundle apart, lets `edit` change the decompressed pack text of
  // every resource, and writes it again with a correct trailer.
  std::string Rebuild(const std::string& bytes, const std::function<void(std::string&)>& edit,
                      const std::function<void(Json&)>& edit_manifest = {}) {
    std::istringstream in(bytes);
    Json manifest;
    std::vector<std::pair<std::string, std::string>> packs;
    BundleVisitor v;
    v.on_manifest = [&](const Json& m) {
      manifest = m;
      return Status::Ok();
    };
    v.on_resource = [&](const std::string& id) {
      packs.emplace_back(id, "");
      return Status::Ok();
    };
    v.on_pack = [&](std::string_view b, uint64_t) {
      packs.back().second.append(b);
      return Status::Ok();
    };
    EXPECT_TRUE(ScanBundle(in, BundleLimits{}, v).ok());
    if (edit_manifest) edit_manifest(manifest);
    std::string out;
    BundleWriter w([&](std::string_view b) {
      out.append(b);
      return true;
    });
    EXPECT_TRUE(w.Start(manifest).ok());
    for (auto& [id, pack] : packs) {
      std::string text;
      ZstdDecompressor d(
          [&](std::string_view b) {
            text.append(b);
            return true;
          },
          1 << 30);
      EXPECT_TRUE(d.Write(pack).ok());
      edit(text);
      std::string again;
      ZstdCompressor c([&](std::string_view b) {
        again.append(b);
        return true;
      });
      EXPECT_TRUE(c.Write(text).ok());
      EXPECT_TRUE(c.Finish().ok());
      EXPECT_TRUE(w.BeginResource(id).ok());
      EXPECT_TRUE(w.Pack(again).ok());
    }
    EXPECT_TRUE(w.Finish().ok());
    return out;
  }
};

TEST_F(BundleTest, AFullBundleGivesWhatASynchronizationRunGives) {
  Resource r = NewResource("lib");
  Commit c1 = AddCommit(r);
  Commit c2 = AddCommit(r);
  AddCommit(r);
  ASSERT_TRUE(source_.repo->CreateTag(r.id, "release", c1.id, std::nullopt).ok());
  ASSERT_TRUE(source_.repo->CreateBranch(r.id, "dev", c2.id).ok());

  auto report = Apply(Create(Select({r.id})));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->outcome, "ok") << report->resources.dump();
  EXPECT_EQ(report->commits, 3u);
  ASSERT_EQ(report->resources.size(), 1u);
  EXPECT_EQ(report->resources[0]["state"], "synced");
  ExpectSameHistory(*source_.repo, *target_.repo, r.id);
  Resource copy = target_.repo->GetResource(r.id).value();
  EXPECT_TRUE(copy.read_only);
  EXPECT_EQ(copy.project_id, r.project_id);
  EXPECT_EQ(copy.category_id, target_category_);
  EXPECT_EQ(Json::parse(copy.origin)["serverId"], source_.repo->ServerId().value());
}

TEST_F(BundleTest, ApplyingTheSameBundleTwiceChangesNothing) {
  Resource r = NewResource("lib");
  AddCommit(r);
  AddCommit(r);
  std::string bundle = Create(Select({r.id}));
  ASSERT_TRUE(Apply(bundle).ok());
  int64_t events = target_.repo->LastEventSeq().value();
  auto again = Apply(bundle);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->outcome, "ok");
  EXPECT_EQ(again->commits, 0u);
  EXPECT_EQ(target_.repo->LastEventSeq().value(), events);
  ExpectSameHistory(*source_.repo, *target_.repo, r.id);
}

TEST_F(BundleTest, AnIncrementalBundleFromAStateFileCarriesOnlyWhatFollows) {
  Resource r = NewResource("lib");
  AddCommit(r);
  Commit c2 = AddCommit(r);
  ASSERT_TRUE(Apply(Create(Select({r.id}))).ok());
  AddCommit(r);
  AddCommit(r);

  SourceService target_service(*target_.repo);
  BundleCreator target_side(*target_.repo, target_service, clock_);
  auto state = target_side.State({});  // every synchronized copy here
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  auto since = SinceFromState(*state);
  ASSERT_TRUE(since.ok()) << since.status().ToString();
  std::string bundle = CreateSince(r.id, *since);

  std::istringstream in(bundle);
  Json manifest = ReadBundleManifest(in, BundleLimits{}).value();
  EXPECT_EQ(manifest["resources"][0]["prerequisites"], Json::array({c2.id}));
  EXPECT_EQ(manifest["resources"][0]["commits"], 2);

  auto report = Apply(bundle);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->commits, 2u);
  ExpectSameHistory(*source_.repo, *target_.repo, r.id);
}

TEST_F(BundleTest, AnIncrementalBundleSinceAnEarlierBundleNeedsThatBundleFirst) {
  Resource r = NewResource("lib");
  AddCommit(r);
  Commit c2 = AddCommit(r);
  std::string first = Create(Select({r.id}));
  AddCommit(r);
  std::istringstream in(first);
  auto since = SinceFromManifest(ReadBundleManifest(in, BundleLimits{}).value()).value();
  std::string second = CreateSince(r.id, since);

  // The target lacks the first bundle's commits: refused, naming them.
  Status refused = Refused(second);
  EXPECT_EQ(refused.code(), StatusCode::kConflict) << refused.ToString();
  EXPECT_NE(refused.message().find(c2.id), std::string::npos) << refused.ToString();
  EXPECT_EQ(target_.repo->GetResource(r.id).status().code(), StatusCode::kNotFound);

  ASSERT_TRUE(Apply(first).ok());
  auto report = Apply(second);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->commits, 1u);
  ExpectSameHistory(*source_.repo, *target_.repo, r.id);
}

TEST_F(BundleTest, DamagedFilesAreRefusedWholeWithNothingStored) {
  Resource r = NewResource("lib");
  for (int i = 0; i < 4; ++i) AddCommit(r);
  std::string good = Create(Select({r.id}));

  Status truncated = Refused(good.substr(0, good.size() - 7));
  EXPECT_EQ(truncated.code(), StatusCode::kCorruption);
  EXPECT_NE(truncated.message().find("truncated"), std::string::npos) << truncated.ToString();
  EXPECT_EQ(Refused(good.substr(0, good.size() / 2)).code(), StatusCode::kCorruption);
  EXPECT_EQ(Refused(good.substr(0, 5)).code(), StatusCode::kCorruption);

  // Any flipped byte (header, manifest, pack, trailer) is caught.
  for (size_t at : {size_t{3}, size_t{40}, good.size() / 2, good.size() - 40, good.size() - 1}) {
    std::string flipped = good;
    flipped[at] ^= 0x20;
    EXPECT_FALSE(Refused(flipped).ok()) << "flipped byte " << at;
  }
  std::string extra = good + "x";
  EXPECT_NE(Refused(extra).message().find("after the trailer"), std::string::npos);
  EXPECT_EQ(target_.repo->GetResource(r.id).status().code(), StatusCode::kNotFound);

  ASSERT_TRUE(Apply(good).ok());  // the undamaged file still applies
}

TEST_F(BundleTest, WrongHashesInsideAreCaughtBeforeAnythingIsAppliedEvenWithARecomputedChecksum) {
  Resource r = NewResource("lib");
  AddCommit(r);
  AddCommit(r);
  Commit last = AddCommit(r);
  std::string good = Create(Select({r.id}));

  // An element version whose text no longer matches its hash.
  std::string version_edited = Rebuild(good, [](std::string& text) {
    size_t at = text.find("Part");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 4, "Port");
  });
  Status st = Refused(version_edited);
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.ToString();
  EXPECT_NE(st.message().find("does not match its hash"), std::string::npos) << st.ToString();

  // The last commit's author changed: only recomputing its hash shows it,
  // and the trial import does that before the first commit is stored.
  std::string commit_edited = Rebuild(good, [&](std::string& text) {
    size_t at = text.find("\"id\":\"" + last.id + "\"");
    ASSERT_NE(at, std::string::npos);
    size_t author = text.rfind("\"author\":\"alice\"", at);
    ASSERT_NE(author, std::string::npos);
    text.replace(author, 16, "\"author\":\"mallo\"");
  });
  st = Refused(commit_edited);
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.ToString();
  EXPECT_NE(st.message().find(last.id), std::string::npos) << st.ToString();
  EXPECT_EQ(target_.repo->GetResource(r.id).status().code(), StatusCode::kNotFound);

  // A manifest whose head hash disagrees with the commit it names.
  std::string manifest_edited = Rebuild(
      good, [](std::string&) {},
      [](Json& m) { m["resources"][0]["entry"]["branches"][0]["headHash"] = std::string(64, 'a'); });
  st = Refused(manifest_edited);
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.ToString();
}

TEST_F(BundleTest, HostileSizesAndVersionsAreRefusedBeforeTheyAreRead) {
  Resource r = NewResource("lib");
  AddCommit(r);
  std::string good = Create(Select({r.id}));
  std::string header = good.substr(0, kBundleMagicSize + 4);

  // A manifest frame declaring 4 GiB.
  std::string huge = header + "M" + std::string("\xff\xff\xff\xff", 4) + "{}";
  Status st = Refused(huge);
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("declares 4294967295 bytes"), std::string::npos) << st.ToString();

  // A file larger than the configured limit.
  BundleLimits small;
  small.max_bundle_bytes = good.size() / 2;
  EXPECT_EQ(Refused(good, small).code(), StatusCode::kTooLarge);

  // Another format version.
  std::string v2 = good;
  v2[kBundleMagicSize + 3] = 2;
  st = Refused(v2);
  EXPECT_NE(st.message().find("format version 2 is not supported"), std::string::npos) << st.ToString();

  EXPECT_NE(Refused("PK\x03\x04 a zip file").message().find("not a tandem bundle"), std::string::npos);

  // A manifest nested deeper than any real one, with a correct checksum.
  auto u32 = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  std::string bomb = header + "M" + u32(static_cast<uint32_t>(deep.size())) + deep;
  bomb += "T" + u32(32) + std::string(HashBytes(Sha256(bomb)));
  st = Refused(bomb);
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("manifest"), std::string::npos) << st.ToString();
}

// A sync manager's small bundle whose element nests 100 000 arrays deep, with
// every hash correct: stored, it crashed the first reader of the elements.
TEST_F(BundleTest, AnElementNestedTooDeepIsRefusedNamingTheElementAndTheLimit) {
  Resource r = NewResource("lib");
  Commit c1 = AddCommit(r);
  std::string element;
  ASSERT_TRUE(source_.repo
                  ->VisitCommitContents({c1}, [&](const Commit&, const std::vector<Change>& changes,
                                                  const Repository::VersionText&) {
                    element = changes.at(0).element_id;
                    return Status::Ok();
                  })
                  .ok());
  std::string deep = R"({"@id":")" + element + R"(","@type":"Part","x":)" +
                     std::string(100'000, '[') + std::string(100'000, ']') + "}";
  auto txn = source_.store->BeginRead().value();
  auto forged = testing::ForgeCommit(*txn, c1, std::nullopt, element, deep).value();
  txn.reset();
  const Commit& fc = forged.imported.commit;
  std::string hostile = Rebuild(
      Create(Select({r.id})),
      [&](std::string& text) {
        std::string out;
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);) {
          Json record = Json::parse(line);
          if (record["t"] == "version") {
            record["hash"] = ToHex(Sha256(deep));
            record["json"] = deep;
          } else if (record["t"] == "commit") {
            record["hash"] = ToHex(fc.hash);
            record["changes"][0]["version"] = ToHex(Sha256(deep));
          }
          out += record.dump() + "\n";
        }
        text = out;
      },
      [&](Json& m) { m["resources"][0]["entry"]["branches"][0]["headHash"] = ToHex(fc.hash); });
  Status st = Refused(hostile);
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.ToString();
  EXPECT_NE(st.message().find("of element " + element + " nests deeper than the limit of 64 levels"),
            std::string::npos)
      << st.ToString();
  EXPECT_EQ(target_.repo->GetResource(r.id).status().code(), StatusCode::kNotFound);
}

TEST_F(BundleTest, ManifestFieldsOfTheWrongTypeAreRefusedNotFatal) {
  Resource r = NewResource("lib");
  AddCommit(r);
  std::string good = Create(Select({r.id}));
  Json manifest;
  Rebuild(good, [](std::string&) {}, [&](Json& m) { manifest = m; });
  ASSERT_TRUE(manifest.is_object());
  // Every field of the manifest, and of its first resource entry, replaced by
  // each JSON type: refused with a message, or harmless; never an exception.
  std::vector<std::function<Json&(Json&)>> places = {
      [](Json& m) -> Json& { return m; },
      [](Json& m) -> Json& { return m["resources"][0]; },
      [](Json& m) -> Json& { return m["resources"][0]["entry"]; }};
  int refused = 0;
  for (const auto& place : places) {
    std::vector<std::string> keys;
    for (const auto& [key, value] : place(manifest).items()) keys.push_back(key);
    for (const auto& key : keys) {
      for (const Json& odd : {Json(1), Json("x"), Json::array(), Json::object(), Json()}) {
        std::string bytes = Rebuild(good, [](std::string&) {}, [&](Json& m) { place(m)[key] = odd; });
        std::optional<Result<RunReport>> report;
        EXPECT_NO_THROW(report.emplace(Apply(bytes))) << key << " = " << odd.dump();
        if (report && !report->ok()) {
          ++refused;
          EXPECT_FALSE(report->status().message().empty()) << key;
        }
      }
    }
  }
  EXPECT_GT(refused, 0);
}

TEST_F(BundleTest, ACopyTheApplierMayNotManageIsLeftAlone) {
  Resource r = NewResource("lib");
  AddCommit(r);
  ASSERT_TRUE(Apply(Create(Select({r.id}))).ok());
  Commit before = CommitsOf(*target_.repo, r.id).front();
  AddCommit(r);
  auto refuse = [](const Resource& copy) {
    return Status::PermissionDenied("copy " + copy.id + " is outside the caller's scopes");
  };
  auto report = Apply(Create(Select({r.id})), nullptr, {}, "", {}, refuse);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->outcome, "partial");
  ASSERT_EQ(report->resources.size(), 1u);
  EXPECT_EQ(report->resources[0]["state"], "conflict");
  EXPECT_NE(report->resources[0]["message"].get<std::string>().find("outside the caller's scopes"),
            std::string::npos);
  EXPECT_EQ(CommitsOf(*target_.repo, r.id).size(), 1u);
  EXPECT_EQ(CommitsOf(*target_.repo, r.id).front().id, before.id);
  // Allowed, the same bundle applies.
  auto allowed = Apply(Create(Select({r.id})), nullptr, {}, "", {},
                       [](const Resource&) { return Status::Ok(); });
  ASSERT_TRUE(allowed.ok());
  EXPECT_EQ(allowed->outcome, "ok");
  ExpectSameHistory(*source_.repo, *target_.repo, r.id);
}

TEST_F(BundleTest, PacksThatDecompressBeyondTheirLimitsAreRefused) {
  Resource r = NewResource("lib");
  AddCommit(r);
  std::string good = Create(Select({r.id}));
  PackLimits small;
  small.max_record_bytes = 64 << 10;
  small.max_pending_bytes = 256 << 10;

  // Versions no commit uses, piling up (a few bytes each once compressed).
  std::string piled = Rebuild(good, [](std::string& text) {
    std::string unused;
    for (int i = 0; i < 100; ++i) {
      std::string json = "{\"@id\":\"" + std::to_string(i) + "\",\"pad\":\"" + std::string(4000, 'x') + "\"}";
      unused += Json{{"t", "version"}, {"hash", ToHex(Sha256(json))}, {"json", json}}.dump() + "\n";
    }
    text = unused + text;
  });
  EXPECT_LT(piled.size(), 64u << 10);
  Status st = Refused(piled, {}, small);
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("no commit has used"), std::string::npos) << st.ToString();

  // One record longer than any legitimate one.
  std::string long_line = Rebuild(good, [](std::string& text) {
    text = Json{{"t", "version"}, {"hash", std::string(64, '0')}, {"json", std::string(100 << 10, 'y')}}.dump() +
           "\n" + text;
  });
  st = Refused(long_line, {}, small);
  EXPECT_NE(st.message().find("longer than"), std::string::npos) << st.ToString();
  ASSERT_TRUE(Apply(good, nullptr, {}, "", small).ok());
}

TEST_F(BundleTest, ACancelledCheckStoresNothing) {
  Resource r = NewResource("lib");
  AddCommit(r);
  std::string path = (dir_ / "cancelled.bundle").string();
  std::ofstream(path, std::ios::binary) << Create(Select({r.id}));
  BundleProgress progress;
  progress.cancel.Cancel();  // e.g. the server is stopping
  auto report = BundleApplier(*target_.repo, clock_, {}).Apply(path, target_category_, progress);
  EXPECT_EQ(report.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(progress.applying);
  EXPECT_EQ(target_.repo->GetResource(r.id).status().code(), StatusCode::kNotFound);
}

TEST_F(BundleTest, ATargetSwitchesFromBundlesToTheNetworkWithoutCopyingHistoryAgain) {
  Resource r = NewResource("lib");
  AddCommit(r);
  AddCommit(r);
  ASSERT_TRUE(Apply(Create(Select({r.id}))).ok());

  auto network_run = [&] { return NetworkRun(*target_.repo, *fake_, r.id, target_category_); };
  RunReport first = network_run();
  EXPECT_EQ(first.outcome, "ok") << first.error << first.resources.dump();
  EXPECT_EQ(first.commits, 0u);
  EXPECT_EQ(fake_->pack_calls(), 0);  // every head matched: no pack asked for

  Commit c3 = AddCommit(r);
  RunReport second = network_run();
  EXPECT_EQ(second.commits, 1u);
  EXPECT_EQ(fake_->pack_calls(), 1);
  ExpectSameHistory(*source_.repo, *target_.repo, r.id);

  // And back to bundles: an incremental one since what the target holds.
  AddCommit(r);
  BundleRequest request = Select({r.id});
  request.since[r.id] = {c3.id};
  auto back = Apply(Create(request));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->commits, 1u);
  ExpectSameHistory(*source_.repo, *target_.repo, r.id);
}

TEST_F(BundleTest, ABundledCopyIsASourceForAFurtherNetworkHop) {
  Resource r = NewResource("lib");
  AddCommit(r);
  AddCommit(r);
  ASSERT_TRUE(Apply(Create(Select({r.id}))).ok());  // A --bundle--> B

  // C synchronizes from B over the (in-process) network.
  auto store_c = SqliteStore::Open((dir_ / "c").string()).value();
  Repository c(*store_c, clock_);
  ASSERT_TRUE(c.Bootstrap().ok());
  std::string cat_c = c.CreateCategory({"from-b", std::nullopt, ""}).value().id;
  TestSource b_source(*target_.repo);
  RunReport report = NetworkRun(c, b_source, r.id, cat_c);
  EXPECT_EQ(report.outcome, "ok") << report.error << report.resources.dump();
  ExpectSameHistory(*source_.repo, c, r.id);
  Json origin = Json::parse(c.GetResource(r.id)->origin);
  EXPECT_EQ(origin["chain"], Json::array({source_.repo->ServerId().value(),
                                          target_.repo->ServerId().value()}));

  // And C --bundle--> back to A is a cycle: reported, not applied.
  std::string cat_a = source_.repo->CreateCategory({"back", std::nullopt, ""}).value().id;
  auto cycle = Apply(Create(Select({r.id}), &c), source_.repo.get(), {}, cat_a);
  ASSERT_TRUE(cycle.ok()) << cycle.status().ToString();
  EXPECT_EQ(cycle->resources[0]["state"], "conflict") << cycle->resources.dump();
}

TEST_F(BundleTest, ANetworkCopyTravelsOnByBundle) {
  Resource r = NewResource("lib");
  AddCommit(r);
  AddCommit(r);
  // A --network--> B.
  ASSERT_EQ(NetworkRun(*target_.repo, *fake_, r.id, target_category_).outcome, "ok");

  // B --bundle--> C.
  auto store_c = SqliteStore::Open((dir_ / "c").string()).value();
  Repository c(*store_c, clock_);
  ASSERT_TRUE(c.Bootstrap().ok());
  std::string cat_c = c.CreateCategory({"from-b", std::nullopt, ""}).value().id;
  auto report = Apply(Create(Select({r.id}), target_.repo.get()), &c, {}, cat_c);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->outcome, "ok") << report->resources.dump();
  ExpectSameHistory(*source_.repo, c, r.id);
  Json origin = Json::parse(c.GetResource(r.id)->origin);
  EXPECT_EQ(origin["serverId"], target_.repo->ServerId().value());
  EXPECT_EQ(origin["chain"], Json::array({source_.repo->ServerId().value(),
                                          target_.repo->ServerId().value()}));
}

TEST_F(BundleTest, AnOlderBundleThanTheCopyIsRefused) {
  Resource r = NewResource("lib");
  AddCommit(r);
  std::string old = Create(Select({r.id}));
  AddCommit(r);
  ASSERT_TRUE(Apply(Create(Select({r.id}))).ok());
  Status st = Refused(old);
  EXPECT_EQ(st.code(), StatusCode::kConflict);
  EXPECT_NE(st.message().find("older"), std::string::npos) << st.ToString();
  ExpectSameHistory(*source_.repo, *target_.repo, r.id);
}

TEST_F(BundleTest, UsedProjectsComeAlongAndConflictsAreRowsOfTheReport) {
  auto [lib, app, lc, ac] = NewAppUsingLib();
  Resource other = NewResource("other");
  AddCommit(other);
  // A local project with the name of `other` in the target category.
  ASSERT_TRUE(target_.repo->CreateResource({"other", std::nullopt, target_category_, std::nullopt}).ok());

  auto report = Apply(Create(Select({app.id, other.id})));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->outcome, "partial");
  std::map<std::string, Json> rows;
  for (const auto& row : report->resources) rows[row["sourceId"]] = row;
  EXPECT_EQ(rows[lib.id]["state"], "synced");
  EXPECT_EQ(rows[lib.id]["selectedBy"], Json::array({"dependency"}));
  EXPECT_EQ(rows[app.id]["state"], "synced");
  EXPECT_EQ(rows[other.id]["state"], "conflict") << rows[other.id].dump();
  ExpectSameHistory(*source_.repo, *target_.repo, app.id);
}

TEST_F(BundleTest, CreationRefusesUnknownSelections) {
  SourceService service(*source_.repo);
  BundleCreator creator(*source_.repo, service, clock_);
  EXPECT_EQ(creator.Plan({}).status().code(), StatusCode::kInvalidArgument);
  std::string unknown = NewUuid();
  auto plan = creator.Plan(Select({unknown}));
  EXPECT_EQ(plan.status().code(), StatusCode::kNotFound);
  EXPECT_NE(plan.status().message().find(unknown), std::string::npos);
}

}  // namespace
}  // namespace tandem
