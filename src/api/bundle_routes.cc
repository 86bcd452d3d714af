// Routes of synchronization bundles (docs/bundle-format.md, docs/api.md): the
// source side writes a bundle (POST /api/v1/bundles, streamed), the target
// exports what it holds (GET /api/v1/bundles/state), receives a bundle in
// pieces into its data directory (/api/v1/bundles/uploads; a bundle may be
// far larger than server.max-body-bytes, up to sync.max-bundle-bytes) and
// applies it (…/uploads/{id}/apply), which needs a sync-manager in scope of
// the target category or an admin.
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>

#include <spdlog/spdlog.h>

#include "api/api_server.h"
#include "api/route_helpers.h"
#include "common/ids.h"
#include "sync/bundle_applier.h"
#include "sync/bundle_creator.h"

namespace tandem {
namespace {

namespace fs = std::filesystem;

constexpr char kId[] = "([^/]+)";
constexpr size_t kMaxOpenUploads = 4;
constexpr int64_t kUploadIdleMicros = int64_t{24} * 3600 * 1'000'000;

// Bundles being received, each a file `<id>.part` in the upload directory.
// Kept in memory: a restart forgets them and clears the directory.
// Thread-safe.
class BundleUploads {
 public:
  BundleUploads(std::string dir, uint64_t max_bytes, Clock& clock)
      : dir_(std::move(dir)), max_bytes_(max_bytes), clock_(clock) {
    std::error_code ec;
    if (dir_.empty()) return;
    fs::remove_all(dir_, ec);  // pieces of uploads from before a restart
    fs::create_directories(dir_, ec);
    if (!ec) fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) spdlog::warn("bundle upload directory {}: {}", dir_, ec.message());
  }

  Result<std::string> Create(const std::string& owner) {
    if (dir_.empty()) return Status::NotImplemented("this server has no directory for bundle uploads");
    std::lock_guard lock(mu_);
    int64_t now = clock_.NowMicros();
    for (auto it = uploads_.begin(); it != uploads_.end();) {
      if (!it->second.busy && now - it->second.touched > kUploadIdleMicros) {
        Remove(it->first);
        it = uploads_.erase(it);
      } else {
        ++it;
      }
    }
    if (uploads_.size() >= kMaxOpenUploads) {
      return Status::Unavailable("already " + std::to_string(kMaxOpenUploads) +
                                 " bundle uploads open; apply or delete one first");
    }
    std::string id = NewUuid();
    std::ofstream(Path(id), std::ios::binary | std::ios::trunc);
    uploads_[id] = Upload{owner, 0, now, false};
    return id;
  }

  // Appends `bytes` at `offset`, which must be the size received so far (a
  // client resumes after an interruption by asking for that size).
  Result<uint64_t> Append(const std::string& id, const std::string& owner, uint64_t offset,
                          const std::string& bytes) {
    {
      std::lock_guard lock(mu_);
      ASSIGN_OR_RETURN(Upload * u, Find(id, owner));
      if (offset != u->size) {
        return Status::Conflict("upload " + id + " has " + std::to_string(u->size) +
                                " bytes; send the piece at offset " + std::to_string(u->size));
      }
      if (u->size + bytes.size() > max_bytes_) {
        return Status::TooLarge("the bundle is larger than this server accepts (" +
                                std::to_string(max_bytes_) + " bytes, sync.max-bundle-bytes)");
      }
      u->busy = true;
    }
    std::ofstream out(Path(id), std::ios::binary | std::ios::app);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    bool written = static_cast<bool>(out);
    std::lock_guard lock(mu_);
    Upload& u = uploads_[id];
    u.busy = false;
    u.touched = clock_.NowMicros();
    if (!written) {
      // The file may hold part of the piece: drop the upload rather than guess.
      Remove(id);
      uploads_.erase(id);
      return Status::IOError("cannot store the bundle piece (is the disk full?); start the upload again");
    }
    u.size += bytes.size();
    return u.size;
  }

  Result<uint64_t> Size(const std::string& id, const std::string& owner) {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Upload * u, Find(id, owner));
    return u->size;
  }

  // Hands the file over to the caller, who removes it when done.
  Result<std::string> Take(const std::string& id, const std::string& owner) {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Upload * u, Find(id, owner));
    if (u->busy) return Status::Conflict("upload " + id + " is still receiving a piece");
    uploads_.erase(id);
    return Path(id);
  }

  Status Discard(const std::string& id, const std::string& owner) {
    ASSIGN_OR_RETURN(std::string path, Take(id, owner));
    std::error_code ec;
    fs::remove(path, ec);
    return Status::Ok();
  }

 private:
  struct Upload {
    std::string owner;
    uint64_t size = 0;
    int64_t touched = 0;
    bool busy = false;
  };
  std::string Path(const std::string& id) const { return (fs::path(dir_) / (id + ".part")).string(); }
  void Remove(const std::string& id) {
    std::error_code ec;
    fs::remove(Path(id), ec);
  }
  Result<Upload*> Find(const std::string& id, const std::string& owner) {
    auto it = uploads_.find(id);
    // Another user's upload is reported as absent, not as someone else's.
    if (it == uploads_.end() || it->second.owner != owner) {
      return Status::NotFound("no bundle upload " + id + " (uploads end when applied, deleted, "
                              "idle for a day, or when the server restarts)");
    }
    return &it->second;
  }

  std::string dir_;
  uint64_t max_bytes_;
  Clock& clock_;
  std::mutex mu_;
  std::map<std::string, Upload> uploads_;
};

