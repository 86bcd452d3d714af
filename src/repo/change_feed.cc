#include "repo/change_feed.h"

namespace tandem {

void ChangeFeed::Notify() {
  {
    std::lock_guard lock(mu_);
    ++generation_;
  }
  cv_.notify_all();
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
