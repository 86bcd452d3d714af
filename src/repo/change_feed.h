// ChangeFeed: lets readers of the event log wait for new events. Writers in
// this process call Notify() after committing; a waiter also re-reads the log
// periodically, so writes from another process (datamanager) are seen too.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace tandem {

class ChangeFeed {
 public:
  void Notify();
  // Waits until Notify() is called after `seen_generation` or `timeout` passes.
  // Returns the generation to pass next time.
  uint64_t WaitFor(uint64_t seen_generation, std::chrono::milliseconds timeout);
  uint64_t generation();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t generation_ = 0;
};

}  // namespace tandem
