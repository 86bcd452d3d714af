// Small text helpers shared by the layers. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tandem {

// `items` with `separator` between each two: Join({"a", "b"}, ", ") == "a, b".
inline std::string Join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  return out;
}

}  // namespace tandem
