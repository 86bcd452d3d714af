// Fuzz target: application.conf — the HOCON subset parser
// (ConfigDocument::ParseText) and the settings the server reads from the
// document (ServerSettingsFrom: every known key's type and range, the TLS
// keys, unknown-key warnings), exactly as LoadServerSettings does with a file.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/hocon.h"
#include "server/server_settings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tandem;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = ConfigDocument::ParseText(text, "application.conf");
  if (!doc.ok()) return 0;
  for (const auto& [key, value] : doc->values()) {
    if (doc->Find(key) == nullptr) std::abort();  // every flattened key must be found again
    (void)value;
  }
  std::vector<std::string> warnings;
  (void)ServerSettingsFrom(&*doc, SettingsOverrides{}, warnings);
  return 0;
}
