// The HTTP engine under attack (issue #10; docs/security.md, "HTTP engine"):
// a real tandem-server on port 0 against slow clients, parked long polls,
// compressed and chunked bodies over the limit, endless header lines and
// Range requests with many parts. Each case prints its figures; the asserts
// are the issue's own bounds, with the server's memory read from
// /proc/<pid>/status (VmRSS now, VmHWM the peak).
//
// CI=true shortens the slow-client campaign (fewer seconds); TANDEM_SLOW_CLIENTS
// overrides the number of slow connections (1,000 by default). The test raises
// its own RLIMIT_NOFILE to the hard limit, which the server inherits.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/raw_socket.h"

namespace tandem::e2e {
namespace {

constexpr char kAdminPassword[] = "admin-password-1";

bool ShortMode() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

// Raises the soft descriptor limit to the hard one; returns the limit now.
size_t RaiseFileLimit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

// kB of the server's "VmRSS" or "VmHWM" line.
size_t MemoryKb(pid_t pid, const std::string& key) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stoul(line.substr(key.size() + 1));
  }
  return 0;
}

// Restarts the process's VmHWM from its VmRSS now (Linux clear_refs), so a
// later VmHWM is the peak of what ran in between. False if not permitted.
bool ResetPeak(pid_t pid) {
  std::ofstream clear("/proc/" + std::to_string(pid) + "/clear_refs");
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}

// Whether the server runs under AddressSanitizer (whose shadow memory and
// quarantine of freed blocks add to its RSS).
bool Sanitized(pid_t pid) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find("libasan") != std::string::npos) return true;
  }
  return false;
}

std::string WriteConfig(const TempDir& dir, const std::string& text) {
  std::string path = dir.Sub("application.conf");
  std::ofstream(path) << text;
  return path;
}


std::string Uuid(int n) {
  char buf[37];
  std::snprintf(buf, sizeof(buf), "00000000-0000-4000-8000-%012d", n);
  return buf;
}

std::string Token(ServerProcess& server, const std::string& user, const std::string& password) {
  auto r = PostJson(*server.Client(""), "/api/v1/login", {{"username", user}, {"password", password}});
  EXPECT_EQ(r ? r->status : 0, 200);
  return r ? BodyJson(r).value("token", "") : "";
}

// `bytes` zeros, gzip-compressed (about a thousandth of their size).
std::string GzipZeros(size_t bytes) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY), Z_OK);
  std::string zeros(1 << 20, '\0'), out;
  char buf[1 << 16];
  for (size_t fed = 0; fed < bytes; fed += zeros.size()) {
    z.next_in = reinterpret_cast<Bytef*>(zeros.data());
    z.avail_in = static_cast<uInt>(std::min(zeros.size(), bytes - fed));
    bool last = fed + zeros.size() >= bytes;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof(buf);
      deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
      out.append(buf, sizeof(buf) - z.avail_out);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  return out;
}

