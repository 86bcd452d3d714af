#include "api/sysml_query.h"

#include <algorithm>

#include "common/ids.h"
#include "common/json_fields.h"
#include "repo/metamodel.h"

namespace tandem {
namespace {

constexpr size_t kMaxPropertyBytes = 256;

std::string OperatorList() {
  std::string out;
  for (const char* op : kQueryOperators) out += std::string(out.empty() ? "" : ", ") + op;
  return out;
}

bool IsOperator(const std::string& op) {
  return std::any_of(std::begin(kQueryOperators), std::end(kQueryOperators),
                     [&](const char* o) { return op == o; });
}

Status Bad(const std::string& where, const std::string& problem) {
  return Status::InvalidArgument("query: " + where + " " + problem);
}

class ConstraintParser {
 public:
  // Parses `v` (at `where`) into `out` and its schema form into `json`.
  Status Parse(const Json& v, const std::string& where, size_t depth, QueryConstraint& out,
               Json& json) {
    if (depth > kMaxQueryNesting) {
      return Bad(where,
                 "nests constraints deeper than " + std::to_string(kMaxQueryNesting) + " levels");
    }
    if (++count_ > kMaxQueryConstraints) {
      return Bad(where, "is one constraint too many: a query holds at most " +
                            std::to_string(kMaxQueryConstraints));
    }
    if (!v.is_object())
      return Bad(where, "must be a PrimitiveConstraint or CompositeConstraint object");
    std::string type;
    if (auto t = v.find("@type"); t != v.end()) {
      if (!t->is_string()) return Bad(where + ".@type", "must be a string");
      type = t->get<std::string>();
    } else {
      type = v.contains("constraint") ? "CompositeConstraint" : "PrimitiveConstraint";
    }
    if (type == "CompositeConstraint") return Composite(v, where, depth, out, json);
    if (type == "PrimitiveConstraint") return Primitive(v, where, out, json);
    return Bad(where + ".@type", "'" + type.substr(0, 64) +
                                     "' is not a constraint; use PrimitiveConstraint or "
                                     "CompositeConstraint");
  }

 private:
  Status Composite(const Json& v, const std::string& where, size_t depth, QueryConstraint& out,
                   Json& json) {
    ASSIGN_OR_RETURN(auto f, JsonFields::Of(v, "query: " + where));
    RETURN_IF_ERROR(f.OnlyAllowed({"@type", "constraint", "operator"}));
    ASSIGN_OR_RETURN(std::string op, f.RequiredString("operator"));
    if (op != "and" && op != "or") {
      return Bad(where + ".operator", "'" + op.substr(0, 64) + "' is not allowed; use and or or");
    }
    if (!f.Has("constraint") || !f.Get("constraint").is_array() || f.Get("constraint").empty()) {
      return Bad(where + ".constraint", "must be a list of at least one constraint");
    }
    const Json& list = f.Get("constraint");
    if (list.size() == 1) {
      // One constraint combined with nothing is that constraint (the schema
      // wants two or more; clients of the pilot send one).
      return Parse(list[0], where + ".constraint[0]", depth + 1, out, json);
    }
    out.kind = op == "and" ? QueryConstraint::Kind::kAnd : QueryConstraint::Kind::kOr;
    Json children = Json::array();
    for (size_t i = 0; i < list.size(); ++i) {
      QueryConstraint child;
      Json child_json;
      RETURN_IF_ERROR(Parse(list[i], where + ".constraint[" + std::to_string(i) + "]", depth + 1,
                            child, child_json));
      out.children.push_back(std::move(child));
      children.push_back(std::move(child_json));
    }
    json = Json{
        {"@type", "CompositeConstraint"}, {"constraint", std::move(children)}, {"operator", op}};
    return Status::Ok();
  }

  Status Primitive(const Json& v, const std::string& where, QueryConstraint& out, Json& json) {
    ASSIGN_OR_RETURN(auto f, JsonFields::Of(v, "query: " + where));
    RETURN_IF_ERROR(f.OnlyAllowed({"@type", "inverse", "operator", "property", "value"}));
    out.kind = QueryConstraint::Kind::kPrimitive;
    ASSIGN_OR_RETURN(out.property, f.RequiredString("property"));
    if (out.property.empty() || out.property.size() > kMaxPropertyBytes) {
      return Bad(where + ".property",
                 "must name a property (1 to " + std::to_string(kMaxPropertyBytes) + " bytes)");
    }
    ASSIGN_OR_RETURN(out.op, f.RequiredString("operator"));
    if (!IsOperator(out.op)) {
      return Bad(where + ".operator",
                 "'" + out.op.substr(0, 64) + "' is not an operator; use one of " + OperatorList());
    }
    ASSIGN_OR_RETURN(auto inverse, f.OptionalBool("inverse"));
    out.inverse = inverse.value_or(false);
    if (!f.Has("value")) return Bad(where + ".value", "is required (a value or a list of values)");
    const Json& value = f.Get("value");
    Json values = value.is_array() ? value : Json::array({value});
    if (values.empty()) return Bad(where + ".value", "must hold at least one value");
    if (values.size() > kMaxQueryValues) {
      return Bad(where + ".value",
                 "holds more than " + std::to_string(kMaxQueryValues) + " values");
    }
    for (size_t i = 0; i < values.size(); ++i) {
      Json& item = values[i];
      std::string at = where + ".value[" + std::to_string(i) + "]";
      if (item.is_object()) {
        if (item.size() != 1 || !item.contains("@id") || !item["@id"].is_string() ||
            !IsUuid(item["@id"].get<std::string>())) {
          return Bad(at, "must be a boolean, number, string, null or {\"@id\": UUID}");
        }
        item["@id"] = NormalizeUuid(item["@id"].get<std::string>());
      } else if (item.is_array()) {
        return Bad(at, "must be a boolean, number, string, null or {\"@id\": UUID}, not a list");
      }
    }
    bool comparison = out.op != "=" && out.op != "in" && out.op != "instanceOf";
    if (comparison && (values.size() != 1 || !(values[0].is_number() || values[0].is_string()))) {
      return Bad(where + ".value", "of operator " + out.op + " must be one number or string");
    }
    if (out.op == "instanceOf") {
      if (out.property != "@type") {
        return Bad(where + ".property", "of operator instanceOf must be \"@type\"");
      }
      for (const auto& item : values) {
        if (!item.is_string() || !IsMetaclass(item.get<std::string>())) {
          std::string shown =
              item.is_string() ? item.get<std::string>().substr(0, 64) : item.dump();
          return Bad(where + ".value",
                     "'" + shown.substr(0, 64) +
                         "' is not a KerML or SysML metaclass (e.g. Element, PartUsage, "
                         "PartDefinition)");
        }
      }
    }
    out.values.assign(values.begin(), values.end());
    json = Json{{"@type", "PrimitiveConstraint"},
                {"inverse", out.inverse},
                {"operator", out.op},
                {"property", out.property},
                {"value", std::move(values)}};
    return Status::Ok();
  }

