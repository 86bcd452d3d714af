#include "api/bundle_uploads.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "api/api_server.h"
#include "common/ids.h"

namespace tandem {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxFinishedKept = 32;   // done or failed, kept for their status
constexpr int64_t kIdleMicros = int64_t{24} * 3600 * 1'000'000;

bool Finished(const std::string& state) { return state == "done" || state == "failed"; }

}  // namespace

BundleUploads::BundleUploads(std::string dir, BundleLimits limits, size_t piece_bytes,
                             Repository& repo, Clock& clock, UploadSlots slots)
    : dir_(std::move(dir)),
      limits_(limits),
      piece_bytes_(piece_bytes),
      slots_(slots),
      repo_(repo),
      clock_(clock) {
  if (dir_.empty()) return;
  std::error_code ec;
  fs::remove_all(dir_, ec);  // pieces of uploads from before a restart
  fs::create_directories(dir_, ec);
  if (!ec) fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) spdlog::warn("bundle upload directory {}: {}", dir_, ec.message());
}

BundleUploads::~BundleUploads() {
  Shutdown();
  MutexLock lock(mu_);
  changed_.wait(lock.native(), [this]() REQUIRES(mu_) { return running_ == 0; });
}

void BundleUploads::Shutdown() {
  MutexLock lock(mu_);
  stopping_ = true;
  for (auto& [id, u] : uploads_) {
    if (u.progress) u.progress->cancel.Cancel();  // applies stop between packs
  }
  changed_.notify_all();  // and nobody waits for them any longer
}

std::string BundleUploads::Path(const std::string& id) const {
  return (fs::path(dir_) / (id + ".part")).string();
}

Result<BundleUploads::Upload*> BundleUploads::Find(const std::string& id,
                                                   const UploadCaller& caller) {
  auto it = uploads_.find(id);
  // Another user's upload is reported as absent, not as someone else's.
  if (it == uploads_.end() || it->second.discarded ||
      (it->second.owner != caller.user && !caller.admin)) {
    return Status::NotFound("no bundle upload " + id + " (uploads end when deleted, a day after "
                            "their last activity, or when the server restarts)");
  }
  return &it->second;
}

Json BundleUploads::Record(const std::string& id, const Upload& u) const {
  // "checking" becomes "applying" as soon as every check has passed.
  std::string state = u.state;
  if (state == "checking" && u.progress && u.progress->applying) state = "applying";
  Json out = {{"id", id}, {"received", u.size}, {"state", state}};
  if (!u.category.empty()) out["targetCategoryId"] = u.category;
  if (u.progress && !Finished(u.state)) {
    const BundleProgress& p = *u.progress;
    out["progress"] = {{"bytesTotal", p.bytes_total.load()},
                       {"bytesChecked", p.bytes_checked.load()},
                       {"resourcesTotal", p.run.resources_total.load()},
                       {"resourcesDone", p.run.resources_done.load()},
                       {"commitsTotal", p.run.commits_total.load()},
                       {"commitsDone", p.run.commits_done.load()}};
  }
  if (u.state == "done") out["report"] = u.report;
  if (u.state == "failed") {
    out["error"] = {{"status", HttpStatusFor(u.error)}, {"description", u.error.message()}};
  }
  return out;
}

void BundleUploads::Prune(int64_t now) {
  size_t finished = 0;
  for (const auto& [id, u] : uploads_) finished += Finished(u.state) ? 1 : 0;
  for (auto it = uploads_.begin(); it != uploads_.end();) {
    const Upload& u = it->second;
    bool idle = now - u.touched > kIdleMicros;
    bool removable = Finished(u.state) || (u.state == "receiving" && !u.busy);
    if (removable && (idle || (Finished(u.state) && finished > kMaxFinishedKept))) {
      if (Finished(u.state)) --finished;
      std::error_code ec;
      fs::remove(Path(it->first), ec);
      it = uploads_.erase(it);
    } else {
      ++it;
    }
  }
}