class HttpEngineE2eTest : public ::testing::Test {
 protected:
  void Start(const std::string& conf = "") {
    std::vector<std::string> args;
    if (!conf.empty()) args = {"--config", WriteConfig(dir_, conf)};
    server_ = ServerProcess::Start({dir_.Sub("data"), args, kAdminPassword});
    admin_ = server_->Client();
  }
  size_t RssKb() const { return MemoryKb(server_->pid(), "VmRSS"); }
  // RSS now, and the peak from now on is what Growth() measures.
  size_t MarkMemory() {
    EXPECT_TRUE(ResetPeak(server_->pid()));
    return RssKb();
  }
  size_t Growth(size_t marked_kb) const {
    size_t peak = MemoryKb(server_->pid(), "VmHWM");
    return peak > marked_kb ? peak - marked_kb : 0;
  }
  bool Healthy() {
    auto r = server_->Client("")->Get("/api/v1/health");
    return r && r->status == 200;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> admin_;
};

// (3) Slow clients and long polls do not hold threads: health on a fresh
// connection answers within a second throughout, memory stays bounded, and
// the parked polls still answer when an event comes.
TEST_F(HttpEngineE2eTest, SlowClientsAndLongPollsLeaveHealthAnswering) {
  size_t fd_limit = RaiseFileLimit();
  size_t slow = 1000;
  if (const char* n = std::getenv("TANDEM_SLOW_CLIENTS")) slow = std::stoul(n);
  constexpr size_t kPolls = 100;
  if (slow + kPolls + 200 > fd_limit) slow = fd_limit > kPolls + 300 ? fd_limit - kPolls - 300 : 0;
  ASSERT_GT(slow, 0u) << "RLIMIT_NOFILE " << fd_limit << " is too low for this test";
  const auto duration = std::chrono::seconds(ShortMode() ? 12 : 30);
  // Under AddressSanitizer freed blocks stay resident in its quarantine
  // (256 MB by default); a small one keeps the figure about live memory.
  std::string asan = std::getenv("ASAN_OPTIONS") ? std::getenv("ASAN_OPTIONS") : "";
  setenv("ASAN_OPTIONS", (asan + (asan.empty() ? "" : ":") + "quarantine_size_mb=16").c_str(), 1);
  Start("server.max-connections = " + std::to_string(slow + kPolls + 100) + "\n");
  ASSERT_EQ(PostJson(*admin_, "/api/v1/users",
                     {{"name", "watcher"}, {"password", "watcher-password"}, {"role", "reader"}})
                ->status,
            201);
  std::string token = Token(*server_, "watcher", "watcher-password");
  int64_t head = BodyJson(admin_->Get("/api/v1/changes?limit=1000")).value("headSeq", 0);
  if (asan.empty()) unsetenv("ASAN_OPTIONS"); else setenv("ASAN_OPTIONS", asan.c_str(), 1);
  bool sanitized = Sanitized(server_->pid());
  size_t rss_before = MarkMemory();

  // 100 long polls by a reader, parked for up to 60 s.
  std::vector<std::unique_ptr<RawSocket>> polls;
  for (size_t i = 0; i < kPolls; ++i) {
    polls.push_back(std::make_unique<RawSocket>(server_->port()));
    ASSERT_TRUE(polls.back()->Send("GET /api/v1/changes?since=" + std::to_string(head) +
                                   "&wait=60 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                                   token + "\r\n\r\n"));
  }
  // Slow clients: one byte of a never-ending head every 5 s; when the server
  // drops one (its head deadline), another takes its place.
  std::atomic<bool> done{false};
  std::atomic<size_t> replaced{0}, open_slow{0};
  std::thread dripper([&] {
    const std::string head_text = "GET /api/v1/health HTTP/1.1\r\nX-Slow: ";
    std::vector<std::unique_ptr<RawSocket>> conns;
    std::vector<size_t> pos;
    for (size_t i = 0; i < slow && !done; ++i) {
      conns.push_back(std::make_unique<RawSocket>(server_->port()));
      pos.push_back(0);
    }
    open_slow = conns.size();
    while (!done) {
      for (size_t i = 0; i < conns.size() && !done; ++i) {
        char c = pos[i] < head_text.size() ? head_text[pos[i]] : 'a';
        if (!conns[i]->ok() || conns[i]->Readable() || !conns[i]->Send(std::string_view(&c, 1))) {
          conns[i] = std::make_unique<RawSocket>(server_->port());
          pos[i] = 0;
          ++replaced;
          continue;
        }
        ++pos[i];
      }
      for (int t = 0; t < 50 && !done; ++t) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  auto start = std::chrono::steady_clock::now();
  int64_t worst_ms = 0;
  size_t probes = 0, failures = 0, peak_rss = rss_before;
  while (std::chrono::steady_clock::now() - start < duration) {
    auto t0 = std::chrono::steady_clock::now();
    auto client = server_->Client("");
    client->set_connection_timeout(5, 0);
    client->set_read_timeout(5, 0);
    auto r = client->Get("/api/v1/health");
    int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - t0).count();
    ++probes;
    if (!r || r->status != 200) ++failures;
    worst_ms = std::max(worst_ms, ms);
    peak_rss = std::max(peak_rss, MemoryKb(server_->pid(), "VmHWM"));
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  size_t slow_open = open_slow.load();
  // An event answers every parked poll.
  auto wake = PostJson(*admin_, "/api/v1/categories", {{"name", "wake"}});
  EXPECT_TRUE(wake && wake->status == 201) << "the server did not take the event";
  size_t woken = 0;
  for (auto& p : polls) {
    std::string response = p->Receive(10000);
    if (StatusOf(response) == 200 && BodyOf(response).find("category.created") != std::string::npos) {
      ++woken;
    }
  }
  done = true;
  dripper.join();
  std::cout << "slow clients: " << slow_open << " slow connections (" << replaced
            << " replaced after the head deadline) + " << kPolls << " long polls for "
            << duration.count() << " s: " << probes << " health probes, worst " << worst_ms
            << " ms, " << failures << " failed; server RSS " << rss_before / 1024 << " MB before, "
            << peak_rss / 1024 << " MB at most" << (sanitized ? " (AddressSanitizer build)" : "")
            << "; " << woken << " of " << kPolls << " polls answered by the event" << std::endl;
  EXPECT_EQ(failures, 0u);
  EXPECT_LT(worst_ms, 1000);
  // The bound is the issue's, for a server without sanitizers; with one, its
  // own baseline (shadow memory, quarantine) is left out.
  EXPECT_LT((sanitized ? peak_rss - rss_before : peak_rss) / 1024, 200u);
  EXPECT_EQ(woken, kPolls);
  EXPECT_TRUE(Healthy());
}

// A long poll over server.max-long-polls gets 503 at once, and a client that
// goes away frees its place before its deadline.
TEST_F(HttpEngineE2eTest, LongPollsAreCappedAndGoneClientsFreeTheirPlace) {
  Start("server.max-long-polls = 4\nserver.threads = 2\n");
  std::string auth = "Authorization: Bearer " + Token(*server_, "admin", kAdminPassword) + "\r\n";
  int64_t head = BodyJson(admin_->Get("/api/v1/changes?limit=1000")).value("headSeq", 0);
  std::string poll_request = "GET /api/v1/changes?since=" + std::to_string(head) +
                             "&wait=60 HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n";
  std::vector<std::unique_ptr<RawSocket>> polls;
  for (int i = 0; i < 4; ++i) {
    polls.push_back(std::make_unique<RawSocket>(server_->port()));
    ASSERT_TRUE(polls.back()->Send(poll_request));
  }
  // Once the four are parked, a fifth is refused. Which of five racing
  // requests parks first is the server's choice, so: an original that was
  // refused is sent again, and a probe that parked is closed (its place frees).
  auto four_parked = [&] {
    for (auto& p : polls) {
      if (p->Readable()) {
        p = std::make_unique<RawSocket>(server_->port());
        p->Send(poll_request);
        return false;
      }
    }
    RawSocket probe(server_->port());
    probe.Send(poll_request);
    if (StatusOf(probe.Receive(500)) != 503) return false;
    for (auto& p : polls) {
      if (p->Readable()) return false;  // a probe that had parked held a place
    }
    return true;
  };
  ASSERT_TRUE(WaitUntil(four_parked, 20))
      << server_->StderrText().substr(server_->StderrText().size() > 3000
                                          ? server_->StderrText().size() - 3000
                                          : 0);
  RawSocket fifth(server_->port());
  ASSERT_TRUE(fifth.Send(poll_request));
  std::string refused = fifth.Receive();
  EXPECT_EQ(StatusOf(refused), 503) << refused;
  EXPECT_NE(refused.find("Retry-After: 1"), std::string::npos) << refused;
  EXPECT_NE(BodyOf(refused).find("server.max-long-polls"), std::string::npos) << refused;
  auto served = admin_->Get("/api/v1/server");
  EXPECT_TRUE(served && served->status == 200);
  for (auto& p : polls) EXPECT_FALSE(p->Readable()) << "a parked poll was answered early";
  // The clients go away long before their 60 s: a new poll is parked again.
  polls.clear();
  auto start = std::chrono::steady_clock::now();
  bool parked = WaitUntil([&] {
    auto client = server_->Client();
    auto r = client->Get("/api/v1/changes?since=" + std::to_string(head) + "&wait=1");
    return r && r->status == 200;
  }, 20);
  EXPECT_TRUE(parked);
  std::cout << "long polls: the fifth of four allowed got 503; places freed "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - start).count()
            << " ms after their clients left" << std::endl;
}

// (2a) Compressed bodies are refused before they are read, never inflated.
TEST_F(HttpEngineE2eTest, CompressedBodiesAre415AndNeverInflated) {
  Start();
  std::string bomb = GzipZeros(size_t{128} << 20);
  size_t before = MarkMemory();
  std::string answers;
  for (const char* coding : {"gzip", "deflate", "br"}) {
    RawSocket conn(server_->port());
    std::string body = std::string(coding) == "gzip" ? bomb : std::string("xxxxxxxx");
    conn.Send("POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              "Content-Encoding: " + std::string(coding) + "\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\n\r\n");
    conn.Send(body);
    std::string response = conn.Receive();
    answers += " " + std::string(coding) + " " + std::to_string(StatusOf(response));
    EXPECT_EQ(StatusOf(response), 415) << coding << ": " << response.substr(0, 300);
    Json error = Json::parse(BodyOf(response), nullptr, false);
    EXPECT_TRUE(error.is_object() && error.value("@type", "") == "Error") << response;
    EXPECT_NE(BodyOf(response).find("Content-Encoding"), std::string::npos) << response;
  }
  size_t growth = Growth(before);
  std::cout << "compressed bodies (gzip: " << bomb.size() / 1024 << " KiB inflating to 128 MiB):"
            << answers << "; server peak RSS grew " << growth / 1024 << " MB" << std::endl;
  EXPECT_LT(growth, 20u * 1024);
  EXPECT_TRUE(Healthy());
}

// (2b) A chunked body is stopped at server.max-body-bytes with 413.
TEST_F(HttpEngineE2eTest, ChunkedBodyOverTheLimitIs413AtTheLimit) {
  constexpr size_t kLimit = 1 << 20;
  Start("server.max-body-bytes = " + std::to_string(kLimit) + "\n");
  size_t before = MarkMemory();
  RawSocket conn(server_->port());
  int small = 64 << 10;  // little in flight, so what was sent is close to what was read
  setsockopt(conn.fd(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  ASSERT_TRUE(conn.Send("POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n"));
  std::string chunk(16 << 10, 'a');
  std::string framed = "4000\r\n" + chunk + "\r\n";
  size_t sent = 0;
  constexpr size_t kAttempt = size_t{50} << 20;
  while (sent < kAttempt && !conn.Readable()) {
    if (!conn.Send(framed)) break;
    sent += chunk.size();
  }
  std::string response = conn.Receive();
  size_t growth = Growth(before);
  std::cout << "chunked body: answered " << StatusOf(response) << " after " << sent / 1024
            << " KiB sent of a 50 MiB attempt (limit " << kLimit / 1024
            << " KiB); server peak RSS grew " << growth / 1024 << " MB" << std::endl;
  EXPECT_EQ(StatusOf(response), 413) << response.substr(0, 300);
  EXPECT_NE(BodyOf(response).find("server.max-body-bytes"), std::string::npos) << response;
  // What the kernel's buffers held besides is at most a few MiB.
  EXPECT_LT(sent, kLimit + (size_t{8} << 20));
  EXPECT_LT(growth, 20u * 1024);
  EXPECT_TRUE(Healthy());
}

// (2c) Endless header lines are cut at server.max-header-bytes with 431.
TEST_F(HttpEngineE2eTest, TwoMillionHeaderLinesAre431AtTheHeaderLimit) {
  Start();
  size_t before = MarkMemory();
  RawSocket conn(server_->port());
  ASSERT_TRUE(conn.Send("GET /api/v1/health HTTP/1.1\r\nHost: x\r\n"));
  std::string block;
  for (int i = 0; i < 10000; ++i) block += "X-A: 1\r\n";
  size_t lines = 0;
  while (lines < 2'000'000 && !conn.Readable()) {
    if (!conn.Send(block)) break;
    lines += 10000;
  }
  std::string response = conn.Receive();
  size_t growth = Growth(before);
  std::cout << "header lines: answered " << StatusOf(response) << " after " << lines
            << " lines sent of 2,000,000; server peak RSS grew " << growth / 1024 << " MB"
            << std::endl;
  EXPECT_EQ(StatusOf(response), 431) << response.substr(0, 300);
  EXPECT_NE(BodyOf(response).find("server.max-header-bytes"), std::string::npos) << response;
  EXPECT_LT(growth, 20u * 1024);
  EXPECT_TRUE(Healthy());
}

// (6) Range is not served: 1,000 overlapping parts get the plain answer.
TEST_F(HttpEngineE2eTest, ThousandRangePartsGetTheNormalAnswer) {
  Start();
  std::string pid = CreateProject(*admin_, "ranges");
  Json change = Json::array();
  for (int i = 1; i <= 50; ++i) {
    change.push_back({{"@type", "DataVersion"},
                      {"identity", {{"@id", Uuid(i)}}},
                      {"payload", {{"@type", "PartDefinition"}, {"@id", Uuid(i)},
                                   {"name", "part " + std::to_string(i)}}}});
  }
  auto commit = PostJson(*admin_, "/sysml/v2/projects/" + pid + "/commits",
                         {{"@type", "Commit"}, {"change", change}});
  ASSERT_EQ(commit->status, 201) << commit->body;
  std::string path = "/sysml/v2/projects/" + pid + "/commits/" +
                     BodyJson(commit)["@id"].get<std::string>() + "/elements";
  auto plain = admin_->Get(path);
  ASSERT_EQ(plain->status, 200);
  std::string ranges = "bytes=0-";
  for (int i = 1; i < 1000; ++i) ranges += "," + std::to_string(i) + "-";
  size_t before = MarkMemory();
  auto ranged = admin_->Get(path, {{"Range", ranges}});
  ASSERT_TRUE(ranged);
  size_t growth = Growth(before);
  std::cout << "range: a " << ranges.size() << "-byte Range of 1,000 parts got "
            << ranged->status << " with " << ranged->body.size() << " bytes (plain answer "
            << plain->body.size() << "); server peak RSS grew " << growth / 1024 << " MB"
            << std::endl;
  EXPECT_EQ(ranged->status, 200);
  EXPECT_EQ(ranged->body, plain->body);
  EXPECT_EQ(ranged->get_header_value("Content-Type"), "application/json");
  EXPECT_FALSE(ranged->has_header("Content-Range"));
}

// A streamed answer (a bundle) to a client that stops reading is held back
// by the socket, not buffered; one that disconnects ends the stream and frees
// its worker.
TEST_F(HttpEngineE2eTest, StreamsFollowTheSocketAndEndWhenTheClientLeaves) {
  // The peak RSS below is to measure what the server keeps, not what an
  // AddressSanitizer build holds back of freed memory (its quarantine, up to
  // 256 MB, grows with every byte allocated and freed): bound it for this
  // server. Other builds ignore the variable.
  const char* asan = std::getenv("ASAN_OPTIONS");
  std::string options = asan ? std::string(asan) + ":" : std::string();
  setenv("ASAN_OPTIONS", (options + "quarantine_size_mb=8").c_str(), 1);
  Start("server.threads = 2\n");
  if (asan) {
    setenv("ASAN_OPTIONS", asan, 1);
  } else {
    unsetenv("ASAN_OPTIONS");
  }
  std::string pid = CreateProject(*admin_, "stream");
  // About 8 MiB of random text (6 bits a character) over 12 commits, so that
  // the bundle outgrows the socket buffers.
  uint64_t x = 88172645463325252ull;
  auto noise = [&x](size_t n) {
    static const char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out(n, ' ');
    for (char& c : out) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      c = kAlphabet[x & 63];
    }
    return out;
  };
  for (int c = 0; c < 12; ++c) {
    Json change = Json::array();
    for (int e = 0; e < 16; ++e) {
      change.push_back({{"@type", "DataVersion"},
                        {"identity", {{"@id", Uuid(c * 100 + e + 1)}}},
                        {"payload", {{"@type", "PartDefinition"}, {"@id", Uuid(c * 100 + e + 1)},
                                     {"doc", noise(40 << 10)}}}});
    }
    auto r = PostJson(*admin_, "/sysml/v2/projects/" + pid + "/commits",
                      {{"@type", "Commit"}, {"change", change}});
    ASSERT_EQ(r->status, 201) << r->body;
  }
  std::string auth = "Authorization: Bearer " + Token(*server_, "admin", kAdminPassword) + "\r\n";
  std::string body = Json{{"resources", {pid}}}.dump();
  std::string request = "POST /api/v1/bundles HTTP/1.1\r\nHost: x\r\n" + auth +
                        "Content-Type: application/json\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + body;
  size_t before = MarkMemory();
  for (int round = 0; round < 3; ++round) {  // more rounds than workers
    RawSocket reader(server_->port(), 32 << 10);
    ASSERT_TRUE(reader.Send(request));
    ASSERT_TRUE(reader.Readable(20000));
    char head[4096];
    ssize_t n = recv(reader.fd(), head, sizeof head, 0);
    ASSERT_GT(n, 0);
    EXPECT_EQ(StatusOf(std::string(head, static_cast<size_t>(n))), 200);
    EXPECT_NE(std::string(head, static_cast<size_t>(n)).find("Transfer-Encoding: chunked"),
              std::string::npos);
    // The client reads nothing more for a while: the server must wait, not buffer.
    std::this_thread::sleep_for(std::chrono::milliseconds(round == 0 ? 1500 : 200));
  }  // each reader disconnects mid-stream here
  size_t growth = Growth(before);
  // The stopped streams have freed both workers: requests are served again.
  EXPECT_TRUE(WaitUntil([&] {
    auto r = admin_->Get("/api/v1/server");
    return r && r->status == 200;
  }, 30));
  EXPECT_TRUE(WaitUntil([&] {
    return server_->StderrText().find("stream of /api/v1/bundles stopped") != std::string::npos;
  }, 30)) << server_->StderrText().substr(0, 2000);
  auto whole = PostJson(*admin_, "/api/v1/bundles", Json{{"resources", {pid}}});
  ASSERT_TRUE(whole);
  std::cout << "streams: three readers that stopped and left a " << whole->body.size() / 1024
            << " KiB bundle; server peak RSS grew " << growth / 1024 << " MB" << std::endl;
  EXPECT_EQ(whole->status, 200);
  EXPECT_GT(whole->body.size(), size_t{4} << 20) << "too small to fill the socket buffers";
  EXPECT_LT(growth, 40u * 1024);
}

// Stop() is prompt with parked polls and slow clients: SIGTERM ends the
// server within a few seconds, cleanly.
TEST_F(HttpEngineE2eTest, StopIsPromptWithParkedPollsAndSlowClients) {
  Start();
  std::string auth = "Authorization: Bearer " + Token(*server_, "admin", kAdminPassword) + "\r\n";
  std::vector<std::unique_ptr<RawSocket>> conns;
  for (int i = 0; i < 20; ++i) {
    conns.push_back(std::make_unique<RawSocket>(server_->port()));
    conns.back()->Send(i % 2 ? "GET /api/v1/changes?since=999999&wait=60 HTTP/1.1\r\nHost: x\r\n" +
                                   auth + "\r\n"
                             : std::string("GET /api/v1/health HTTP/1.1\r\nX-Slow"));
  }
  ASSERT_TRUE(Healthy());
  auto start = std::chrono::steady_clock::now();
  int code = server_->Terminate(std::chrono::seconds(30));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - start).count();
  std::cout << "stop: exited with " << code << " after " << ms << " ms with 10 parked polls and "
            << "10 slow clients" << std::endl;
  EXPECT_EQ(code, 0);
  EXPECT_LT(ms, 10000);
}

}  // namespace
}  // namespace tandem::e2e
