#include "sync/import_pipeline.h"

#include <utility>
#include <vector>

namespace tandem {
namespace {

// What a queued commit holds, roughly: its element texts and change list.
uint64_t SizeOf(const Repository::ImportedCommit& c) {
  uint64_t bytes = 256 + c.changes.size() * 128;
  for (const auto& [hash, text] : c.versions) bytes += text.size() + 64;
  return bytes;
}

Status Stopped() {
  return Status::Unavailable("the run was stopped; the next run resumes after the last whole commit");
}

}  // namespace

ImportPipeline::ImportPipeline(Repository& repo, std::string resource_id, const Cancellation& cancel,
                               std::function<void(uint64_t)> on_imported,
                               ImportPipelineLimits limits)
    : repo_(repo),
      resource_id_(std::move(resource_id)),
      cancel_(cancel),
      on_imported_(std::move(on_imported)),
      limits_(limits) {
  on_cancel_.emplace(cancel_.OnCancel([this] {
    MutexLock lock(mu_);
    work_.notify_all();
    space_.notify_all();
  }));
  thread_ = std::thread([this] { Run(); });
}

// A caller that wants the import's verdict calls Close() itself; this one
// only makes sure the thread has ended.
ImportPipeline::~ImportPipeline() { (void)Close(); }

Status ImportPipeline::Push(Repository::ImportedCommit commit) {
  uint64_t bytes = SizeOf(commit);
  MutexLock lock(mu_);
  // One commit larger than the bound still goes in alone, when the queue is empty.
  space_.wait(lock.native(), [&]() REQUIRES(mu_) {
    return !error_.ok() || closed_ || cancel_.cancelled() || queue_.empty() ||
           queued_bytes_ + bytes <= limits_.max_queued_bytes;
  });
  if (!error_.ok()) return error_;
  if (cancel_.cancelled()) return Stopped();
  if (closed_) return Status::Unavailable("the import of this stream has ended");
  queue_.emplace_back(std::move(commit), bytes);
  queued_bytes_ += bytes;
  work_.notify_one();
  return Status::Ok();
}

Status ImportPipeline::Close() {
  {
    MutexLock lock(mu_);
    closed_ = true;
    work_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  on_cancel_.reset();
  MutexLock lock(mu_);
  return error_;
}

uint64_t ImportPipeline::commits_imported() const {
  MutexLock lock(mu_);
  return imported_;
}

void ImportPipeline::Run() {
  while (true) {
    std::vector<Repository::ImportedCommit> batch;
    {
      MutexLock lock(mu_);
      work_.wait(lock.native(),
                 [&]() REQUIRES(mu_) { return !queue_.empty() || closed_ || cancel_.cancelled(); });
      if (cancel_.cancelled() || queue_.empty()) return;  // stopped, or closed and drained
      uint64_t batch_bytes = 0;
      while (!queue_.empty() && batch.size() < limits_.max_batch_commits &&
             (batch.empty() || batch_bytes + queue_.front().second <= limits_.max_batch_bytes)) {
        batch_bytes += queue_.front().second;
        queued_bytes_ -= queue_.front().second;
        batch.push_back(std::move(queue_.front().first));
        queue_.pop_front();
      }
      space_.notify_all();
    }
    Repository::BatchImport result = repo_.ImportCommits(resource_id_, batch);
    {
      MutexLock lock(mu_);
      imported_ += result.imported;
      if (!result.status.ok()) {
        error_ = result.status;
        queue_.clear();
        queued_bytes_ = 0;
        space_.notify_all();
      }
    }
    if (result.imported > 0 && on_imported_) on_imported_(result.imported);
    if (!result.status.ok()) return;
  }
}

}  // namespace tandem
