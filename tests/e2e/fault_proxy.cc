#include "tests/e2e/fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace tandem::e2e {

FaultProxy::FaultProxy(int upstream_port, size_t bytes_per_second)
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

FaultProxy::~FaultProxy() {
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

void FaultProxy::Accept() {
  while (!stop_) {
    int client = accept(listener_, nullptr, nullptr);
    if (client < 0) return;
    ++connections_;
    if (refuse_) {
      close(client);
      continue;
    }
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

void FaultProxy::CutAfter(size_t down_bytes) {
  std::lock_guard lock(mu_);
  armed_down_ = 0;
  cut_at_ = down_bytes;
}

void FaultProxy::CorruptAt(size_t down_offset) {
  std::lock_guard lock(mu_);
  armed_down_ = 0;
  corrupt_at_ = down_offset;
}

void FaultProxy::Heal() {
  rate_ = 0;
  delay_ms_ = 0;
  stalled_ = false;
  refuse_ = false;
  std::lock_guard lock(mu_);
  cut_at_.reset();
  corrupt_at_.reset();
}

size_t FaultProxy::Damage(char* buf, size_t n, bool& cut) {
  std::lock_guard lock(mu_);
  const size_t first = armed_down_;
  size_t keep = n;
  if (cut_at_ && *cut_at_ < first + n) {
    keep = *cut_at_ > first ? *cut_at_ - first : 0;
    cut_at_.reset();
    cut = true;
    ++cuts_;
  }
  if (corrupt_at_ && *corrupt_at_ >= first && *corrupt_at_ < first + keep) {
    buf[*corrupt_at_ - first] ^= 0x10;
    corrupt_at_.reset();
    ++corrupted_;
  }
  armed_down_ += keep;
  return keep;
}

void FaultProxy::Pump(int from, int to, bool down) {
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
    size_t length = static_cast<size_t>(n);
    bool cut = false;
    if (down) {
      if (int64_t delay = delay_ms_; delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
      length = Damage(buf.data(), length, cut);
    }
    size_t sent = 0;
    while (sent < length) {
      ssize_t w = send(to, buf.data() + sent, length - sent, MSG_NOSIGNAL);
      if (w <= 0) break;
      sent += static_cast<size_t>(w);
    }
    if (cut) {
      // Both ways, as a broken link would: neither side hears more.
      shutdown(from, SHUT_RDWR);
      shutdown(to, SHUT_RDWR);
      break;
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
