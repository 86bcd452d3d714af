// FaultInjectingSource: a SyncSource wrapper that misbehaves as a network or a
// hostile source would, on a plan (SourceFaults) that a test sets and may
// change while runs are going on — like RocksDB's FaultInjectionTestFS:
//
// - calls first..first+count-1 (numbered from 1 across every source sharing
//   the plan) fail as if the source could not be reached;
// - a pack stream breaks off after N bytes, has one bit flipped, or has its
//   NDJSON edited (re-compressed) before it is delivered;
// - a pack stream is throttled to B bytes per second (in real time), or
//   stalls after N bytes until the run is cancelled or `stall_timeout`
//   passes (then fails as the HTTP client's idle time-out would);
// - catalogue requests wait at a gate until the test releases them, and
//   catalogue answers can be edited (entries added, fields changed);
// Every wait ends at once when the call's Cancellation fires. The plan also
// counts what the source saw. Test-only; thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sync/sync_source.h"

namespace tandem {

class SourceFaults {
 public:
  void FailCalls(int first, int count = 1);
  void FailFromNowOn();
  // Every call from now on is refused as a source refuses wrong credentials.
  void RefuseCredentialsFromNowOn();
  void CutPackAfter(size_t bytes);
  void FlipPackByte(size_t offset);
  void TamperPack(std::function<void(std::string&)> edit);
  void ThrottlePack(size_t bytes_per_second);
  void StallPackAfter(size_t bytes, std::chrono::milliseconds stall_timeout = std::chrono::hours(1));
  // Every catalogue answer is edited before it is delivered (a hostile source).
  void EditCatalogue(std::function<void(Catalogue&)> edit);
  // The change feed fails (as if unreachable) while set.
  void FailFeed(bool fail);
  void ClearFaults();

  // While held, each catalogue request waits for a ReleaseCatalogue.
  void HoldCatalogue(bool hold);
  void ReleaseCatalogue(int n = 1);
  // Waits (real time) until `n` catalogue requests have arrived, held or not.
  bool WaitCatalogueRequests(int n, std::chrono::seconds timeout = std::chrono::seconds(10));
  // Waits until a pack stream has delivered at least `bytes` in total.
  bool WaitPackBytes(size_t bytes, std::chrono::seconds timeout = std::chrono::seconds(10));

  int calls();
  int catalogue_calls();
  int pack_calls();
  int feed_calls();  // change-feed requests (not in calls(): the feed has its own faults)
  std::vector<std::string> last_have();

 private:
  friend class FaultInjectingSource;
  // Counts a call; Unavailable when the plan fails it.
  Status OnCall();
  // Waits at the catalogue gate; Unavailable when cancelled there.
  Status OnCatalogue(const Cancellation& cancel);
  // Sleeps `d` unless cancelled first; false when cancelled.
  bool Sleep(std::chrono::microseconds d, const Cancellation& cancel);

  std::mutex mu_;
  std::condition_variable cv_;
  int calls_ = 0, catalogue_calls_ = 0, pack_calls_ = 0, feed_calls_ = 0;
  size_t pack_bytes_ = 0;
  std::vector<std::string> last_have_;
  int fail_first_ = 0, fail_count_ = 0;
  bool refuse_credentials_ = false;
  std::optional<size_t> cut_after_, flip_at_, stall_after_;
  std::chrono::milliseconds stall_timeout_{0};
  size_t throttle_ = 0;
  std::function<void(std::string&)> tamper_;
  std::function<void(Catalogue&)> edit_catalogue_;
  bool fail_feed_ = false;
  bool hold_catalogue_ = false;
  int catalogue_permits_ = 0;
};

class FaultInjectingSource final : public SyncSource {
 public:
  FaultInjectingSource(std::unique_ptr<SyncSource> inner, SourceFaults& faults)
      : inner_(std::move(inner)), faults_(faults) {}

  Result<SourceInfo> Info(const Cancellation& cancel) override;
  Result<Catalogue> FetchCatalogue(const CatalogueRequest& request, const Cancellation& cancel) override;
  Status FetchPack(const PackRequest& request, const ByteSink& sink, const Cancellation& cancel) override;
  Result<ChangePage> Changes(int64_t since, std::chrono::seconds wait, const Cancellation& cancel) override;
  std::string Name() const override { return inner_->Name(); }

 private:
  std::unique_ptr<SyncSource> inner_;
  SourceFaults& faults_;
};

}  // namespace tandem
