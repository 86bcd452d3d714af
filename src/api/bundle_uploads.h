// BundleUploads: synchronization bundles a target receives in pieces (a
// bundle may be far larger than server.max-body-bytes) and applies in the
// background, so a client follows a long apply by polling its status instead
// of holding one request open. Each upload is a file `<id>.part` in the
// upload directory, private to the user who created it (an administrator may
// list, see and end any); open uploads are bounded per user and in all, so
// one user cannot take every slot; its state goes
// receiving -> checking -> applying -> done | failed. Kept in memory: a
// restart forgets uploads and clears the directory. Thread-safe; the
// destructor stops running applies (whole commits stay) and waits for them.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <string>

#include "common/canonical_json.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "repo/repository.h"
#include "sync/bundle_applier.h"

namespace tandem {

// How many uploads may be open (receiving, checking or applying) at once.
struct UploadSlots {
  size_t per_user = 4;  // sync.max-open-uploads-per-user
  size_t total = 64;    // sync.max-open-uploads
};

// Who asks: the owner's user name, and whether an administrator (who may see
// and end other users' uploads).
struct UploadCaller {
  std::string user;
  bool admin = false;
};

class BundleUploads {
 public:
  // `dir` empty: uploads are not offered (NotImplemented).
  // Pieces are at most `piece_bytes` (within server.max-body-bytes).
  BundleUploads(std::string dir, BundleLimits limits, size_t piece_bytes, Repository& repo,
                Clock& clock, UploadSlots slots = {});
  ~BundleUploads();
  BundleUploads(const BundleUploads&) = delete;
  BundleUploads& operator=(const BundleUploads&) = delete;

  // A new upload; Unavailable when the owner has slots.per_user open, or all
  // users together slots.total.
  Result<Json> Create(const std::string& owner) EXCLUDES(mu_);
  // The caller's uploads (an administrator's: everyone's, each with its
  // "owner"), as Describe records, oldest first.
  Json List(const UploadCaller& caller) EXCLUDES(mu_);
  // Appends a piece at `offset`, which must equal the bytes received so far
  // (Conflict names it otherwise, so a client resumes after a broken
  // connection); TooLarge past the size limit.
  Result<Json> Append(const std::string& id, const std::string& owner, uint64_t offset,
                      const std::string& bytes) EXCLUDES(mu_);
  // The status record: id, received, state, and progress (checking,
  // applying), report (done) or error (failed: HTTP status and description).
  Result<Json> Describe(const std::string& id, const UploadCaller& caller) EXCLUDES(mu_);
  // Starts checking and applying the upload into `category` in the background;
  // `copy_check` decides which existing copies the bundle may change.
  Status StartApply(const std::string& id, const std::string& owner, const std::string& category,
                    SyncRunner::CopyCheck copy_check) EXCLUDES(mu_);
  // Waits until the apply has ended or `timeout` passed; then Describe(),
  // or the apply's own error when it failed.
  Result<Json> Wait(const std::string& id, const std::string& owner, std::chrono::seconds timeout)
      EXCLUDES(mu_);
  // Ends the upload: its file is removed; a running check or apply is
  // cancelled (between packs; each commit is stored whole or not at all) and
  // the upload goes once it has stopped. Conflict while a piece is written.
  Status Discard(const std::string& id, const UploadCaller& caller) EXCLUDES(mu_);
  // The server is stopping: running applies are cancelled (between packs;
  // each commit is stored whole or not at all), waiters return at once, and
  // no new apply starts. Idempotent.
  void Shutdown() EXCLUDES(mu_);

 private:
  struct Upload {
    std::string owner;
    uint64_t size = 0;
    int64_t touched = 0;
    bool busy = false;  // a piece is being written
    std::string state = "receiving";
    std::string category;
    std::shared_ptr<BundleProgress> progress;
    Json report;
    Status error;
    int64_t created = 0;
    bool discarded = false;  // ended while running: removed when it stops
  };
  std::string Path(const std::string& id) const;
  Result<Upload*> Find(const std::string& id, const UploadCaller& caller) REQUIRES(mu_);
  Json Record(const std::string& id, const Upload& u) const REQUIRES(mu_);
  void Prune(int64_t now) REQUIRES(mu_);
  void Run(std::string id, std::string path, std::string category,
           std::shared_ptr<BundleProgress> progress, SyncRunner::CopyCheck copy_check)
      EXCLUDES(mu_);

  std::string dir_;
  BundleLimits limits_;
  size_t piece_bytes_;
  UploadSlots slots_;
  Repository& repo_;
  Clock& clock_;
  Mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, Upload> uploads_ GUARDED_BY(mu_);
  int running_ GUARDED_BY(mu_) = 0;  // background applies; the destructor waits for 0
  bool stopping_ GUARDED_BY(mu_) = false;
};

}  // namespace tandem
