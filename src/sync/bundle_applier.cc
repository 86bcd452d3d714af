#include "sync/bundle_applier.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include "common/canonical_json.h"
#include "common/ids.h"
#include "common/strings.h"
#include "sync/pack_reader.h"
#include "sync/protocol.h"

namespace tandem {
namespace {

Status BadBundle(const std::string& why) { return Status::Corruption("bundle file: " + why); }

// One resource of the bundle as its manifest describes it, and where its pack lies.
struct BundlePart {
  std::string id;
  CatalogueEntry entry;
  Json entry_json;
  std::vector<std::string> heads;
  std::set<std::string> prerequisites;
  uint64_t commits = 0;
  std::vector<std::pair<uint64_t, uint32_t>> frames;  // payload offset, size
};

struct BundleContents {
  std::string source_server_id;
  std::vector<BundlePart> parts;
};

Result<std::vector<std::string>> Ids(const Json& r, const char* key) {
  auto it = r.find(key);
  if (it == r.end() || !it->is_array()) return BadBundle(std::string("a resource lacks '") + key + "'");
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (!v.is_string() || !IsUuid(v.get<std::string>())) {
      return BadBundle(std::string("'") + key + "' holds something other than commit ids");
    }
    out.push_back(NormalizeUuid(v.get<std::string>()));
  }
  return out;
}

Result<BundleContents> ParseContents(const Json& m) {
  BundleContents out;
  auto protocol = m.find("protocol");
  if (protocol == m.end() || !protocol->is_object() || !protocol->contains("major") ||
      !(*protocol)["major"].is_number_integer()) {
    return BadBundle("the manifest lacks the protocol version");
  }
  if ((*protocol)["major"].get<int64_t>() != kSyncProtocolMajor) {
    return Status::InvalidArgument(
        "the bundle was written for tandem-sync " + std::to_string((*protocol)["major"].get<int64_t>()) +
        ".x and this server speaks " + std::to_string(kSyncProtocolMajor) + ".x");
  }
  if (!m.contains("sourceServerId") || !m["sourceServerId"].is_string() ||
      !IsUuid(m["sourceServerId"].get<std::string>())) {
    return BadBundle("the manifest lacks the source server id");
  }
  out.source_server_id = NormalizeUuid(m["sourceServerId"].get<std::string>());
  if (!m.contains("resources") || !m["resources"].is_array()) return BadBundle("the manifest lists no resources");
  std::set<std::string> ids;
  for (const auto& r : m["resources"]) {
    if (!r.is_object() || !r.contains("id") || !r["id"].is_string() ||
        !IsUuid(r["id"].get<std::string>())) {
      return BadBundle("a resource of the manifest has no id");
    }
    BundlePart part;
    part.id = NormalizeUuid(r["id"].get<std::string>());
    if (!ids.insert(part.id).second) return BadBundle("resource " + part.id + " is listed twice");
    ASSIGN_OR_RETURN(part.heads, Ids(r, "heads"));
    ASSIGN_OR_RETURN(auto prerequisites, Ids(r, "prerequisites"));
    part.prerequisites.insert(prerequisites.begin(), prerequisites.end());
    if (!r.contains("commits") || !r["commits"].is_number_unsigned()) {
      return BadBundle("resource " + part.id + " has no commit count");
    }
    part.commits = r["commits"].get<uint64_t>();
    if (!r.contains("entry")) return BadBundle("resource " + part.id + " has no catalogue entry");
    auto entry = CatalogueEntryFromJson(r["entry"]);
    if (!entry.ok()) return BadBundle(entry.status().message());
    part.entry = std::move(entry).value();
    if (part.entry.resource.id != part.id) return BadBundle("resource " + part.id + " describes another");
    part.entry_json = r["entry"];
    out.parts.push_back(std::move(part));
  }
  return out;
}

// The source a bundle's apply reads from: the checked manifest and the packs
// of the verified file. Answers only what a SyncRunner asks; no change feed.
class BundleSyncSource final : public SyncSource {
 public:
  BundleSyncSource(std::string path, const BundleContents& contents)
      : path_(std::move(path)), contents_(contents) {}

