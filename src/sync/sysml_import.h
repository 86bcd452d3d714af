// ImportService: imports a project with its whole history from another
// server's standard SysML v2 API — the OMG pilot implementation, another
// Tandem's /sysml/v2, any server that implements the API's GETs — behind
// `POST /api/v1/imports` and `tandem import`.
//
// A run reads the project, its branches, tags and commits, orders the commits
// parents first, and for each commit not yet here reads its change set
// (GET …/commits/{c}/changes) and stores it with the source's ids through
// Repository::ImportForeignCommit, one transaction per commit. It then
// compares the state at every branch head and tagged commit with the source's
// elements there, and only then points the copy's branches and tags at them
// (Repository::MirrorRefs). The copy is read-only and its origin names the
// source URL and project; importing the same project again adds only what is
// new. A copy made writable here is not imported into again.
//
// What the source sends is outside input: every answer is limited while it
// arrives (sync.max-answer-bytes), ids must be UUIDs, listings are bounded,
// page links must stay on the source's origin and API (the password goes
// only there), parents must be listed and form no cycle, and elements pass
// the rules of a commit here; a refusal fails the import naming the record.
//
// Runs are jobs whose status (state, phase, counts) lives in memory; at most
// options.max_running run at once and the newest options.kept_jobs are kept.
// Cancel ends a run within one read of the source. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/canonical_json.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "common/status.h"
#include "repo/repository.h"
#include "sync/http_sync_source.h"

namespace tandem {

struct ImportSource {
  // The base of the SysML v2 API: "https://host:8443/sysml/v2" for a Tandem,
  // "http://host:9000" for the pilot implementation.
  std::string url;
  std::string project_id;
  std::string username;  // empty: no authentication
  std::string password;  // never logged, never in a status
  // Compare the state at each branch head and tagged commit with the source's
  // elements there before pointing refs at it.
  bool verify = true;
};

struct ImportServiceOptions {
  SyncClientOptions client;                // TLS, time-outs and the answer limit of sync runs
  size_t max_commits = 1'000'000;          // per project
  size_t max_refs = 100'000;               // branches, and tags, per project
  size_t page_size = 500;                  // page[size] asked for (the source may answer fewer)
  size_t max_verify_elements = 5'000'000;  // per compared commit
  size_t max_running = 2;
  size_t kept_jobs = 100;
};

class ImportService {
 public:
  ImportService(Repository& repo, Clock& clock, ImportServiceOptions options = {});
  ~ImportService();
  ImportService(const ImportService&) = delete;
  ImportService& operator=(const ImportService&) = delete;

  // Starts an import and answers its status. InvalidArgument for a bad URL or
  // id, NotFound for an unknown category, Conflict while the same project is
  // being imported, Unavailable when options.max_running imports run.
  Result<Json> Start(const ImportSource& source, const std::string& target_category_id,
                     const std::string& started_by);
  Result<Json> Get(const std::string& id) const;
  std::vector<Json> List() const;  // newest first
  // Cancels a running import (no-op for a finished one) and answers its status.
  Result<Json> Cancel(const std::string& id);
  // Waits until the import is no longer running or `timeout` passes; its status.
  Result<Json> Wait(const std::string& id, std::chrono::milliseconds timeout);
  // Cancels every run and waits for them (server shutdown). Start refuses after it.
  void Stop();

  // Parses "http[s]://host[:port][/path]" into the origin and the API path
  // ("" or "/sysml/v2", no trailing slash).
  struct ApiBase {
    ServerUrl origin;
    std::string path;
  };
  static Result<ApiBase> ParseApiBase(const std::string& url);

 private:
  struct Job;
  void Run(Job& job);
  Json StatusOf(const Job& job) const REQUIRES(mu_);

  Repository& repo_;
  Clock& clock_;
  ImportServiceOptions options_;
  mutable Mutex mu_;
  std::condition_variable ended_;
  bool stopped_ GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<Job>> jobs_ GUARDED_BY(mu_);  // oldest first
};

}  // namespace tandem
