// ImportPipeline: the target's import of one pack stream, on a thread of its
// own. The stream's reader (PackReader, on the thread that receives the
// bytes) pushes each parsed commit; the pipeline's thread takes everything
// queued so far and imports it with Repository::ImportCommits in one write
// transaction (group commit). So the store's writer is held only while whole,
// received commits are verified and stored — never while bytes are awaited —;
// a fast stream gets large transactions (one log write and one fsync per
// batch instead of per commit) and a slow one a transaction per commit, as
// before; and receiving, decompressing and parsing run beside verifying and
// storing. Memory is bounded: Push waits while `max_queued_bytes` are queued.
//
// Push is called from one thread; Close and commits_imported from any.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "common/cancellation.h"
#include "common/mutex.h"
#include "repo/repository.h"

namespace tandem {

struct ImportPipelineLimits {
  uint64_t max_queued_bytes = 8ull << 20;  // received, not yet imported (element texts)
  uint64_t max_batch_bytes = 8ull << 20;   // per write transaction (one commit may exceed it)
  size_t max_batch_commits = 1000;         // per write transaction
};

class ImportPipeline {
 public:
  // `on_imported(n)` runs on the pipeline's thread after each stored batch.
  ImportPipeline(Repository& repo, std::string resource_id, const Cancellation& cancel,
                 std::function<void(uint64_t)> on_imported = {}, ImportPipelineLimits limits = {});
  ~ImportPipeline();
  ImportPipeline(const ImportPipeline&) = delete;
  ImportPipeline& operator=(const ImportPipeline&) = delete;

  // Queues one commit, waiting while the queue is full. Returns the import's
  // first refusal (the caller stops reading the stream), or Unavailable once
  // the run is cancelled.
  Status Push(Repository::ImportedCommit commit) EXCLUDES(mu_);
  // Imports what is still queued (not after a cancel: those commits are
  // simply not stored, and the next run asks for them again), ends the thread
  // and returns the import's first refusal. Idempotent.
  Status Close() EXCLUDES(mu_);
  uint64_t commits_imported() const EXCLUDES(mu_);

 private:
  void Run() EXCLUDES(mu_);

  Repository& repo_;
  const std::string resource_id_;
  const Cancellation& cancel_;
  const std::function<void(uint64_t)> on_imported_;
  const ImportPipelineLimits limits_;

  mutable Mutex mu_;
  std::condition_variable work_;   // queue_ grew, closed_ or cancelled
  std::condition_variable space_;  // queue_ shrank, error_ or cancelled
  // Each commit with its bytes.
  std::deque<std::pair<Repository::ImportedCommit, uint64_t>> queue_ GUARDED_BY(mu_);
  uint64_t queued_bytes_ GUARDED_BY(mu_) = 0;
  uint64_t imported_ GUARDED_BY(mu_) = 0;
  bool closed_ GUARDED_BY(mu_) = false;
  Status error_ GUARDED_BY(mu_);
  std::optional<Cancellation::Registration> on_cancel_;
  std::thread thread_;
};

}  // namespace tandem
