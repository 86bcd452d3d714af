#include "api/request_limits.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

HttpRequest RequestWith(const Fields& headers) {
  HttpRequest req;
  req.method = "GET";
  req.target = "/api/v1/health";
  req.version = "HTTP/1.1";
  req.headers = headers;
  return req;
}

TEST(HeaderProblemTest, WithinTheLimitsThereIsNone) {
  EXPECT_FALSE(HeaderProblem(RequestWith({{"Host", "x"}, {"Content-Length", "12"}}), 1024, 10));
}

TEST(HeaderProblemTest, TooManyOrTooLargeHeadersAre431NamingTheKey) {
  Fields many;
  for (int i = 0; i < 11; ++i) many.emplace_back("X-" + std::to_string(i), "1");
  auto count = HeaderProblem(RequestWith(many), 1 << 20, 10);
  ASSERT_TRUE(count);
  EXPECT_EQ(count->status, 431);
  EXPECT_NE(count->message.find("server.max-header-count"), std::string::npos);

  auto bytes = HeaderProblem(RequestWith({{"X-Big", std::string(2000, 'a')}}), 1024, 10);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->status, 431);
  EXPECT_NE(bytes->message.find("server.max-header-bytes"), std::string::npos);
}

TEST(HeaderProblemTest, ControlCharactersAndNonNumericLengthsAre400) {
  for (const char* value : {"a\rb", "a\nb"}) {
    auto bad = HeaderProblem(RequestWith({{"X-A", value}}), 1024, 10);
    ASSERT_TRUE(bad) << value;
    EXPECT_EQ(bad->status, 400);
  }
  EXPECT_TRUE(HeaderProblem(RequestWith({{"X-A", std::string("a\0b", 3)}}), 1024, 10));
  for (const char* length : {"-1", "abc", "", "1e3", "99999999999999999999"}) {
    auto bad = HeaderProblem(RequestWith({{"Content-Length", length}}), 1024, 10);
    ASSERT_TRUE(bad) << length;
    EXPECT_EQ(bad->status, 400) << length;
  }
}

TEST(HeaderProblemTest, LongLinesAndTargetsAre400And414) {
  auto line = HeaderProblem(RequestWith({{"X-A", std::string(kMaxLineBytes, 'a')}}), 1 << 20, 10);
  ASSERT_TRUE(line);
  EXPECT_EQ(line->status, 400);
  HttpRequest long_target = RequestWith({});
  long_target.target = "/api/v1/health?" + std::string(kMaxLineBytes, 'a');
  auto target = HeaderProblem(long_target, 1 << 20, 10);
  ASSERT_TRUE(target);
  EXPECT_EQ(target->status, 414);
}

TEST(HeaderProblemTest, CompressedBodiesAre415NamingTheHeader) {
  for (const char* coding : {"gzip", "deflate", "br", "identity, gzip", "x-unknown"}) {
    auto bad = HeaderProblem(RequestWith({{"Content-Encoding", coding}}), 1024, 10);
    ASSERT_TRUE(bad) << coding;
    EXPECT_EQ(bad->status, 415) << coding;
    EXPECT_NE(bad->message.find("Content-Encoding"), std::string::npos) << bad->message;
  }
  EXPECT_FALSE(HeaderProblem(RequestWith({{"content-encoding", "identity"}}), 1024, 10));
}

TEST(HeaderProblemTest, OnlyChunkedTransferCodingAndNeverWithALength) {
  EXPECT_FALSE(HeaderProblem(RequestWith({{"Transfer-Encoding", "chunked"}}), 1024, 10));
  auto gzip = HeaderProblem(RequestWith({{"Transfer-Encoding", "gzip, chunked"}}), 1024, 10);
  ASSERT_TRUE(gzip);
  EXPECT_EQ(gzip->status, 501);
  auto both = HeaderProblem(
      RequestWith({{"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}}), 1024, 10);
  ASSERT_TRUE(both);
  EXPECT_EQ(both->status, 400);
}

}  // namespace
}  // namespace tandem
