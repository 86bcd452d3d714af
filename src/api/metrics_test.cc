#include "api/metrics.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

TEST(RouteLabelTest, CaptureGroupsBecomePlaceholdersAndEscapesTheirCharacter) {
  EXPECT_EQ(RouteLabel("/api/v1/server"), "/api/v1/server");
  EXPECT_EQ(RouteLabel("/sysml/v2/projects/([^/]+)/commits/([^/]+)"),
            "/sysml/v2/projects/{param}/commits/{param}");
  EXPECT_EQ(RouteLabel("/sysml/v2/meta/datatypes/(.+)"), "/sysml/v2/meta/datatypes/{path}");
  EXPECT_EQ(RouteLabel("/api/v1/users/((?:[a-z]|-)+)"), "/api/v1/users/{param}");
  EXPECT_EQ(RouteLabel("/a\\.b"), "/a.b");
}

}  // namespace
}  // namespace tandem
