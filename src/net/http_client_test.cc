// HttpClient against a real socket on loopback whose server side misbehaves
// on purpose: it stalls, drips, answers compressed or too much. Every case
// must end with a clear error, within its time-out and memory bound.
#include "net/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <thread>

namespace tandem {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Steady = std::chrono::steady_clock;

// Accepts one connection at a time; reads a request head, then runs `behave`
// with the connected socket. Stops when destroyed.
class MisbehavingServer {
 public:
  explicit MisbehavingServer(std::function<void(int fd, const std::atomic<bool>& stop)> behave)
      : behave_(std::move(behave)) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(listener_, 8), 0);
    socklen_t len = sizeof addr;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~MisbehavingServer() {
    stop_ = true;
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    thread_.join();
  }
  ServerUrl url() const { return ServerUrl{"http", "127.0.0.1", port_, true}; }

 private:
  void Loop() {
    while (!stop_) {
      int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      std::string head;
      char c;
      while (head.find("\r\n\r\n") == std::string::npos && read(fd, &c, 1) == 1) head.push_back(c);
      behave_(fd, stop_);
      close(fd);
    }
  }
  std::function<void(int, const std::atomic<bool>&)> behave_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

void Send(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

void Idle(const std::atomic<bool>& stop, milliseconds d) {
  auto end = Steady::now() + d;
  while (!stop && Steady::now() < end) std::this_thread::sleep_for(milliseconds(10));
}

ClientRequest Get() { return ClientRequest{"GET", "/sync/v1/info", "", "", {}, nullptr}; }

TEST(HttpClientTest, AStalledServerIsAnErrorAfterTheIdleTimeoutNamingTheSetting) {
  MisbehavingServer server([](int, const std::atomic<bool>& stop) { Idle(stop, seconds(30)); });
  HttpClientOptions options;
  options.idle_timeout = seconds(1);
  options.peer = "the source";
  options.idle_setting = "sync.read-timeout-seconds";
  HttpClient client(server.url(), options);
  auto started = Steady::now();
  auto reply = client.Send(Get());
  auto took = Steady::now() - started;
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(reply.status().message().find("stalled"), std::string::npos) << reply.status().message();
  EXPECT_NE(reply.status().message().find("sync.read-timeout-seconds"), std::string::npos);
  EXPECT_LT(took, seconds(5));
}

TEST(HttpClientTest, ADrippingServerIsCutOffAtTheDeadline) {
  MisbehavingServer server([](int fd, const std::atomic<bool>& stop) {
    Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
    while (!stop) {
      Send(fd, "x");
      Idle(stop, milliseconds(200));
    }
  });
  HttpClientOptions options;
  options.idle_timeout = seconds(10);
  options.deadline = seconds(1);
  HttpClient client(server.url(), options);
  auto started = Steady::now();
  auto reply = client.Send(Get());
  auto took = Steady::now() - started;
  ASSERT_FALSE(reply.ok());
  EXPECT_NE(reply.status().message().find("did not answer within 1 s"), std::string::npos)
      << reply.status().message();
  EXPECT_LT(took, seconds(3));
}

TEST(HttpClientTest, ACancellationEndsARequestWithinARead) {
  MisbehavingServer server([](int fd, const std::atomic<bool>& stop) {
    Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nabc");
    Idle(stop, seconds(30));
  });
  HttpClient client(server.url(), HttpClientOptions{});
  Cancellation cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(200));
    cancel.Cancel();
  });
  auto started = Steady::now();
  std::string streamed;
  ClientRequest req = Get();
  req.body_sink = [&](std::string_view b) {
    streamed.append(b);
    return true;
  };
  auto reply = client.Send(req, cancel);
  auto took = Steady::now() - started;
  canceller.join();
  ASSERT_FALSE(reply.ok());
  EXPECT_NE(reply.status().message().find("cancelled"), std::string::npos) << reply.status().message();
  EXPECT_EQ(streamed, "abc");
  EXPECT_LT(took, seconds(1));
}

TEST(HttpClientTest, CompressedAnswersAreRefusedNotInflated) {
  MisbehavingServer server([](int fd, const std::atomic<bool>&) {
    // A few bytes claiming gzip: never decompressed, whatever they would inflate to.
    Send(fd, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nabcd");
  });
  HttpClient client(server.url(), HttpClientOptions{});
  auto reply = client.Send(Get());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kCorruption);
  EXPECT_NE(reply.status().message().find("Content-Encoding 'gzip'"), std::string::npos)
      << reply.status().message();
}

TEST(HttpClientTest, AnAnswerOverItsLimitIsRefusedWhileItArrives) {
  MisbehavingServer server([](int fd, const std::atomic<bool>& stop) {
    Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n");
    std::string block(65536, 'a');
    for (int i = 0; i < 16384 && !stop; ++i) Send(fd, block);  // 1 GiB, if it were all read
  });
  HttpClientOptions options;
  options.max_response_bytes = 1 << 20;
  HttpClient client(server.url(), options);
  auto reply = client.Send(Get());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kTooLarge);
  EXPECT_NE(reply.status().message().find("larger than 1048576 bytes"), std::string::npos);
}

TEST(HttpClientTest, AnOrdinaryAnswerArrivesWhole) {
  MisbehavingServer server([](int fd, const std::atomic<bool>&) {
    Send(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
             "Connection: close\r\n\r\n{\"ok\":true}");
  });
  HttpClient client(server.url(), HttpClientOptions{});
  auto reply = client.Send(Get());
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "{\"ok\":true}");
  EXPECT_EQ(reply->Header("content-type"), "application/json");
}

TEST(HttpClientTest, AnAnswerWithoutABodyKeepsItsStatus) {
  MisbehavingServer server([](int fd, const std::atomic<bool>&) {
    Send(fd, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  });
  HttpClient client(server.url(), HttpClientOptions{});
  auto reply = client.Send(ClientRequest{"DELETE", "/api/v1/categories/x", "", "", {}, nullptr});
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 204);
  EXPECT_TRUE(reply->body.empty());
}

}  // namespace
}  // namespace tandem