  size_t count_ = 0;
};

Result<std::vector<std::string>> StringList(const JsonFields& f, const char* key, size_t max) {
  std::vector<std::string> out;
  if (!f.Has(key) || f.Get(key).is_null()) return out;
  const Json& list = f.Get(key);
  std::string what = std::string("query: ") + key;
  if (!list.is_array()) return Status::InvalidArgument(what + " must be a list of strings");
  if (list.size() > max) {
    return Status::InvalidArgument(what + " holds more than " + std::to_string(max) + " entries");
  }
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_string() || list[i].get_ref<const std::string&>().empty() ||
        list[i].get_ref<const std::string&>().size() > kMaxPropertyBytes) {
      return Status::InvalidArgument(what + "[" + std::to_string(i) +
                                     "] must be a non-empty string of at most " +
                                     std::to_string(kMaxPropertyBytes) + " bytes");
    }
    out.push_back(list[i].get<std::string>());
  }
  return out;
}

}  // namespace

Result<ParsedQuery> ParseQueryRequest(const Json& body, const std::optional<std::string>& record_id,
                                      const std::optional<std::string>& project_id) {
  ASSIGN_OR_RETURN(auto f, JsonFields::Of(body, "query"));
  RETURN_IF_ERROR(f.OnlyAllowed(
      {"@id", "@type", "alias", "description", "name", "owningProject", "select", "where"}));
  RETURN_IF_ERROR(f.TypeIs("Query"));
  if (f.Has("@id")) {
    const Json& id = f.Get("@id");
    if (!record_id || !id.is_string() || !IsUuid(id.get<std::string>()) ||
        NormalizeUuid(id.get<std::string>()) != *record_id) {
      return Status::InvalidArgument(record_id
                                         ? "query: '@id' must be the query's id " + *record_id
                                         : "query: '@id' cannot be chosen; the server assigns it");
    }
  }
  if (f.Has("owningProject")) {
    ASSIGN_OR_RETURN(std::string owner, f.RequiredReference("owningProject"));
    if (!project_id || owner != *project_id) {
      return Status::InvalidArgument("query: 'owningProject' must be the project of the request");
    }
  }
  ParsedQuery out;
  ASSIGN_OR_RETURN(out.name, f.OptionalString("name"));
  ASSIGN_OR_RETURN(out.description, f.OptionalString("description"));
  ASSIGN_OR_RETURN(out.alias, StringList(f, "alias", kMaxQuerySelect));
  ASSIGN_OR_RETURN(out.query.select, StringList(f, "select", kMaxQuerySelect));
  if (f.Has("where") && !f.Get("where").is_null()) {
    QueryConstraint where;
    RETURN_IF_ERROR(ConstraintParser().Parse(f.Get("where"), "where", 0, where, out.where));
    out.query.where = std::move(where);
  }
  return out;
}

std::string StoredQueryBody(const ParsedQuery& q) {
  Json body{{"@type", "Query"},
            {"alias", q.alias},
            {"description", q.description ? Json(*q.description) : Json(nullptr)},
            {"name", q.name.value_or("")},
            {"select", q.query.select},
            {"where", q.where}};
  return body.dump();
}

Result<ParsedQuery> ParseStoredQuery(const StoredQuery& q) {
  auto parsed = ParseJson(q.body, "stored query " + q.id);
  if (parsed.ok()) {
    auto query = ParseQueryRequest(*parsed);
    if (query.ok()) return query;
    parsed = query.status();
  }
  return Status::Corruption("stored query " + q.id + " cannot be read (" +
                            parsed.status().message() + "); replace it with PUT");
}

Result<Json> QueryJson(const StoredQuery& q) {
  ASSIGN_OR_RETURN(ParsedQuery parsed, ParseStoredQuery(q));
  return Json{{"@id", q.id},
              {"@type", "Query"},
              {"alias", parsed.alias},
              {"description", parsed.description ? Json(*parsed.description) : Json(nullptr)},
              {"name", q.name},
              {"owningProject", Json{{"@id", q.resource_id}}},
              {"select", parsed.query.select},
              {"where", parsed.where}};
}

}  // namespace tandem
