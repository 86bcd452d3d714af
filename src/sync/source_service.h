// SourceService: the source side of synchronization. It answers a target's
// catalogue request (resolving selected categories with their sub-categories)
// and writes packs of the commits a target lacks, streamed through a zstd
// compressor so memory stays bounded. Only reads the repository. Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/zstd_stream.h"
#include "repo/repository.h"
#include "sync/protocol.h"

namespace tandem {

struct CatalogueRequest {
  std::vector<std::string> resources;
  std::vector<std::string> categories;
  std::optional<std::string> tag;  // tag trigger: report each branch's newest tagged commit
  // The `position` of an earlier answer: when the source's feed has nothing
  // after it, the answer is only "unchanged" (an idle run's whole cost).
  std::optional<std::string> since;
};

struct Catalogue {
  std::vector<CatalogueEntry> entries;
  std::vector<std::string> missing_resources;
  std::vector<std::string> missing_categories;
  // The source's feed position read before the catalogue was built (so any
  // change it may have missed comes after it); empty from an older source.
  std::string position;
  // The request's `since` is still the position: nothing changed, no entries.
  bool unchanged = false;
};

// Asks `fetch` for the entries of projects the catalogue's resources use
// (recursively), marks them selected by "dependency", and orders every
// resource after the projects it uses. A used project `fetch` does not know
// stays absent (importing a commit that needs it then says which it waits for).
using CatalogueFetch = std::function<Result<Catalogue>(const std::vector<std::string>& ids)>;
Status AddDependencyEntries(Catalogue& catalogue, const CatalogueFetch& fetch);

class SourceService {
 public:
  explicit SourceService(Repository& repo) : repo_(repo) {}

  Result<Catalogue> BuildCatalogue(const CatalogueRequest& request);
  // Writes the pack of `resource_id` for a target that has `have`, compressed, to `sink`.
  // `want`: walk back from these commits instead of every branch head.
  Status WritePack(const std::string& resource_id, const std::vector<std::string>& have,
                   const std::vector<std::string>& want, const ByteSink& sink);

 private:
  // `self`: this server's id, the last link of each origin chain.
  Result<CatalogueEntry> Describe(const Resource& r, const std::optional<std::string>& tag,
                                  const std::string& self);
  Repository& repo_;
};

}  // namespace tandem
