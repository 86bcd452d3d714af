#include "api/request_limits.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

httplib::Request RequestWith(const httplib::Headers& headers) {
  httplib::Request req;
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
  httplib::Headers many;
  for (int i = 0; i < 11; ++i) many.emplace("X-" + std::to_string(i), "1");
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

}  // namespace
}  // namespace tandem
