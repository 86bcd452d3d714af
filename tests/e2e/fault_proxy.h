// FaultProxy: a TCP proxy on 127.0.0.1 between a target and a source server,
// for end-to-end tests and the network-fault campaign: a link that is slow,
// late, stalled, cut, corrupting or refusing. Bytes from the client go
// through at once; bytes back from the server ("down") are
//   - sent at most `bytes_per_second` (0: unlimited), each piece after
//     `delay` (latency);
//   - not sent at all while stalled (the connection stays open);
//   - cut: once `CutAfter(n)` is armed, the connection that carries down byte
//     n (counted from the arming, over every connection) is closed there;
//   - corrupted: once `CorruptAt(n)` is armed, down byte n has one bit
//     flipped (once).
// While refusing, new connections are closed as soon as they are accepted.
// Stops (all connections cut) when destroyed. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace tandem::e2e {

class FaultProxy {
 public:
  FaultProxy(int upstream_port, size_t bytes_per_second);
  ~FaultProxy();
  int port() const { return port_; }
  void SetRate(size_t bytes_per_second) { rate_ = bytes_per_second; }
  void SetDelay(std::chrono::milliseconds delay) { delay_ms_ = delay.count(); }
  void Stall(bool stalled) { stalled_ = stalled; }
  void Refuse(bool refuse) { refuse_ = refuse; }
  void CutAfter(size_t down_bytes);
  void CorruptAt(size_t down_offset);
  // Back to a plain link: no rate limit, delay, stall, refusal, cut or corruption.
  void Heal();

  size_t bytes_down() const { return bytes_down_; }
  int connections() const { return connections_; }   // accepted (refused ones too)
  int cuts() const { return cuts_; }                 // connections cut by CutAfter
  int corrupted() const { return corrupted_; }       // bytes flipped by CorruptAt

 private:
  void Accept();
  void Pump(int from, int to, bool down);
  // Applies the armed cut and corruption to `n` down bytes in `buf`; how many
  // of them to send (fewer when the cut falls inside).
  size_t Damage(char* buf, size_t n, bool& cut);

  int upstream_port_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<size_t> rate_;
  std::atomic<int64_t> delay_ms_{0};
  std::atomic<bool> stalled_{false};
  std::atomic<bool> refuse_{false};
  std::atomic<bool> stop_{false};
  std::atomic<size_t> bytes_down_{0};
  std::atomic<int> connections_{0}, cuts_{0}, corrupted_{0};
  std::mutex mu_;  // guards what follows
  std::vector<int> sockets_;
  std::vector<std::thread> threads_;
  size_t armed_down_ = 0;  // down bytes since the last CutAfter/CorruptAt
  std::optional<size_t> cut_at_, corrupt_at_;
  std::thread acceptor_;
};

}  // namespace tandem::e2e
