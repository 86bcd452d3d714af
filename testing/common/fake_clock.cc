#include "testing/common/fake_clock.h"

namespace tandem {

bool FakeClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                          int64_t deadline_micros, const std::function<bool()>& done) {
  {
    MutexLock g(mu_);
    waiters_.insert(&cv);
    waiters_changed_.notify_all();
  }
  bool result = false;
  while (true) {
    if (done()) {
      result = true;
      break;
    }
    if (now_.load() >= deadline_micros) break;
    cv.wait_for(lock, std::chrono::milliseconds(5));
  }
  MutexLock g(mu_);
  waiters_.erase(waiters_.find(&cv));
  waiters_changed_.notify_all();
  return result;
}

void FakeClock::Advance(std::chrono::microseconds d) {
  now_ += d.count();
  WakeAll();
}

void FakeClock::Set(int64_t micros) {
  now_ = micros;
  WakeAll();
}

void FakeClock::WakeAll() {
  MutexLock g(mu_);
  for (auto* cv : waiters_) cv->notify_all();
}

bool FakeClock::WaitForWaiters(size_t n, std::chrono::milliseconds timeout) {
  MutexLock g(mu_);
  return waiters_changed_.wait_for(g.native(), timeout,
                                   [&]() REQUIRES(mu_) { return waiters_.size() >= n; });
}

}  // namespace tandem
