#include "sync/sysml_import.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

TEST(SysmlImportTest, TheApiBaseIsAnOriginAndAPathWithoutTrailingSlash) {
  auto tandem = ImportService::ParseApiBase("https://models.example:8443/sysml/v2/");
  ASSERT_TRUE(tandem.ok()) << tandem.status().ToString();
  EXPECT_EQ(tandem->origin.scheme, "https");
  EXPECT_EQ(tandem->origin.host, "models.example");
  EXPECT_EQ(tandem->origin.port, 8443);
  EXPECT_EQ(tandem->path, "/sysml/v2");

  auto pilot = ImportService::ParseApiBase("http://pilot:9000");
  ASSERT_TRUE(pilot.ok()) << pilot.status().ToString();
  EXPECT_EQ(pilot->origin.port, 9000);
  EXPECT_EQ(pilot->path, "");
  EXPECT_EQ(ImportService::ParseApiBase("http://pilot:9000/")->path, "");
}

TEST(SysmlImportTest, UrlsThatCannotNameAnApiAreRefusedSayingWhy) {
  struct Case {
    const char* url;
    const char* needle;
  };
  for (const auto& c : std::vector<Case>{
           {"models.example/sysml/v2", "is not http[s]://host[:port]"},
           {"ftp://models.example/sysml", "import URL"},
           {"http://models.example/sysml/v2?x=1", "may hold only letters"},
           {"http://models.example/a b", "may hold only letters"},
           {"http://models.example/sysml/../api/v1", "may not contain '..'"},
           {"http://user:secret@models.example/sysml", "import URL"},
       }) {
    auto base = ImportService::ParseApiBase(c.url);
    ASSERT_FALSE(base.ok()) << c.url;
    EXPECT_EQ(base.status().code(), StatusCode::kInvalidArgument) << c.url;
    EXPECT_NE(base.status().message().find(c.needle), std::string::npos)
        << c.url << ": " << base.status().message();
  }
}

}  // namespace
}  // namespace tandem
