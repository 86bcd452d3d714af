#include "testing/sync/fault_injecting_source.h"

#include <climits>
#include <thread>

#include "common/zstd_stream.h"

namespace tandem {

void SourceFaults::FailCalls(int first, int count) {
  std::lock_guard lock(mu_);
  fail_first_ = first;
  fail_count_ = count;
}
void SourceFaults::FailFromNowOn() {
  std::lock_guard lock(mu_);
  fail_first_ = calls_ + 1;
  fail_count_ = INT_MAX;
}
void SourceFaults::RefuseCredentialsFromNowOn() {
  std::lock_guard lock(mu_);
  refuse_credentials_ = true;
}
void SourceFaults::CutPackAfter(size_t bytes) {
  std::lock_guard lock(mu_);
  cut_after_ = bytes;
}
void SourceFaults::FlipPackByte(size_t offset) {
  std::lock_guard lock(mu_);
  flip_at_ = offset;
}
void SourceFaults::TamperPack(std::function<void(std::string&)> edit) {
  std::lock_guard lock(mu_);
  tamper_ = std::move(edit);
}
void SourceFaults::ThrottlePack(size_t bytes_per_second) {
  std::lock_guard lock(mu_);
  throttle_ = bytes_per_second;
}
void SourceFaults::StallPackAfter(size_t bytes, std::chrono::milliseconds stall_timeout) {
  std::lock_guard lock(mu_);
  stall_after_ = bytes;
  stall_timeout_ = stall_timeout;
}
void SourceFaults::EditCatalogue(std::function<void(Catalogue&)> edit) {
  std::lock_guard lock(mu_);
  edit_catalogue_ = std::move(edit);
}
void SourceFaults::FailFeed(bool fail) {
  std::lock_guard lock(mu_);
  fail_feed_ = fail;
}
void SourceFaults::ClearFaults() {
  std::lock_guard lock(mu_);
  fail_feed_ = false;
  fail_first_ = fail_count_ = 0;
  refuse_credentials_ = false;
  cut_after_.reset();
  flip_at_.reset();
  stall_after_.reset();
  throttle_ = 0;
  tamper_ = nullptr;
  edit_catalogue_ = nullptr;
  cv_.notify_all();
}
void SourceFaults::HoldCatalogue(bool hold) {
  std::lock_guard lock(mu_);
  hold_catalogue_ = hold;
  cv_.notify_all();
}
void SourceFaults::ReleaseCatalogue(int n) {
  std::lock_guard lock(mu_);
  catalogue_permits_ += n;
  cv_.notify_all();
}
bool SourceFaults::WaitCatalogueRequests(int n, std::chrono::seconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return catalogue_calls_ >= n; });
}
bool SourceFaults::WaitPackBytes(size_t bytes, std::chrono::seconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return pack_bytes_ >= bytes; });
}
int SourceFaults::calls() {
  std::lock_guard lock(mu_);
  return calls_;
}
int SourceFaults::catalogue_calls() {
  std::lock_guard lock(mu_);
  return catalogue_calls_;
}
int SourceFaults::pack_calls() {
  std::lock_guard lock(mu_);
  return pack_calls_;
}
int SourceFaults::feed_calls() {
  std::lock_guard lock(mu_);
  return feed_calls_;
}
std::vector<std::string> SourceFaults::last_have() {
  std::lock_guard lock(mu_);
  return last_have_;
}

Status SourceFaults::OnCall() {
  std::lock_guard lock(mu_);
  int n = ++calls_;
  if (refuse_credentials_) {
    return Status::Unauthenticated("connecting: the source refused the credentials (injected)");
  }
  if (n >= fail_first_ && n - fail_first_ < fail_count_) {
    return Status::Unavailable("cannot reach the source (injected: call " + std::to_string(n) + " failed)");
  }
  return Status::Ok();
}

Status SourceFaults::OnCatalogue(const Cancellation& cancel) {
  auto wake = cancel.OnCancel([this] {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  });
  std::unique_lock lock(mu_);
  ++catalogue_calls_;
  cv_.notify_all();
  cv_.wait(lock, [&] { return !hold_catalogue_ || catalogue_permits_ > 0 || cancel.cancelled(); });
  if (cancel.cancelled()) return Status::Unavailable("cancelled while the catalogue was held");
  if (hold_catalogue_) --catalogue_permits_;
  return Status::Ok();
}

