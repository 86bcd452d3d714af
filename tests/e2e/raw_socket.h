// RawSocket: a TCP connection to 127.0.0.1:port for end-to-end tests that
// send what an HTTP client library would not (malformed, slow or hostile
// requests), with helpers to read one answer. Not thread-safe.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <string_view>

namespace tandem::e2e {

class RawSocket {
 public:
  // `receive_buffer` > 0 sets SO_RCVBUF before connecting (a small window).
  explicit RawSocket(int port, int receive_buffer = 0) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0) {
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~RawSocket() {
    if (fd_ >= 0) close(fd_);
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // False once the server has closed or reset the connection.
  bool Send(std::string_view bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  // Whether something (an answer, or the end) can be read now.
  bool Readable(int timeout_ms = 0) const {
    pollfd p{fd_, POLLIN, 0};
    return poll(&p, 1, timeout_ms) > 0;
  }
  // One answer with a Content-Length body, or what came before the end or a
  // quiet `quiet_ms`.
  std::string Receive(int quiet_ms = 5000) {
    std::string out;
    char buf[8192];
    while (Readable(quiet_ms)) {
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
      auto head_end = out.find("\r\n\r\n");
      auto cl = out.find("Content-Length: ");
      if (head_end != std::string::npos && cl != std::string::npos && cl < head_end &&
          out.size() >= head_end + 4 + std::stoul(out.substr(cl + 16))) {
        break;
      }
    }
    return out;
  }

 private:
  int fd_ = -1;
};

// The status code of a raw answer ("HTTP/1.1 431 ..."), 0 if none.
inline int StatusOf(const std::string& response) {
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return 0;
  return std::atoi(response.c_str() + 9);
}

// What follows the head of a raw answer.
inline std::string BodyOf(const std::string& response) {
  auto at = response.find("\r\n\r\n");
  return at == std::string::npos ? "" : response.substr(at + 4);
}

}  // namespace tandem::e2e
