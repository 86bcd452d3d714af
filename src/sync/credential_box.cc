#include "sync/credential_box.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tandem {

Result<CredentialBox> CredentialBox::Open(const std::string& key_path) {
  if (sodium_init() < 0) return Status::IOError("libsodium failed to initialize");
  std::string key(crypto_secretbox_KEYBYTES, '\0');
  int fd = open(key_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = read(fd, key.data(), key.size());
    char extra;
    ssize_t more = read(fd, &extra, 1);
    close(fd);
    if (n != static_cast<ssize_t>(key.size()) || more != 0) {
      return Status::Corruption(key_path + " is not a " + std::to_string(key.size()) +
                                "-byte key; restore it from a backup (without it the stored "
                                "source passwords cannot be read)");
    }
    return CredentialBox(std::move(key));
  }
  if (errno != ENOENT) return Status::IOError("cannot read " + key_path + ": " + std::strerror(errno));
  randombytes_buf(key.data(), key.size());
  fd = open(key_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("cannot create " + key_path + ": " + std::strerror(errno));
  bool ok = write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok) return Status::IOError("cannot write " + key_path);
  return CredentialBox(std::move(key));
}

std::string CredentialBox::Seal(const std::string& secret) const {
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + secret.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), nonce,
                        reinterpret_cast<const unsigned char*>(key_.data()));
  return out;
}

Result<std::string> CredentialBox::Unseal(const std::string& sealed) const {
  if (sealed.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return Status::Corruption("a sealed credential is too short");
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  size_t cipher_len = sealed.size() - crypto_secretbox_NONCEBYTES;
  std::string out(cipher_len - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(out.data()),
                                 nonce + crypto_secretbox_NONCEBYTES, cipher_len, nonce,
                                 reinterpret_cast<const unsigned char*>(key_.data())) != 0) {
    return Status::Corruption("a sealed credential does not open with this server's key");
  }
  return out;
}

}  // namespace tandem
