#include "tests/e2e/throttling_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace tandem::e2e {

ThrottlingProxy::ThrottlingProxy(int upstream_port, size_t bytes_per_second)
    : upstream_port_(upstream_port), rate_(bytes_per_second) {
  listener_ = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  listen(listener_, 64);
  socklen_t len = sizeof addr;
  getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

ThrottlingProxy::~ThrottlingProxy() {
  stop_ = true;
  shutdown(listener_, SHUT_RDWR);
  close(listener_);
  acceptor_.join();
  {
    std::lock_guard lock(mu_);
    for (int fd : sockets_) shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : threads_) t.join();
  for (int fd : sockets_) close(fd);
}

void ThrottlingProxy::Accept() {
  while (!stop_) {
    int client = accept(listener_, nullptr, nullptr);
    if (client < 0) return;
    int server = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(upstream_port_));
    if (connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(client);
      close(server);
      continue;
    }
    std::lock_guard lock(mu_);
    sockets_.push_back(client);
    sockets_.push_back(server);
    threads_.emplace_back([this, client, server] { Pump(client, server, false); });
    threads_.emplace_back([this, client, server] { Pump(server, client, true); });
  }
}

void ThrottlingProxy::Pump(int from, int to, bool down) {
  std::vector<char> buf(65536);
  while (!stop_) {
    size_t want = buf.size();
    if (down) {
      while (stalled_ && !stop_) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      size_t rate = rate_;
      if (rate) want = std::clamp<size_t>(rate / 20, 1, buf.size());
    }
    pollfd p{from, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    ssize_t n = read(from, buf.data(), want);
    if (n <= 0) break;
    size_t sent = 0;
    while (sent < static_cast<size_t>(n)) {
      ssize_t w = send(to, buf.data() + sent, static_cast<size_t>(n) - sent, MSG_NOSIGNAL);
      if (w <= 0) break;
      sent += static_cast<size_t>(w);
    }
    if (down) {
      bytes_down_ += sent;
      size_t rate = rate_;
      if (rate) std::this_thread::sleep_for(std::chrono::microseconds(sent * 1'000'000 / rate));
    }
  }
  shutdown(to, SHUT_WR);
}

}  // namespace tandem::e2e