Result<std::map<std::string, std::vector<std::string>>> SinceOf(const Json& body) {
  std::map<std::string, std::vector<std::string>> out;
  auto it = body.find("since");
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_object()) {
    return Status::InvalidArgument("'since' must map resource ids to the commit ids the target holds");
  }
  // Same checks as a state file's resources.
  ASSIGN_OR_RETURN(Json since, SinceFromState({{"format", kBundleStateFormat}, {"resources", *it}}));
  for (const auto& [id, commits] : since.items()) {
    out[id] = commits.get<std::vector<std::string>>();
  }
  return out;
}

// A damaged or hostile bundle is the client's bad input, not a server fault.
Status AsClientError(const Status& st) {
  if (st.code() == StatusCode::kCorruption) return Status::InvalidArgument(st.message());
  return st;
}

}  // namespace

void RegisterBundleRoutes(ApiServer& api) {
  Repository& repo = api.repo();
  SourceService& source = api.source();
  Clock& clock = SystemClock::Instance();
  const ApiOptions& options = api.options();
  auto uploads = std::make_shared<BundleUploads>(options.bundle_dir, options.max_bundle_bytes, clock);
  const std::string base = "/api/v1/bundles";

  // Source side: like the /sync/v1 endpoints, any reader may take history out.
  api.Add(Method::kPost, base, Role::kReader, [&repo, &source, &clock](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(Json body, call.Body());
    if (!body.is_object()) return Status::InvalidArgument("bundle request must be an object");
    for (const auto& [key, value] : body.items()) {
      if (key != "resources" && key != "categories" && key != "since") {
        return Status::InvalidArgument("bundle request: unknown field '" + key + "'");
      }
    }
    BundleRequest request;
    ASSIGN_OR_RETURN(request.resources, IdArray(body, "resources"));
    ASSIGN_OR_RETURN(request.categories, IdArray(body, "categories"));
    ASSIGN_OR_RETURN(request.since, SinceOf(body));
    BundleCreator creator(repo, source, clock);
    ASSIGN_OR_RETURN(BundlePlan plan, creator.Plan(request));
    Reply reply;
    reply.content_type = kBundleContentType;
    reply.headers.emplace_back("Content-Disposition", "attachment; filename=\"tandem.bundle\"");
    reply.headers.emplace_back("X-Tandem-Bundle-Commits",
                               std::to_string(plan.manifest.value("commits", uint64_t{0})));
    reply.stream = [&repo, &source, &clock,
                    plan = std::move(plan)](const std::function<bool(std::string_view)>& write) {
      BundleCreator writer(repo, source, clock);
      return writer.Write(plan, write);
    };
    return reply;
  });
  api.Add(Method::kGet, base + "/state", Role::kReader, [&repo, &source, &clock](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(auto resources, CommitList(call, "resources"));
    BundleCreator creator(repo, source, clock);
    ASSIGN_OR_RETURN(Json state, creator.State(resources));
    return JsonReply(200, state);
  });

  // Target side.
  size_t chunk = std::min<size_t>(options.max_body_bytes, size_t{8} << 20);
  api.Add(Method::kPost, base + "/uploads", Role::kSyncManager,
          [uploads, chunk, &options](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, uploads->Create(call.who().user));
            return JsonReply(201, {{"id", id},
                                   {"received", 0},
                                   {"maxBytes", options.max_bundle_bytes},
                                   {"pieceBytes", chunk}});
          });
  api.Add(Method::kGet, base + "/uploads/" + kId, Role::kSyncManager,
          [uploads](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "uploadId"));
            ASSIGN_OR_RETURN(uint64_t size, uploads->Size(id, call.who().user));
            return JsonReply(200, {{"id", id}, {"received", size}});
          });
  api.Add(Method::kPut, base + "/uploads/" + kId, Role::kSyncManager,
          [uploads](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "uploadId"));
            auto offset_text = call.Query("offset");
            uint64_t offset = 0;
            if (!offset_text || offset_text->empty() ||
                offset_text->find_first_not_of("0123456789") != std::string::npos ||
                offset_text->size() > 15) {
              return Status::InvalidArgument("offset must be the number of bytes already sent");
            }
            offset = std::stoull(*offset_text);
            if (call.RawBody().empty()) return Status::InvalidArgument("the piece is empty");
            ASSIGN_OR_RETURN(uint64_t size, uploads->Append(id, call.who().user, offset, call.RawBody()));
            return JsonReply(200, {{"id", id}, {"received", size}});
          });
  api.Add(Method::kDelete, base + "/uploads/" + kId, Role::kSyncManager,
          [uploads](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "uploadId"));
            RETURN_IF_ERROR(uploads->Discard(id, call.who().user));
            return EmptyReply();
          });
  api.Add(Method::kPost, base + "/uploads/" + kId + "/apply", Role::kSyncManager,
          [uploads, &repo, &clock, &options](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "uploadId"));
            ASSIGN_OR_RETURN(auto category, call.QueryId("targetCategory"));
            if (!category) {
              return Status::InvalidArgument("targetCategory (the category to hold the copies) is required");
            }
            RETURN_IF_ERROR(CheckScope(repo, call.who(), *category));
            ASSIGN_OR_RETURN(std::string path, uploads->Take(id, call.who().user));
            BundleLimits limits;
            limits.max_bundle_bytes = options.max_bundle_bytes;
            BundleApplier applier(repo, clock, limits);
            RunProgress progress;
            auto report = applier.Apply(path, *category, progress);
            std::error_code ec;
            fs::remove(path, ec);
            if (!report.ok()) return AsClientError(report.status());
            spdlog::info("bundle applied by {}: {} commits, outcome {}", call.who().user,
                         report->commits, report->outcome);
            return JsonReply(200, RunReportToJson(*report));
          });
}

}  // namespace tandem
