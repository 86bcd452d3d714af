#include "common/ids.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "common/hash.h"

namespace tandem {
namespace {

std::string FormatUuid(std::array<uint8_t, 16> b) {
  std::string hex = ToHex(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

void EnsureSodium() {
  static const int kInit = sodium_init();  // thread-safe static init; idempotent
  (void)kInit;
}

}  // namespace

std::string NewUuid() {
  EnsureSodium();
  std::array<uint8_t, 16> b{};
  randombytes_buf(b.data(), b.size());
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  return FormatUuid(b);
}

std::string DerivedUuid(std::string_view name) {
  Hash h = Sha256(name);
  std::array<uint8_t, 16> b{};
  std::copy_n(h.begin(), 16, b.begin());
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x80);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  return FormatUuid(b);
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

std::string NormalizeUuid(std::string_view s) {
  std::string out(s);
  if (IsUuid(s)) {
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string RandomHex(size_t n) {
  EnsureSodium();
  std::string bytes(n, '\0');
  randombytes_buf(bytes.data(), bytes.size());
  return ToHex(bytes);
}

}  // namespace tandem
