#include "api/sysml_query.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

Json Parsed(const Json& body) {
  auto q = ParseQueryRequest(body);
  EXPECT_TRUE(q.ok()) << q.status().ToString();
  return q.ok() ? q->where : Json();
}

std::string Problem(const Json& body) {
  auto q = ParseQueryRequest(body);
  EXPECT_FALSE(q.ok()) << body.dump();
  EXPECT_EQ(q.status().code(), StatusCode::kInvalidArgument);
  return q.status().message();
}

Json Prim(const char* property, const char* op, Json value) {
  return Json{
      {"@type", "PrimitiveConstraint"}, {"operator", op}, {"property", property}, {"value", value}};
}

TEST(SysmlQueryTest, ThePilotsLooserFormIsAnsweredInTheSchemasForm) {
  // A scalar value becomes a list, inverse is spelled out, a composite of one
  // constraint is that constraint.
  Json where = Parsed({{"@type", "Query"},
                       {"where",
                        {{"@type", "CompositeConstraint"},
                         {"operator", "and"},
                         {"constraint", Json::array({Prim("@type", "=", "PartUsage")})}}}});
  EXPECT_EQ(where, (Json{{"@type", "PrimitiveConstraint"},
                         {"inverse", false},
                         {"operator", "="},
                         {"property", "@type"},
                         {"value", Json::array({"PartUsage"})}}));
  // Without "@type" the kind follows from the fields.
  Json two =
      Parsed({{"where",
               {{"operator", "or"},
                {"constraint", Json::array({Prim("name", "=", "a"), Prim("name", "=", "b")})}}}});
  EXPECT_EQ(two["@type"], "CompositeConstraint");
  EXPECT_EQ(two["constraint"].size(), 2u);
  // References are normalized like every id.
  Json ref =
      Parsed({{"where", Prim("owner", "=", {{"@id", "0A1B2C3D-0000-4000-8000-000000000001"}})}});
  EXPECT_EQ(ref["value"][0]["@id"], "0a1b2c3d-0000-4000-8000-000000000001");
}

TEST(SysmlQueryTest, BadQueriesNameTheFieldAndWhatItMayBe) {
  EXPECT_NE(Problem({{"where", Prim("@type", "like", "x")}})
                .find("where.operator 'like' is not an operator; use one of <, <=, =, >, >=, in, "
                      "instanceOf"),
            std::string::npos);
  Json numeric_property = Prim("@type", "=", "x");
  numeric_property["property"] = 7;
  EXPECT_NE(Problem({{"where", numeric_property}}).find("'property'"), std::string::npos);
  EXPECT_NE(Problem({{"where", Prim("value", "<", Json::array({1, 2}))}})
                .find("where.value of operator < must be one number or string"),
            std::string::npos);
  EXPECT_NE(Problem({{"where", Prim("@type", "instanceOf", "PartUse")}})
                .find("'PartUse' is not a KerML or SysML metaclass"),
            std::string::npos);
  EXPECT_NE(Problem({{"where", Prim("name", "instanceOf", "PartUsage")}})
                .find("where.property of operator instanceOf must be \"@type\""),
            std::string::npos);
  EXPECT_NE(
      Problem({{"where", {{"operator", "xor"}, {"constraint", Json::array({Prim("a", "=", 1)})}}}})
          .find("where.operator 'xor' is not allowed; use and or or"),
      std::string::npos);
  EXPECT_NE(Problem({{"where",
                      {{"@type", "CompositeConstraint"},
                       {"operator", "and"},
                       {"constraint", Json::array()}}}})
                .find("where.constraint must be a list of at least one constraint"),
            std::string::npos);
  EXPECT_NE(Problem({{"where", Prim("a", "=", Json::array())}})
                .find("where.value must hold at least one value"),
            std::string::npos);
  EXPECT_NE(
      Problem({{"where", Prim("a", "=", Json::array({Json::array({1})}))}}).find("where.value[0]"),
      std::string::npos);
  EXPECT_NE(Problem({{"select", Json::array({""})}}).find("query: select[0]"), std::string::npos);
  EXPECT_NE(
      Problem({{"@id", "0a1b2c3d-0000-4000-8000-000000000001"}}).find("'@id' cannot be chosen"),
      std::string::npos);
  EXPECT_NE(Problem({{"limit", 3}}).find("limit"), std::string::npos);
  // Where in a nested constraint the problem is.
  Json nested{{"operator", "and"},
              {"constraint", Json::array({Prim("a", "=", 1), Prim("b", "~", 1)})}};
  EXPECT_NE(Problem({{"where", nested}}).find("where.constraint[1].operator"), std::string::npos);
}

TEST(SysmlQueryTest, NestingAndSizeAreBounded) {
  Json deep = Prim("a", "=", 1);
  for (size_t i = 0; i <= kMaxQueryNesting; ++i) {
    deep = Json{{"operator", "and"}, {"constraint", Json::array({deep, Prim("b", "=", 1)})}};
  }
  EXPECT_NE(Problem({{"where", deep}}).find("deeper than"), std::string::npos);
  Json wide = Json::array();
  for (size_t i = 0; i <= kMaxQueryConstraints; ++i) wide.push_back(Prim("a", "=", 1));
  EXPECT_NE(Problem({{"where", {{"operator", "or"}, {"constraint", wide}}}})
                .find("one constraint too many"),
            std::string::npos);
}

TEST(SysmlQueryTest, AStoredQueryIsReadBackAsTheSameRecordAndCheckedAgain) {
  auto parsed = ParseQueryRequest({{"@type", "Query"},
                                   {"name", "parts"},
                                   {"select", Json::array({"name"})},
                                   {"where", Prim("@type", "=", "PartUsage")}});
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  StoredQuery stored{"0a1b2c3d-0000-4000-8000-000000000009", "0a1b2c3d-0000-4000-8000-000000000001",
                     "parts", StoredQueryBody(*parsed), 0};
  auto record = QueryJson(stored);
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_EQ((*record)["owningProject"]["@id"], stored.resource_id);
  EXPECT_EQ((*record)["where"], parsed->where);
  EXPECT_EQ((*record)["select"], Json::array({"name"}));
  // A planted or damaged row is refused, not run.
  stored.body = R"({"where": {"operator": "drop", "property": "a", "value": [1]}})";
  EXPECT_EQ(QueryJson(stored).status().code(), StatusCode::kCorruption);
  stored.body = "not json";
  EXPECT_EQ(ParseStoredQuery(stored).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace tandem
