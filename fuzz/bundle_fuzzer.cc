// Fuzz target: a bundle file as a server receives it (an upload, or
// `datamanager`'s apply): BundleApplier checks framing, sizes, the manifest,
// every pack and the trailing checksum, trial-imports the commits, and applies
// the bundle when all of that passes; plus the manifest reader that
// `tandem bundle create --since` uses on an earlier bundle.
//
// Input: the bundle file's bytes, written to a scratch file (Apply reads a
// path). A bundle that applies changes the store, so the store is replaced
// after each one and every input meets an empty server.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "fuzz/fuzz_repository.h"
#include "sync/bundle_applier.h"
#include "sync/bundle_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tandem;
  static FuzzRepository fuzz;
  static const std::string path = fuzz.Path("input.bundle");
  std::string bytes(reinterpret_cast<const char*>(data), size);

  {
    std::istringstream in(bytes);
    auto manifest = ReadBundleManifest(in, BundleLimits{});
    if (manifest.ok()) (void)SinceFromManifest(*manifest);  // an answer either way is correct
  }

  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) FuzzCheck(Status::IOError("cannot write " + path), "writing the scratch bundle");
  }
  auto root = fuzz.repo().RootCategoryId();
  FuzzCheck(root.status(), "reading the root category");
  BundleProgress progress;
  BundleApplier applier(fuzz.repo(), fuzz.clock(), BundleLimits{});
  auto report = applier.Apply(path, *root, progress);
  if (report.ok()) fuzz.Reset();  // something may have been stored
  return 0;
}