bool SourceFaults::Sleep(std::chrono::microseconds d, const Cancellation& cancel) {
  auto wake = cancel.OnCancel([this] {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  });
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [&] { return cancel.cancelled(); });
  return !cancel.cancelled();
}

Result<SourceInfo> FaultInjectingSource::Info(const Cancellation& cancel) {
  RETURN_IF_ERROR(faults_.OnCall());
  return inner_->Info(cancel);
}

Result<Catalogue> FaultInjectingSource::FetchCatalogue(const CatalogueRequest& request,
                                                       const Cancellation& cancel) {
  RETURN_IF_ERROR(faults_.OnCall());
  RETURN_IF_ERROR(faults_.OnCatalogue(cancel));
  ASSIGN_OR_RETURN(Catalogue catalogue, inner_->FetchCatalogue(request, cancel));
  std::function<void(Catalogue&)> edit;
  {
    std::lock_guard lock(faults_.mu_);
    edit = faults_.edit_catalogue_;
  }
  if (edit) edit(catalogue);
  return catalogue;
}

Result<ChangePage> FaultInjectingSource::Changes(int64_t since, std::chrono::seconds wait,
                                                 const Cancellation& cancel) {
  {
    std::lock_guard lock(faults_.mu_);
    ++faults_.feed_calls_;
    if (faults_.fail_feed_) return Status::Unavailable("cannot reach the source's change feed (injected)");
  }
  return inner_->Changes(since, wait, cancel);
}

Status FaultInjectingSource::FetchPack(const PackRequest& request, const ByteSink& sink,
                                       const Cancellation& cancel) {
  RETURN_IF_ERROR(faults_.OnCall());
  std::optional<size_t> cut, flip, stall;
  std::chrono::milliseconds stall_timeout{0};
  size_t throttle = 0;
  std::function<void(std::string&)> tamper;
  {
    std::lock_guard lock(faults_.mu_);
    ++faults_.pack_calls_;
    faults_.last_have_ = request.have;
    cut = faults_.cut_after_;
    flip = faults_.flip_at_;
    stall = faults_.stall_after_;
    stall_timeout = faults_.stall_timeout_;
    throttle = faults_.throttle_;
    tamper = faults_.tamper_;
  }
  // The whole pack first, so faults can be placed exactly.
  std::string pack;
  RETURN_IF_ERROR(inner_->FetchPack(request, [&](std::string_view b) {
    pack.append(b);
    return true;
  }, cancel));
  if (tamper) {
    std::string text;
    ZstdDecompressor unzip([&](std::string_view b) { text.append(b); return true; }, 1ull << 32);
    if (unzip.Write(pack).ok()) {
      tamper(text);
      pack.clear();
      ZstdCompressor zip([&](std::string_view b) { pack.append(b); return true; });
      Status st = zip.Write(text);
      if (st.ok()) st = zip.Finish();
      if (!st.ok()) return st;
    }
  }
  if (flip && *flip < pack.size()) pack[*flip] = static_cast<char>(pack[*flip] ^ 0x01);
  bool cut_short = cut && *cut < pack.size();
  if (cut_short) pack.resize(*cut);
  // Delivered in chunks as a network would; a sink that stops reading ends it.
  const size_t chunk = throttle ? std::max<size_t>(1, std::min<size_t>(4096, throttle / 10)) : 4096;
  for (size_t pos = 0; pos < pack.size(); pos += chunk) {
    if (stall && pos >= *stall) {
      if (!faults_.Sleep(stall_timeout, cancel)) return Status::Unavailable("cancelled during a stall");
      return Status::Unavailable("the source stalled: nothing arrived for " +
                                 std::to_string(stall_timeout.count()) + " ms");
    }
    if (cancel.cancelled()) return Status::Unavailable("cancelled");
    std::string_view piece = std::string_view(pack).substr(pos, chunk);
    if (!sink(piece)) return Status::Ok();  // the reader stopped; it says why
    {
      std::lock_guard lock(faults_.mu_);
      faults_.pack_bytes_ += piece.size();
      faults_.cv_.notify_all();
    }
    if (throttle && !faults_.Sleep(std::chrono::microseconds(piece.size() * 1'000'000 / throttle), cancel)) {
      return Status::Unavailable("cancelled");
    }
  }
  if (cut_short) return Status::Unavailable("the connection to the source broke off (injected)");
  return Status::Ok();
}

}  // namespace tandem
