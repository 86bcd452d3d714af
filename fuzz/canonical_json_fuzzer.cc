// Fuzz target: the JSON parse every text from outside goes through
// (ParseJson, depth-bounded), canonical JSON (the form element versions and
// commits are hashed over) and the strict parse of a hashed text
// (ParseCanonicalJson). Beyond crashes it checks the canonical form's
// contract: it parses back as canonical and renders to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "common/canonical_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tandem;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)ParseCanonicalJson(text, "fuzzed text", 64);
  (void)ParseJsonOrDiscarded(text, 32);
  auto json = ParseJson(text, "fuzzed text");
  if (!json.ok()) return 0;
  (void)JsonDepth(*json);
  auto canonical = CanonicalJson(*json);
  if (!canonical.ok()) return 0;  // invalid UTF-8 in a string: refused, as documented
  auto again = ParseCanonicalJson(*canonical, "canonical text", kMaxJsonDepthCeiling);
  if (!again.ok()) {
    std::fprintf(stderr, "canonical text refused by ParseCanonicalJson: %s\n",
                 again.status().ToString().c_str());
    std::abort();
  }
  auto twice = CanonicalJson(*again);
  if (!twice.ok() || *twice != *canonical) {
    std::fprintf(stderr, "canonical JSON is not stable under a round trip\n");
    std::abort();
  }
  return 0;
}
