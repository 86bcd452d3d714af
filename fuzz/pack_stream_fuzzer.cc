// Fuzz target: the pack stream a target receives from a source (or a bundle),
// through PackReader and the verified import of each commit it yields, inside
// an import trial that is rolled back, so every input meets the same empty copy.
//
// Input: one mode byte, then 36 bytes naming the resource the commits belong
// to (their hashes cover it; seeds carry the id their pack was made for), then
// the stream. Mode bit 0 clear: the rest is the uncompressed NDJSON stream,
// which the target compresses first, so mutations reach the records; set: the
// rest is fed to the reader as received (compressed bytes), in 4 KiB pieces.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/ids.h"
#include "common/zstd_stream.h"
#include "fuzz/fuzz_repository.h"
#include "sync/pack_reader.h"

namespace {

constexpr char kFallbackResource[] = "00000000-0000-4000-8000-00000000f022";
constexpr size_t kPiece = 4096;

tandem::Status FeedPieces(tandem::PackReader& reader, std::string_view bytes) {
  while (!bytes.empty()) {
    size_t n = std::min(bytes.size(), kPiece);
    RETURN_IF_ERROR(reader.Feed(bytes.substr(0, n)));
    bytes.remove_prefix(n);
  }
  return reader.Finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tandem;
  static FuzzRepository fuzz;  // kept for the process
  static const std::string root = fuzz.repo().RootCategoryId().value();
  if (size < 37) return -1;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  bool compressed = (in[0] & 1) != 0;
  std::string resource_id(in.substr(1, 36));
  if (!IsUuid(resource_id)) resource_id = kFallbackResource;
  std::string_view stream = in.substr(37);
  std::string wire;
  if (!compressed) {
    FuzzCheck(ZstdCompress(stream, 1, wire), "compressing the stream");
    stream = wire;
  }

  auto trial = fuzz.repo().BeginImportTrial();
  FuzzCheck(trial.status(), "beginning the import trial");
  Resource copy;
  copy.id = NormalizeUuid(resource_id);
  copy.project_id = "FUZZ-" + copy.id;
  copy.name = "fuzzed copy";
  copy.category_id = root;
  copy.read_only = true;
  copy.origin = "{}";
  copy.default_branch_id = "00000000-0000-4000-8000-00000000b0a1";
  auto added = (*trial)->AddResource(copy);
  FuzzCheck(added.status(), "adding the trial's copy");

  PackReader reader([&](Repository::ImportedCommit&& commit) {
    return (*trial)->ImportCommit(copy.id, commit);
  });
  Status st = FeedPieces(reader, stream);
  (void)st;  // any Status is a correct answer to hostile bytes; crashes and leaks are the findings
  return 0;  // the trial's destructor rolls everything back
}
