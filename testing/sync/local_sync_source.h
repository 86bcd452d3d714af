// LocalSyncSource: a source server's repository read in-process through its
// SourceService — the SyncSource that unit tests give a SyncRunner or a
// SyncEngine instead of a network. It answers what the /sync/v1 routes
// answer, because both are the same SourceService calls; only the HTTP
// codec (tested on its own, and end to end) is left out. Thread-safe as
// SourceService is.
#pragma once

#include <string>

#include "repo/repository.h"
#include "sync/source_service.h"
#include "sync/sync_source.h"

namespace tandem {

class LocalSyncSource final : public SyncSource {
 public:
  explicit LocalSyncSource(Repository& repo, std::string name = "local source")
      : repo_(repo), service_(repo), name_(std::move(name)) {}

  Result<SourceInfo> Info(const Cancellation& cancel) override;
  Result<Catalogue> FetchCatalogue(const CatalogueRequest& request, const Cancellation& cancel) override;
  Status FetchPack(const PackRequest& request, const ByteSink& sink, const Cancellation& cancel) override;
  // Waits at most 100 ms per call (the engine asks again), so a cancelled
  // watcher ends promptly without a hook into the repository's change feed.
  Result<ChangePage> Changes(int64_t since, std::chrono::seconds wait, const Cancellation& cancel) override;
  std::string Name() const override { return name_; }

 private:
  Repository& repo_;
  SourceService service_;
  std::string name_;
};

}  // namespace tandem
