// BundleCreator: the source side of synchronization through files. It selects
// resources as a catalogue request does (resources, categories with their
// sub-categories, plus the projects they use), works out per resource the
// commits a target lacks given what it already holds (`since`), names the
// commits the bundle requires (its prerequisites), and streams the bundle
// (docs/bundle-format.md) through SourceService::WritePack, so memory stays
// bounded. Only reads the repository. Thread-safe (one call per bundle).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "repo/repository.h"
#include "sync/source_service.h"

namespace tandem {

struct BundleRequest {
  std::vector<std::string> resources;
  std::vector<std::string> categories;
  // Resource id -> commit ids the target holds (a state file's or an earlier
  // bundle's heads); resources not named here are bundled whole.
  std::map<std::string, std::vector<std::string>> since;
};

// What a bundle will hold, decided before its first byte is written.
struct BundlePlan {
  Json manifest;
  struct Part {
    std::string resource_id;
    std::vector<std::string> have;   // the `since` commits
    std::vector<std::string> heads;  // the pack walks back from these
  };
  std::vector<Part> parts;  // in manifest order: used projects first
};

class BundleCreator {
 public:
  BundleCreator(Repository& repo, SourceService& source, Clock& clock)
      : repo_(repo), source_(source), clock_(clock) {}

  // NotFound names selected resources or categories this server lacks;
  // InvalidArgument an empty selection.
  Result<BundlePlan> Plan(const BundleRequest& request);
  // Streams the bundle of `plan` to `sink`.
  Status Write(const BundlePlan& plan, const ByteSink& sink);

  // What this server holds of `resource_ids` (all synchronized copies when
  // empty): the state file a source's `--since` reads.
  Result<Json> State(const std::vector<std::string>& resource_ids);

 private:
  Repository& repo_;
  SourceService& source_;
  Clock& clock_;
};

}  // namespace tandem
