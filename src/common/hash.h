// SHA-256 digests and hex encoding. Stateless functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace tandem {

using Hash = std::array<uint8_t, 32>;

// For unordered containers keyed by a hash: its first bytes are already uniform.
struct HashHasher {
  size_t operator()(const Hash& h) const {
    size_t v;
    std::memcpy(&v, h.data(), sizeof v);
    return v;
  }
};

// SHA-256 of `data` (OpenSSL).
Hash Sha256(std::string_view data);

// Incremental SHA-256 for data that arrives in pieces. Not thread-safe.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(std::string_view data);
  Hash Finish();

 private:
  void* ctx_;  // EVP_MD_CTX*, kept opaque so OpenSSL headers stay out of this header
};

std::string ToHex(const Hash& hash);
std::string ToHex(std::string_view bytes);
// Parses 64 lowercase or uppercase hex digits; nullopt on anything else.
std::optional<Hash> HashFromHex(std::string_view hex);
// The value of one hex digit (either case), or -1.
int HexValue(char c);
inline std::string_view HashBytes(const Hash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}
Hash HashFromBytes(std::string_view bytes32);

}  // namespace tandem
