// ThrottlingProxy: a TCP proxy on 127.0.0.1 between a target and a source
// server, for end-to-end tests of slow and stalled links. Bytes from the
// client go through at once; bytes back from the server are sent at most
// `bytes_per_second` (0: unlimited), or not at all while stalled. Stops (all
// connections cut) when destroyed. Thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

namespace tandem::e2e {

class ThrottlingProxy {
 public:
  ThrottlingProxy(int upstream_port, size_t bytes_per_second);
  ~ThrottlingProxy();
  int port() const { return port_; }
  void SetRate(size_t bytes_per_second) { rate_ = bytes_per_second; }
  void Stall(bool stalled) { stalled_ = stalled; }
  size_t bytes_down() const { return bytes_down_; }

 private:
  void Accept();
  void Pump(int from, int to, bool down);

  int upstream_port_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<size_t> rate_;
  std::atomic<bool> stalled_{false};
  std::atomic<bool> stop_{false};
  std::atomic<size_t> bytes_down_{0};
  std::mutex mu_;
  std::vector<int> sockets_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace tandem::e2e