Result<Json> BundleUploads::Create(const std::string& owner) {
  if (dir_.empty()) return Status::NotImplemented("this server takes no bundle uploads");
  MutexLock lock(mu_);
  int64_t now = clock_.NowMicros();
  Prune(now);
  size_t open = 0, own = 0;
  for (const auto& [id, u] : uploads_) {
    if (Finished(u.state)) continue;
    ++open;
    own += u.owner == owner ? 1 : 0;
  }
  if (own >= slots_.per_user) {
    return Status::Unavailable("you already have " + std::to_string(own) +
                               " bundle uploads open (sync.max-open-uploads-per-user); apply or "
                               "delete one of them first");
  }
  if (open >= slots_.total) {
    return Status::Unavailable("the server already has " + std::to_string(open) +
                               " bundle uploads open (sync.max-open-uploads); try again when one "
                               "has ended, or ask an administrator to end idle ones");
  }
  std::string id = NewUuid();
  std::ofstream created(Path(id), std::ios::binary | std::ios::trunc);
  if (!created) return Status::IOError("cannot create a file in " + dir_);
  Upload& u = uploads_[id];
  u.owner = owner;
  u.touched = now;
  u.created = now;
  Json out = Record(id, u);
  out["maxBytes"] = limits_.max_bundle_bytes;
  out["pieceBytes"] = piece_bytes_;
  return out;
}

Result<Json> BundleUploads::Append(const std::string& id, const std::string& owner,
                                   uint64_t offset, const std::string& bytes) {
  {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(Upload * u, Find(id, UploadCaller{owner}));
    if (u->state != "receiving") {
      return Status::Conflict("upload " + id + " is " + u->state + "; it takes no more pieces");
    }
    if (u->busy) return Status::Conflict("upload " + id + " is receiving another piece");
    if (offset != u->size) {
      return Status::Conflict("upload " + id + " has " + std::to_string(u->size) +
                              " bytes; send the piece at offset " + std::to_string(u->size));
    }
    if (bytes.size() > piece_bytes_) {
      return Status::TooLarge("pieces are at most " + std::to_string(piece_bytes_) + " bytes");
    }
    if (u->size + bytes.size() > limits_.max_bundle_bytes) {
      return Status::TooLarge("the bundle is larger than this server accepts (" +
                              std::to_string(limits_.max_bundle_bytes) +
                              " bytes, sync.max-bundle-bytes)");
    }
    u->busy = true;
  }
  std::ofstream out(Path(id), std::ios::binary | std::ios::app);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.flush();
  bool written = static_cast<bool>(out);
  MutexLock lock(mu_);
  Upload& u = uploads_[id];  // busy: nothing removed it meanwhile
  u.busy = false;
  u.touched = clock_.NowMicros();
  if (!written) {
    // The file may hold part of the piece: drop the upload rather than guess.
    std::error_code ec;
    fs::remove(Path(id), ec);
    uploads_.erase(id);
    return Status::IOError("cannot store the bundle piece (is the disk full?); start the upload again");
  }
  u.size += bytes.size();
  return Record(id, u);
}

Result<Json> BundleUploads::Describe(const std::string& id, const UploadCaller& caller) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(Upload * u, Find(id, caller));
  Json out = Record(id, *u);
  if (caller.admin) out["owner"] = u->owner;
  return out;
}

Json BundleUploads::List(const UploadCaller& caller) {
  MutexLock lock(mu_);
  std::vector<std::pair<int64_t, std::string>> order;
  for (const auto& [id, u] : uploads_) {
    if (u.discarded || (u.owner != caller.user && !caller.admin)) continue;
    order.emplace_back(u.created, id);
  }
  std::sort(order.begin(), order.end());
  Json out = Json::array();
  for (const auto& [created, id] : order) {
    const Upload& u = uploads_.at(id);
    Json record = Record(id, u);
    if (caller.admin) record["owner"] = u.owner;
    out.push_back(std::move(record));
  }
  return out;
}

