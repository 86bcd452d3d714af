#include "api/http_request.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

TEST(HttpRequestTest, TargetsDecodeLikeTheyDidUnderHttplib) {
  std::string path;
  std::multimap<std::string, std::string> params;
  ParseTarget("/sysml/v2/projects/..%2f..%2fx?page%5Bsize%5D=1&x=%0d%0a+y&flag&&b=%zz", path,
              params);
  EXPECT_EQ(path, "/sysml/v2/projects/../../x");
  EXPECT_EQ(params.size(), 4u);
  EXPECT_EQ(params.find("page[size]")->second, "1");
  EXPECT_EQ(params.find("x")->second, "\r\n y");  // '+' is a space in a query only
  EXPECT_EQ(params.find("flag")->second, "");
  EXPECT_EQ(params.find("b")->second, "%zz");  // not an escape: kept
  ParseTarget("/a+b%20c", path, params);
  EXPECT_EQ(path, "/a+b c");
  EXPECT_TRUE(params.empty());
}

TEST(HttpRequestTest, HeaderNamesAreCaseInsensitive) {
  HttpRequest req;
  req.headers = {{"Content-Type", "application/json"}, {"X-A", "1"}, {"x-a", "2"}};
  EXPECT_EQ(req.Header("content-type"), "application/json");
  EXPECT_EQ(req.Header("X-A"), "1");
  EXPECT_TRUE(req.HasHeader("CONTENT-TYPE"));
  EXPECT_FALSE(req.HasHeader("Authorization"));
  EXPECT_EQ(req.Header("Authorization"), "");
}

}  // namespace
}  // namespace tandem
