#include "api/sysml_meta.h"

#include <gtest/gtest.h>

#include "repo/metamodel.h"

namespace tandem {
namespace {

constexpr char kSysml[] = "https://www.omg.org/spec/SysML/20230201/";
constexpr char kApi[] = "https://www.omg.org/spec/SystemsModelingAPI/20230201/";

TEST(SysmlMetaTest, DatatypesNameEveryMetaclassAndTheApisOwnDataByUri) {
  Json all = DatatypesJson();
  EXPECT_EQ(all["$schema"], "https://json-schema.org/draft/2020-12/schema");
  const Json& defs = all["$defs"];
  EXPECT_EQ(defs.size(), AllMetaclasses().size() + 3);
  for (const char* api : {"ExternalData", "ExternalRelationship", "ProjectUsage"}) {
    ASSERT_TRUE(defs.contains(std::string(kApi) + api)) << api;
  }
  for (const auto& name : AllMetaclasses()) {
    const std::string id = kSysml + name;
    ASSERT_TRUE(defs.contains(id)) << name;
    EXPECT_EQ(defs[id]["$id"], id);
    EXPECT_EQ(defs[id]["properties"]["@type"]["const"], name);
  }
}

TEST(SysmlMetaTest, OneDatatypeByUriOrByNameAndNoneForAnUnknownName) {
  auto by_uri = DatatypeJson(std::string(kApi) + "ExternalData");
  ASSERT_TRUE(by_uri.has_value());
  EXPECT_EQ((*by_uri)["required"], Json::array({"@id", "@type", "resourceIdentifier"}));
  EXPECT_EQ((*by_uri)["additionalProperties"], false);
  EXPECT_EQ(DatatypeJson("ExternalData"), by_uri);

  auto part = DatatypeJson(std::string(kSysml) + "PartUsage");
  ASSERT_TRUE(part.has_value());
  EXPECT_EQ(DatatypeJson("PartUsage"), part);
  // A metaclass admits the attributes it adds to Element's, which Tandem does not check.
  EXPECT_EQ((*part)["additionalProperties"], true);
  EXPECT_TRUE((*part)["properties"].contains("ownedRelationship"));
  EXPECT_FALSE((*part)["properties"].contains("source"));

  auto membership = DatatypeJson("OwningMembership");
  ASSERT_TRUE(membership.has_value());
  EXPECT_TRUE((*membership)["properties"].contains("source"));
  EXPECT_TRUE((*membership)["properties"].contains("ownedRelatedElement"));

  EXPECT_FALSE(DatatypeJson("Boolean").has_value());
  EXPECT_FALSE(DatatypeJson("").has_value());
  EXPECT_FALSE(DatatypeJson(std::string(kSysml)).has_value());
  EXPECT_FALSE(DatatypeJson(std::string(kApi) + "PartUsage").has_value());
  EXPECT_FALSE(DatatypeJson("https://example.org/PartUsage").has_value());
}

}  // namespace
}  // namespace tandem
