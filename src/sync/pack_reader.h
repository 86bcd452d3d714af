// PackReader: the target side of a pack stream. Bytes go in as they arrive;
// it decompresses them, splits the NDJSON records, keeps the element versions
// of the next commit and hands each commit, with the texts of its new
// versions, to its sink as soon as the commit's record is complete — a sync
// run's ImportPipeline (which verifies every hash and stores whole commits
// only), or a bundle's check — so memory is bounded by one commit.
// Not thread-safe.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "common/zstd_stream.h"
#include "repo/repository.h"

namespace tandem {

struct PackLimits {
  uint64_t max_record_bytes = 256ull << 20;  // one NDJSON line
  uint64_t max_total_bytes = 64ull << 30;    // decompressed stream (sync.max-pack-bytes)
  // Element versions received and not yet used by a commit: a pack sends
  // them just before the commit that needs them, so this bounds one commit's
  // new versions (a hostile stream cannot pile up unused ones).
  uint64_t max_pending_bytes = 2ull << 30;
};

class PackReader {
 public:
  // Receives each parsed commit (versions already checked against their hashes).
  using CommitSink = std::function<Status(Repository::ImportedCommit&&)>;

  explicit PackReader(CommitSink on_commit, PackLimits limits = {});

  // Feeds compressed bytes. Stops at the first error (Corruption for bad data).
  Status Feed(std::string_view compressed);
  // The stream ended: it must have ended cleanly with its "end" record.
  Status Finish();

  uint64_t commits_read() const { return commits_read_; }
  uint64_t versions_received() const { return versions_received_; }
  uint64_t bytes_received() const { return bytes_received_; }

 private:
  Status OnRecord(std::string_view line);
  Status OnCommit(const Json& record);

  CommitSink on_commit_;
  PackLimits limits_;
  ZstdDecompressor zstd_;
  std::string line_;
  Status error_;
  std::map<Hash, std::string> versions_;  // received, not yet used by a commit
  uint64_t pending_bytes_ = 0;            // size of versions_
  bool ended_ = false;
  uint64_t commits_read_ = 0;  // handed to the sink
  uint64_t versions_received_ = 0;
  uint64_t bytes_received_ = 0;
};

}  // namespace tandem