  Result<SourceInfo> Info(const Cancellation&) override {
    return SourceInfo{contents_.source_server_id, kSyncProtocolMajor, kSyncProtocolMinor, "bundle"};
  }

  Result<Catalogue> FetchCatalogue(const CatalogueRequest& request, const Cancellation&) override {
    // The request is the runner's own; the entries come from the checked manifest.
    Catalogue out;
    for (const auto& id : request.resources) {
      if (const BundlePart* part = Find(id)) {
        out.entries.push_back(part->entry);
      } else {
        out.missing_resources.push_back(id);
      }
    }
    return out;
  }

  Status FetchPack(const PackRequest& request, const ByteSink& sink, const Cancellation& cancel) override {
    const BundlePart* part = Find(request.resource_id);
    if (!part) return Status::NotFound("the bundle holds no project " + request.resource_id);
    std::ifstream in(path_, std::ios::binary);
    if (!in) return Status::Unavailable("cannot open the bundle file again");
    std::string bytes;
    for (const auto& [offset, size] : part->frames) {
      if (cancel.cancelled()) return Status::Unavailable("the server is stopping");
      bytes.resize(size);
      in.seekg(static_cast<std::streamoff>(offset));
      in.read(bytes.data(), size);
      if (static_cast<uint32_t>(in.gcount()) != size) {
        return Status::Unavailable("the bundle file changed while it was applied");
      }
      if (!sink(bytes)) break;  // the reader stopped; it says why
    }
    return Status::Ok();
  }

  Result<ChangePage> Changes(int64_t, std::chrono::seconds, const Cancellation&) override {
    return Status::NotImplemented("a bundle has no change feed");
  }

  std::string Name() const override {
    return "bundle " + std::filesystem::path(path_).filename().string();
  }

 private:
  const BundlePart* Find(const std::string& id) const {
    for (const auto& p : contents_.parts) {
      if (p.id == id) return &p;
    }
    return nullptr;
  }
  std::string path_;
  const BundleContents& contents_;
};

// Checks one resource's pack as it is read: its commit graph is closed over
// the bundle and its prerequisites, every change names a version the pack
// carries, heads carry the manifest's hashes; with a trial, also every commit
// hash (ImportCommit in a transaction that is rolled back).
class PackCheck {
 public:
  PackCheck(const BundlePart& part, Repository::ImportTrial* trial) : part_(part), trial_(trial) {}

  Status operator()(const Repository::ImportedCommit& in) {
    const Commit& c = in.commit;
    auto bad = [&](const std::string& why) { return Status::Corruption("commit " + c.id + ": " + why); };
    if (!seen_.insert(c.id).second) return bad("it comes twice");
    if (seen_.size() > part_.commits) return bad("the pack holds more commits than the manifest says");
    for (const auto& p : c.parents) {
      if (!seen_.count(p) && !part_.prerequisites.count(p)) {
        return bad("its parent " + p + " is neither in the bundle nor among its prerequisites");
      }
    }
    for (const auto& ch : in.changes) {
      if (ch.version && !in.versions.count(*ch.version) && !versions_.count(*ch.version)) {
        return bad("element version " + ToHex(*ch.version) + " is not in the bundle");
      }
    }
    for (const auto& [hash, text] : in.versions) versions_.insert(hash);
    for (size_t i = 0; i < part_.entry.branches.size(); ++i) {
      if (part_.entry.branches[i].head == c.id && part_.entry.head_hashes[i] != c.hash) {
        return bad("its hash differs from the manifest's head hash");
      }
    }
    if (trial_) {
      Status st = trial_->ImportCommit(part_.id, in);
      // A clash or a missing dependency is a row of the run's report, as in a
      // synchronization run; only bad data refuses the whole bundle.
      if (st.code() == StatusCode::kCorruption) return st;
      if (!st.ok()) trial_ = nullptr;
    }
    return Status::Ok();
  }
  uint64_t commits() const { return seen_.size(); }

