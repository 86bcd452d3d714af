// Cancellation: a token that long work checks and that whoever owns the work
// sets. A sync run carries one; its owner (the engine's worker) cancels it on
// DELETE, PATCH or shutdown. Checking `cancelled()` between steps stops work
// at the next boundary; work blocked in a system call (a socket read) is
// ended by a callback registered with OnCancel (the HTTP client shuts its
// socket down), so cancellation takes effect within one read, not one
// time-out. Cancel() is idempotent. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>

#include "common/mutex.h"

namespace tandem {

class Cancellation {
 public:
  Cancellation() = default;
  Cancellation(const Cancellation&) = delete;
  Cancellation& operator=(const Cancellation&) = delete;

  // Sets the token and runs every registered callback once (on this thread).
  void Cancel();
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }

  // While it lives, `on_cancel` runs when the token is cancelled (at once,
  // on this thread, if it already is). Its destructor unregisters and waits
  // for a callback that is running, so what the callback touches may be
  // destroyed right after it.
  class Registration {
   public:
    Registration() = default;
    Registration(Registration&& o) noexcept : owner_(o.owner_), id_(o.id_) { o.owner_ = nullptr; }
    Registration& operator=(Registration&&) = delete;
    Registration(const Registration&) = delete;
    ~Registration();

   private:
    friend class Cancellation;
    Registration(const Cancellation* owner, uint64_t id) : owner_(owner), id_(id) {}
    const Cancellation* owner_ = nullptr;
    uint64_t id_ = 0;
  };
  // Const: observing a token does not change it, and holders of a const
  // reference (the code doing the work) are the ones that register.
  [[nodiscard]] Registration OnCancel(std::function<void()> on_cancel) const;

  // A token that is never cancelled, for calls that cannot be stopped.
  static const Cancellation& Never();

 private:
  std::atomic<bool> cancelled_{false};
  mutable Mutex mu_;  // held while the callbacks run
  mutable uint64_t next_id_ GUARDED_BY(mu_) = 1;
  mutable std::map<uint64_t, std::function<void()>> callbacks_ GUARDED_BY(mu_);
};

}  // namespace tandem