Status BundleUploads::StartApply(const std::string& id, const std::string& owner,
                                 const std::string& category, SyncRunner::CopyCheck copy_check) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(Upload * u, Find(id, UploadCaller{owner}));
  if (u->state != "receiving" || u->busy) {
    return Status::Conflict("upload " + id + " is " + (u->busy ? "receiving a piece" : u->state) +
                            "; it can be applied once, after its last piece");
  }
  if (stopping_) return Status::Unavailable("the server is stopping; apply the bundle after it restarts");
  u->state = "checking";
  u->category = category;
  u->progress = std::make_shared<BundleProgress>();
  u->progress->bytes_total = u->size;
  u->touched = clock_.NowMicros();
  try {
    std::thread(&BundleUploads::Run, this, id, Path(id), category, u->progress,
                std::move(copy_check))
        .detach();
  } catch (const std::system_error& e) {
    u->state = "receiving";  // nothing started: the client may try again
    return Status::Unavailable(std::string("cannot start applying the bundle: ") + e.what());
  }
  ++running_;  // mu_ is held: the thread cannot finish before this
  return Status::Ok();
}

void BundleUploads::Run(std::string id, std::string path, std::string category,
                        std::shared_ptr<BundleProgress> progress, SyncRunner::CopyCheck copy_check) {
  BundleApplier applier(repo_, clock_, limits_);
  Result<RunReport> report = Status::Unavailable("not applied");
  try {
    report = applier.Apply(path, category, *progress, copy_check);
  } catch (const std::exception& e) {
    // The bundle readers turn bad input into Status; this is the last line, so
    // that a defect fails one apply and does not end the server (this thread
    // has no other handler).
    spdlog::error("bundle upload {} stopped by an unexpected error: {}", id, e.what());
    report = Status::Unavailable("the bundle could not be applied (unexpected error; the server log has the details)");
  }
  std::error_code ec;
  fs::remove(path, ec);
  MutexLock lock(mu_);
  auto it = uploads_.find(id);
  if (it != uploads_.end() && it->second.discarded) {
    spdlog::info("bundle upload {} of {} ended by request", id, it->second.owner);
    uploads_.erase(it);
  } else if (it != uploads_.end()) {
    Upload& u = it->second;
    u.touched = clock_.NowMicros();
    if (report.ok()) {
      u.state = "done";
      u.report = RunReportToJson(*report);
      spdlog::info("bundle upload {} applied by {}: {} commits, outcome {}", id, u.owner,
                   report->commits, report->outcome);
    } else {
      // A damaged or hostile file is the client's bad input, not a server fault.
      Status st = report.status();
      if (st.code() == StatusCode::kCorruption) st = Status::InvalidArgument(st.message());
      u.state = "failed";
      u.error = st;
      spdlog::warn("bundle upload {} refused: {}", id, st.ToString());
    }
  }
  --running_;
  changed_.notify_all();
}

Result<Json> BundleUploads::Wait(const std::string& id, const std::string& owner,
                                 std::chrono::seconds timeout) {
  MutexLock lock(mu_);
  changed_.wait_for(lock.native(), timeout, [&]() REQUIRES(mu_) {
    if (stopping_) return true;
    auto it = uploads_.find(id);
    return it == uploads_.end() || it->second.discarded || Finished(it->second.state);
  });
  ASSIGN_OR_RETURN(Upload * u, Find(id, UploadCaller{owner}));
  if (u->state == "failed") return u->error;
  return Record(id, *u);
}

Status BundleUploads::Discard(const std::string& id, const UploadCaller& caller) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(Upload * u, Find(id, caller));
  if (u->busy) return Status::Conflict("upload " + id + " is receiving a piece; delete it after");
  if (u->owner != caller.user) {
    spdlog::info("bundle upload {} of {} ended by administrator {}", id, u->owner, caller.user);
  }
  if (u->state == "checking") {
    // The apply thread owns the file until it stops; it removes the upload then.
    u->discarded = true;
    if (u->progress) u->progress->cancel.Cancel();
    changed_.notify_all();
    return Status::Ok();
  }
  std::error_code ec;
  fs::remove(Path(id), ec);
  uploads_.erase(id);
  return Status::Ok();
}

}  // namespace tandem
