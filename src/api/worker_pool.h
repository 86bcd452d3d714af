// WorkerPool: a fixed number of threads running request handlers, apart from
// the HTTP engine's I/O threads, with a bounded queue: TrySubmit() refuses work
// when the queue is full instead of letting it grow, so the engine can answer
// 503 at once. Shutdown() stops taking work and waits, within a bound, for
// what is queued or running; the threads are joined by the destructor.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "common/mutex.h"

namespace tandem {

class WorkerPool {
 public:
  WorkerPool(size_t threads, size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false (and `task` is dropped) when the queue holds
  // max_queued tasks already or the pool is shutting down.
  bool TrySubmit(std::function<void()> task) EXCLUDES(mu_);
  // Refuses further tasks and waits up to `grace` for the queued and running
  // ones to finish; true if they all did.
  bool Shutdown(std::chrono::milliseconds grace) EXCLUDES(mu_);

  size_t threads() const { return threads_.size(); }
  size_t max_queued() const { return max_queued_; }

 private:
  void Run() EXCLUDES(mu_);

  const size_t max_queued_;
  Mutex mu_;
  std::condition_variable work_;  // a task was queued, or stopping
  std::condition_variable idle_;  // a task finished
  std::deque<std::function<void()>> queue_ GUARDED_BY(mu_);
  size_t running_ GUARDED_BY(mu_) = 0;
  bool accepting_ GUARDED_BY(mu_) = true;
  bool exiting_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;  // made by the constructor, joined by the destructor
};

}  // namespace tandem
