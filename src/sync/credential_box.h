// CredentialBox: seals the passwords of remote configurations at rest with
// libsodium's secretbox (XSalsa20-Poly1305). The key is 32 random bytes in a
// file the server creates with mode 0600 in its data directory; the store only
// ever holds nonce + ciphertext. Thread-safe (immutable after Open).
#pragma once

#include <string>

#include "common/status.h"

namespace tandem {

class CredentialBox {
 public:
  // Reads the key file, creating it (0600) if it does not exist. IOError if it
  // cannot; Corruption if it exists but is not a key.
  static Result<CredentialBox> Open(const std::string& key_path);

  std::string Seal(const std::string& secret) const;
  // Corruption if the box was not sealed with this key or was altered.
  Result<std::string> Unseal(const std::string& sealed) const;

 private:
  explicit CredentialBox(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace tandem
