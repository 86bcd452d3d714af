// The wire form of tandem-sync (docs/sync-protocol.md), written once: the
// source's /sync/v1 routes (src/api/sync_routes.cc) encode with these
// functions and HttpSyncSource decodes with them, so the two cannot drift.
// Decoders take data from outside: they check every field's type and bound
// every list, and answer InvalidArgument (from a client) or Corruption (from
// a source) naming the field. Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/canonical_json.h"
#include "sync/sync_source.h"

namespace tandem {

inline constexpr char kInfoPath[] = "/sync/v1/info";
inline constexpr char kCataloguePath[] = "/sync/v1/catalogue";
// At most this many commit ids in a pack request's have= or want=.
inline constexpr size_t kMaxPackRequestIds = 10'000;
// A source's description, catalogue and change feed nest a few levels; an
// answer deeper than this is malformed (and is never built in memory).
inline constexpr size_t kMaxAnswerDepth = 32;

// The list of UUIDs at `key` of `body` (absent or null: empty), normalized;
// InvalidArgument naming the key when it holds anything else or too many.
Result<std::vector<std::string>> UuidList(const Json& body, const char* key);

Json InfoToJson(const SourceInfo& info);
Result<SourceInfo> InfoFromJson(const Json& j);

Json CatalogueRequestToJson(const CatalogueRequest& request);
Result<CatalogueRequest> CatalogueRequestFromJson(const Json& j);

Json CatalogueToJson(const Catalogue& catalogue);
Result<Catalogue> CatalogueFromJson(const Json& j);

// "/sync/v1/resources/{id}/pack?have=..&want=.." (ids percent-encoded).
std::string PackTarget(const PackRequest& request);
// A comma-separated list of commit ids, as in have= and want=.
Result<std::vector<std::string>> CommitIdList(const std::string& list, const char* name);

// "/api/v1/changes?..." for a page after `since` (negative: only the head).
std::string ChangesTarget(int64_t since, std::chrono::seconds wait);
Result<ChangePage> ChangePageFromJson(const Json& j);

// The body of a source's answer as received, parsed within kMaxAnswerDepth
// and decoded as above (text that is not JSON fails as a wrong shape would).
Result<SourceInfo> InfoFromAnswer(std::string_view body);
Result<Catalogue> CatalogueFromAnswer(std::string_view body);
Result<ChangePage> ChangePageFromAnswer(std::string_view body);

// Browsing a source (SyncSource::Browse) reads its administration API:
// GET /api/v1/categories (one array) and GET /api/v1/resources page by page.
// Categories, and resources: the wizard is for people picking from a tree;
// beyond this many, give the ids to POST /api/v1/remote-configs.
inline constexpr size_t kMaxBrowsedItems = 10'000;
inline constexpr size_t kBrowsePageSize = 100;       // every server's default page size
// "/api/v1/resources?page[size]=..[&page[after]=ID]".
std::string BrowseResourcesTarget(const std::string& after);
Result<std::vector<BrowsedCategory>> CategoriesFromAnswer(std::string_view body);
Result<std::vector<BrowsedResource>> ResourcesFromAnswer(std::string_view body);
// Every parent is a listed category and no category is its own ancestor;
// every resource lies in a listed category. Corruption naming the first fault.
Status CheckSourceTree(const SourceTree& tree);

}  // namespace tandem
