// SyncSource: the target's view of a source server — the one seam between the
// synchronization engine and wherever history comes from. Typed at the
// domain's level (who the source is, its catalogue, a pack of commits, its
// change feed), not the wire's, so every implementation answers the same
// questions the same way:
//
// - HttpSyncSource (http_sync_source.h): a real server over HTTP(S), through
//   net/HttpClient (time-outs, size limits, TLS) and the wire codec that the
//   server's /sync/v1 routes use too (sync_codec.h).
// - BundleSyncSource (bundle_sync_source.h): a checked bundle file.
// - testing/sync: an in-process source over a SourceService, and a
//   fault-injecting wrapper (delays, stalls, drips, cuts, corrupted bytes,
//   errors at chosen calls) for unit tests.
//
// Every call takes a Cancellation and returns promptly once it fires (within
// one read for the network), with Unavailable. Errors name the source and say
// what to check. Implementations are used by one thread at a time, except that
// the Cancellation may fire from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/cancellation.h"
#include "common/zstd_stream.h"
#include "sync/protocol.h"
#include "sync/source_service.h"

namespace tandem {

struct SourceInfo {
  std::string server_id;
  int major = 0;
  int minor = 0;
  std::string version;
};

// Ok when a target of this protocol version can synchronize from `info`;
// InvalidArgument naming both major versions otherwise.
Status CheckSourceInfo(const SourceInfo& info);

// Which commits a target wants: everything reachable from the source's branch
// heads (or from `want`, when given) that is not reachable from `have`.
struct PackRequest {
  std::string resource_id;
  std::vector<std::string> have;
  std::vector<std::string> want;
};

// One event of the source's change feed (only what triggers need).
struct SourceChange {
  int64_t seq = 0;
  std::string type;         // "commit.created", "tag.created", "branch.moved", ...
  std::string resource_id;  // empty for category events
  std::string name;         // the tag's name, for tag events
};

struct ChangePage {
  std::vector<SourceChange> events;
  int64_t last_seq = 0;  // the last event's sequence number, or `since` when none
  int64_t head_seq = 0;  // the newest event at the source
};

// What a source offers for a configuration to select (the web
// administration's wizard): its categories and resources, ids and names only.
struct BrowsedCategory {
  std::string id;
  std::string name;
  std::optional<std::string> parent_id;  // none for the root
  std::string description;
};

struct BrowsedResource {
  std::string id;
  std::string project_id;
  std::string name;
  std::string category_id;
  bool read_only = false;
};

struct SourceTree {
  SourceInfo info;
  std::vector<BrowsedCategory> categories;  // every parent listed, no cycle
  std::vector<BrowsedResource> resources;   // each in a listed category
};

class SyncSource {
 public:
  virtual ~SyncSource() = default;

  // Who the source is; also checks reachability and credentials.
  virtual Result<SourceInfo> Info(const Cancellation& cancel) = 0;
  virtual Result<Catalogue> FetchCatalogue(const CatalogueRequest& request,
                                           const Cancellation& cancel) = 0;
  // Streams the pack (zstd-compressed NDJSON, docs/sync-protocol.md) into
  // `sink` as it arrives; a sink that returns false ends the stream.
  virtual Status FetchPack(const PackRequest& request, const ByteSink& sink,
                           const Cancellation& cancel) = 0;
  // Changes after `since`, waiting up to `wait` for the first one.
  virtual Result<ChangePage> Changes(int64_t since, std::chrono::seconds wait,
                                     const Cancellation& cancel) = 0;
  // The source's categories and resources, for choosing what to select.
  // Sources that cannot be browsed (a bundle) answer NotImplemented.
  virtual Result<SourceTree> Browse(const Cancellation& cancel) {
    (void)cancel;
    return Status::NotImplemented(Name() + " cannot be browsed; give resource and category ids");
  }
  // How messages name the source ("http://host:port", "bundle FILE").
  virtual std::string Name() const = 0;
};

// Where a configuration's source is and how to log in there.
struct SourceEndpoint {
  std::string url;  // http://host:port or https://host:port
  std::string username;
  std::string password;
};

using SourceFactory = std::function<std::unique_ptr<SyncSource>(const SourceEndpoint&)>;

}  // namespace tandem
