// The synchronization bundle file format (docs/bundle-format.md): framing,
// limits and the trailing checksum, nothing about repositories, so the CLI can
// read a bundle's manifest too. A bundle is a header (magic, format version),
// a manifest frame (JSON), per resource a resource frame followed by the
// frames of its pack (the tandem-sync pack stream, split), and a trailer frame
// holding the SHA-256 of every byte before it.
//
// BundleWriter writes to a ByteSink; ScanBundle reads a whole file, checking
// every declared size against BundleLimits before it reads the bytes, and the
// trailer last. Value types and free functions; neither is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <string_view>

#include "common/canonical_json.h"
#include "common/hash.h"
#include "common/zstd_stream.h"

namespace tandem {

inline constexpr char kBundleMagic[] = "TNDMBNDL";  // 8 bytes, no terminator in the file
inline constexpr size_t kBundleMagicSize = 8;
inline constexpr uint32_t kBundleFormatVersion = 1;
inline constexpr char kBundleContentType[] = "application/vnd.tandem.bundle";
inline constexpr char kBundleManifestFormat[] = "tandem-bundle";
inline constexpr char kBundleStateFormat[] = "tandem-bundle-state";

enum class BundleFrame : char { kManifest = 'M', kResource = 'R', kPack = 'P', kTrailer = 'T' };

struct BundleLimits {
  uint64_t max_bundle_bytes = 8ull << 30;   // the whole file (sync.max-bundle-bytes)
  uint64_t max_manifest_bytes = 64ull << 20;
  uint64_t max_frame_bytes = 16ull << 20;   // one pack frame; the writer uses 1 MiB
};

// Writes a bundle frame by frame, hashing everything for the trailer.
class BundleWriter {
 public:
  explicit BundleWriter(ByteSink sink) : sink_(std::move(sink)) {}
  // Header and manifest; first.
  Status Start(const Json& manifest);
  // Starts the pack of one resource (in manifest order).
  Status BeginResource(const std::string& resource_id);
  // Pack bytes of the current resource, in frames of at most 1 MiB.
  Status Pack(std::string_view bytes);
  // The trailer; nothing may be written afterwards.
  Status Finish();
  uint64_t bytes_written() const { return written_; }

 private:
  Status Emit(std::string_view bytes);
  Status Frame(BundleFrame type, std::string_view payload);
  ByteSink sink_;
  Sha256Hasher hasher_;
  uint64_t written_ = 0;
};

// What ScanBundle reports, in file order. Returning an error stops the scan.
struct BundleVisitor {
  std::function<Status(const Json& manifest)> on_manifest;
  std::function<Status(const std::string& resource_id)> on_resource;
  // `offset`: where the frame's payload starts in the file.
  std::function<Status(std::string_view bytes, uint64_t offset)> on_pack;
};

// Reads the whole bundle from `in` and calls `visitor` as frames arrive; the
// checksum is known only at the end, so a visitor must not apply anything.
// Corruption names what is wrong (truncated, bad magic, unknown version,
// oversized frame, wrong checksum, bytes after the trailer); TooLarge past
// limits.max_bundle_bytes. `progress` (optional) gets the bytes read so far.
Status ScanBundle(std::istream& in, const BundleLimits& limits, const BundleVisitor& visitor,
                  const std::function<void(uint64_t)>& progress = {});

// Reads header and manifest only (e.g. `--since` an earlier bundle); the
// manifest is not yet covered by a checked trailer.
Result<Json> ReadBundleManifest(std::istream& in, const BundleLimits& limits);

// True when `prefix` starts like a bundle file (its magic).
bool LooksLikeBundle(std::string_view prefix);

// What a target holds, as a `since` for bundle creation: resource id -> the
// commit ids it has (state file) or the heads of an earlier bundle's manifest.
// InvalidArgument names what is malformed.
Result<Json> SinceFromState(const Json& state);
Result<Json> SinceFromManifest(const Json& manifest);

}  // namespace tandem
