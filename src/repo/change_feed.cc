#include "repo/change_feed.h"

namespace tandem {

void ChangeFeed::Notify() {
  uint64_t generation;
  {
    std::lock_guard lock(mu_);
    generation = ++generation_;
  }
  cv_.notify_all();
  std::lock_guard lock(listeners_mu_);
  for (const auto& [id, listener] : listeners_) listener(generation);
}

uint64_t ChangeFeed::Subscribe(std::function<void(uint64_t)> listener) {
  std::lock_guard lock(listeners_mu_);
  uint64_t id = next_listener_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void ChangeFeed::Unsubscribe(uint64_t id) {
  std::lock_guard lock(listeners_mu_);
  listeners_.erase(id);
}

uint64_t ChangeFeed::WaitFor(uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return generation_ != seen; });
  return generation_;
}

uint64_t ChangeFeed::generation() {
  std::lock_guard lock(mu_);
  return generation_;
}

}  // namespace tandem
