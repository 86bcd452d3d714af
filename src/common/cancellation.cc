#include "common/cancellation.h"

namespace tandem {

void Cancellation::Cancel() {
  MutexLock lock(mu_);
  if (cancelled_.exchange(true, std::memory_order_acq_rel)) return;
  for (auto& [id, fn] : callbacks_) fn();
}

Cancellation::Registration Cancellation::OnCancel(std::function<void()> on_cancel) const {
  MutexLock lock(mu_);
  if (cancelled_.load(std::memory_order_acquire)) {
    on_cancel();
    return Registration();
  }
  uint64_t id = next_id_++;
  callbacks_.emplace(id, std::move(on_cancel));
  return Registration(this, id);
}

Cancellation::Registration::~Registration() {
  if (!owner_) return;
  MutexLock lock(owner_->mu_);
  owner_->callbacks_.erase(id_);
}

const Cancellation& Cancellation::Never() {
  static Cancellation never;
  return never;
}

}  // namespace tandem
