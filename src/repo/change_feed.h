// ChangeFeed: lets readers of the event log wait for new events. Writers in
// this process call Notify() after committing; a waiter also re-reads the log
// periodically, so writes from another process (datamanager) are seen too.
// Waiting is either blocking (WaitFor) or by subscription: the HTTP engine
// parks long polls without a thread and is told of each new generation.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>

#include "common/mutex.h"

namespace tandem {

class ChangeFeed {
 public:
  void Notify();
  // Waits until Notify() is called after `seen_generation` or `timeout` passes.
  // Returns the generation to pass next time.
  uint64_t WaitFor(uint64_t seen_generation, std::chrono::milliseconds timeout);
  uint64_t generation();

  // Calls `listener` with the new generation after each Notify(), on the
  // notifying thread: it must be quick and must not call back into the feed.
  // Returns an id for Unsubscribe().
  uint64_t Subscribe(std::function<void(uint64_t generation)> listener);
  // After it returns, the listener is not running and will not run again.
  void Unsubscribe(uint64_t id);

 private:
  Mutex mu_;
  std::condition_variable cv_;
  uint64_t generation_ GUARDED_BY(mu_) = 0;
  Mutex listeners_mu_;  // held while listeners run, so Unsubscribe waits for them
  std::map<uint64_t, std::function<void(uint64_t)>> listeners_ GUARDED_BY(listeners_mu_);
  uint64_t next_listener_ GUARDED_BY(listeners_mu_) = 1;
};

}  // namespace tandem
