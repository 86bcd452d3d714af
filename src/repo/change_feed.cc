#include "repo/change_feed.h"

namespace tandem {

void ChangeFeed::Notify() {
  uint64_t generation;
  {
    MutexLock lock(mu_);
    generation = ++generation_;
  }
  cv_.notify_all();
  MutexLock lock(listeners_mu_);
  for (const auto& [id, listener] : listeners_) listener(generation);
}

uint64_t ChangeFeed::Subscribe(std::function<void(uint64_t)> listener) {
  MutexLock lock(listeners_mu_);
  uint64_t id = next_listener_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void ChangeFeed::Unsubscribe(uint64_t id) {
  MutexLock lock(listeners_mu_);
  listeners_.erase(id);
}

uint64_t ChangeFeed::WaitFor(uint64_t seen, std::chrono::milliseconds timeout) {
  MutexLock lock(mu_);
  cv_.wait_for(lock.native(), timeout, [&]() REQUIRES(mu_) { return generation_ != seen; });
  return generation_;
}

uint64_t ChangeFeed::generation() {
  MutexLock lock(mu_);
  return generation_;
}

}  // namespace tandem
