#include "api/worker_pool.h"

namespace tandem {

WorkerPool::WorkerPool(size_t threads, size_t max_queued) : max_queued_(max_queued) {
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

WorkerPool::~WorkerPool() {
  {
    MutexLock lock(mu_);
    accepting_ = false;
    exiting_ = true;
  }
  work_.notify_all();
  for (auto& t : threads_) t.join();
}

bool WorkerPool::TrySubmit(std::function<void()> task) {
  {
    MutexLock lock(mu_);
    if (!accepting_ || queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(task));
  }
  work_.notify_one();
  return true;
}

bool WorkerPool::Shutdown(std::chrono::milliseconds grace) {
  MutexLock lock(mu_);
  accepting_ = false;
  return idle_.wait_for(lock.native(), grace,
                        [this]() REQUIRES(mu_) { return queue_.empty() && running_ == 0; });
}

void WorkerPool::Run() {
  MutexLock lock(mu_);
  while (true) {
    work_.wait(lock.native(), [this]() REQUIRES(mu_) { return exiting_ || !queue_.empty(); });
    // Queued work still runs when exiting: its connection waits for an answer.
    if (queue_.empty()) return;
    auto task = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.Unlock();
    task();
    task = nullptr;  // what it captured goes before the pool counts it done
    lock.Lock();
    --running_;
    if (queue_.empty() && running_ == 0) idle_.notify_all();
  }
}

}  // namespace tandem