 private:
  const BundlePart& part_;
  Repository::ImportTrial* trial_;
  std::set<std::string> seen_;
  std::set<Hash> versions_;
};

}  // namespace

Result<RunReport> BundleApplier::Apply(const std::string& path,
                                       const std::string& target_category_id,
                                       BundleProgress& progress,
                                       const SyncRunner::CopyCheck& copy_check) {
  ASSIGN_OR_RETURN(Category category, repo_.GetCategory(target_category_id));
  ASSIGN_OR_RETURN(std::string own_id, repo_.ServerId());
  std::ifstream in(path, std::ios::binary);
  std::error_code size_error;
  progress.bytes_total = std::filesystem::file_size(path, size_error);
  if (!in || size_error) return Status::IOError("cannot open the bundle file " + path);

  BundleContents contents;
  std::vector<std::string> missing;  // prerequisites, "project NAME (ID): c1, c2"
  std::vector<std::string> stale;    // copies here that are newer than the bundle
  std::unique_ptr<Repository::ImportTrial> trial;
  std::vector<bool> trial_of;  // per part: imported in the trial
  size_t current = 0;          // parts whose resource frame was read
  std::unique_ptr<PackCheck> check;
  std::unique_ptr<PackReader> reader;

  // Errors inside a pack name the file and the project.
  auto in_pack = [&](const Status& st) {
    if (st.ok()) return st;
    return Status(st.code(), "bundle file: the pack of project " + contents.parts[current - 1].id +
                                 ": " + st.message());
  };
  auto finish_pack = [&]() -> Status {
    if (!reader) return Status::Ok();
    Status st = reader->Finish();
    const BundlePart& part = contents.parts[current - 1];
    if (st.code() == StatusCode::kUnavailable) return BadBundle("the pack of project " + part.id + " is incomplete");
    RETURN_IF_ERROR(in_pack(st));
    if (check->commits() != part.commits) {
      return BadBundle("the pack of project " + part.id + " holds " + std::to_string(check->commits()) +
                 " commits, the manifest says " + std::to_string(part.commits));
    }
    reader.reset();
    return Status::Ok();
  };

  BundleVisitor visitor;
  visitor.on_manifest = [&](const Json& manifest) -> Status {
    ASSIGN_OR_RETURN(contents, ParseContents(manifest));
    for (const auto& part : contents.parts) {
      std::vector<std::string> lacking;
      for (const auto& p : part.prerequisites) {
        auto c = repo_.GetCommit(part.id, p);
        if (c.status().code() == StatusCode::kNotFound) {
          lacking.push_back(p);
        } else if (!c.ok()) {
          return c.status();
        }
      }
      if (!lacking.empty()) {
        missing.push_back("project '" + part.entry.resource.name + "' (" + part.id +
                          "): " + Join(lacking, ", "));
      }
    }
    // Trial imports need the prerequisites; without them only the checks run.
    trial_of.assign(contents.parts.size(), false);
    std::vector<Resource> fresh(contents.parts.size());
    for (size_t i = 0; i < contents.parts.size() && missing.empty(); ++i) {
      const BundlePart& part = contents.parts[i];
      if (std::find(part.entry.origin.begin(), part.entry.origin.end(), own_id) !=
          part.entry.origin.end()) {
        continue;  // a cycle: the run refuses it
      }
      auto local = repo_.GetResource(part.id);
      if (local.status().code() == StatusCode::kNotFound) {
        fresh[i] = part.entry.resource;
        fresh[i].category_id = category.id;
        fresh[i].read_only = true;
        fresh[i].origin = "{}";
        trial_of[i] = true;
        continue;
      }
      if (!local.ok()) return local.status();
      Json origin = ParseJsonOrDiscarded(local->origin);
      if (local->origin.empty() || !local->read_only || !origin.is_object() ||
          JsonString(origin, "serverId") != contents.source_server_id) {
        continue;  // a local project, a detached copy or another source's: the run reports it
      }
      trial_of[i] = true;
      // A copy that is already past this bundle: applying it would move heads back.
      ASSIGN_OR_RETURN(auto branches, repo_.ListBranches(part.id, {std::nullopt, std::nullopt, 100'000}));
      for (const auto& b : part.entry.branches) {
        if (!b.head) continue;
        auto here = std::find_if(branches.items.begin(), branches.items.end(),
                                 [&](const Branch& l) { return l.id == b.id; });
        if (here == branches.items.end() || !here->head || *here->head == *b.head) continue;
        if (repo_.GetCommit(part.id, *b.head).ok()) {
          stale.push_back("project '" + local->name + "' branch '" + b.name + "' is at " +
                          *here->head + " here, past the bundle's " + *b.head);
        }
      }
    }
    if (!missing.empty() || !stale.empty()) return Status::Ok();
    ASSIGN_OR_RETURN(trial, repo_.BeginImportTrial());
    for (size_t i = 0; i < contents.parts.size(); ++i) {
      if (!trial_of[i] || fresh[i].id.empty()) continue;
      ASSIGN_OR_RETURN(bool added, trial->AddResource(fresh[i]));
      trial_of[i] = added;
    }
    return Status::Ok();
  };
  visitor.on_resource = [&](const std::string& id) -> Status {
    RETURN_IF_ERROR(finish_pack());
    if (current >= contents.parts.size() || contents.parts[current].id != id) {
      return BadBundle("project " + id + " comes out of the manifest's order");
    }
    const BundlePart& part = contents.parts[current];
    check = std::make_unique<PackCheck>(part, trial && trial_of[current] ? trial.get() : nullptr);
    reader = std::make_unique<PackReader>(
        [c = check.get()](const Repository::ImportedCommit& in) { return (*c)(in); }, pack_limits_);
    ++current;
    return Status::Ok();
  };
  visitor.on_pack = [&](std::string_view bytes, uint64_t offset) -> Status {
    if (progress.cancel.cancelled()) return Status::Unavailable("the server is stopping; nothing was applied");
    contents.parts[current - 1].frames.emplace_back(offset, static_cast<uint32_t>(bytes.size()));
    return in_pack(reader->Feed(bytes));
  };
  RETURN_IF_ERROR(ScanBundle(in, limits_, visitor,
                             [&](uint64_t done) { progress.bytes_checked = done; }));
  RETURN_IF_ERROR(finish_pack());
  if (current != contents.parts.size()) {
    return BadBundle("the manifest lists " + std::to_string(contents.parts.size()) +
               " projects but the file holds " + std::to_string(current));
  }
  trial.reset();  // roll the trial back; the run below needs the writer
  if (!missing.empty()) {
    return Status::Conflict("the bundle builds on commits this server does not have — " +
                            Join(missing, "; ") +
                            ". Apply the earlier bundle first, or create this one again "
                            "with --since a state file exported here");
  }
  if (!stale.empty()) {
    return Status::Conflict("this bundle is older than the copies here: " + Join(stale, "; ") +
                            "; nothing was applied");
  }

  // Apply: the ordinary run, reading the checked file.
  RemoteConfigSpec spec;
  spec.name = kBundleOriginConfig;
  spec.source_url = kBundleOriginConfig;
  spec.target_category_id = category.id;
  for (const auto& p : contents.parts) spec.resources.push_back(p.id);
  BundleSyncSource source(path, contents);
  progress.applying = true;
  SyncRunner runner(repo_, clock_, kBundleOriginConfig, spec, Json::object(), progress.run);
  runner.set_pack_limits(pack_limits_);
  runner.set_copy_check(copy_check);
  return runner.Run(source, progress.cancel);
}

}  // namespace tandem
