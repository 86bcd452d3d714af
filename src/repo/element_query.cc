#include "repo/element_query.h"

#include <algorithm>

#include "repo/metamodel.h"

namespace tandem {
namespace {

bool IsReference(const Json& v) {
  return v.is_object() && v.size() == 1 && v.contains("@id") && v["@id"].is_string();
}

bool EqualValue(const Json& property, const Json& value) {
  if (IsReference(value)) {
    return property.is_object() && property.contains("@id") && property["@id"] == value["@id"];
  }
  if (property.is_number() && value.is_number()) {
    return property.get<double>() == value.get<double>();
  }
  return property == value;
}

bool EqualsAny(const Json& property, const std::vector<Json>& values) {
  auto one = [&](const Json& p) {
    return std::any_of(values.begin(), values.end(),
                       [&](const Json& v) { return EqualValue(p, v); });
  };
  if (property.is_array()) return std::any_of(property.begin(), property.end(), one);
  return one(property);
}

bool Compare(const Json& property, const std::string& op, const Json& value) {
  int order;
  if (property.is_number() && value.is_number()) {
    double a = property.get<double>(), b = value.get<double>();
    order = a < b ? -1 : (a > b ? 1 : 0);
  } else if (property.is_string() && value.is_string()) {
    int c = property.get_ref<const std::string&>().compare(value.get_ref<const std::string&>());
    order = c < 0 ? -1 : (c > 0 ? 1 : 0);
  } else {
    return false;
  }
  if (op == "<") return order < 0;
  if (op == "<=") return order <= 0;
  if (op == ">") return order > 0;
  return order >= 0;  // ">="
}

bool MatchesPrimitive(const QueryConstraint& c, const Json& element) {
  static const Json kNull;
  auto it = element.find(c.property);
  const Json& property = it == element.end() ? kNull : *it;
  if (c.op == "=" || c.op == "in") {
    if (c.property == "@type" || c.property == "name") {
      // The indexed properties are strings (AnalyzeElement): a value of another
      // kind is treated as absent, so that the index and a scan agree.
      return EqualsAny(property.is_string() ? property : kNull, c.values);
    }
    return EqualsAny(property, c.values);
  }
  if (c.op == "instanceOf") {
    if (!property.is_string()) return false;
    const std::string& type = property.get_ref<const std::string&>();
    return std::any_of(c.values.begin(), c.values.end(), [&](const Json& v) {
      return v.is_string() && IsInstanceOf(type, v.get_ref<const std::string&>());
    });
  }
  return !c.values.empty() && Compare(property, c.op, c.values.front());
}

}  // namespace

bool Matches(const QueryConstraint& c, const Json& element) {
  switch (c.kind) {
    case QueryConstraint::Kind::kAnd:
      return std::all_of(c.children.begin(), c.children.end(),
                         [&](const QueryConstraint& k) { return Matches(k, element); });
    case QueryConstraint::Kind::kOr:
      return std::any_of(c.children.begin(), c.children.end(),
                         [&](const QueryConstraint& k) { return Matches(k, element); });
    case QueryConstraint::Kind::kPrimitive:
      break;
  }
  return MatchesPrimitive(c, element) != c.inverse;
}

Json Project(const Json& element, const std::vector<std::string>& select) {
  if (select.empty()) return element;
  Json out = Json::object();
  for (const char* always : {"@id", "@type"}) {
    if (element.contains(always)) out[always] = element[always];
  }
  for (const auto& p : select) {
    auto it = element.find(p);
    if (it != element.end()) out[p] = *it;
  }
  return out;
}

bool IndexDecides(const QueryConstraint& c) {
  switch (c.kind) {
    case QueryConstraint::Kind::kAnd:
      return c.children.size() == 1 && IndexDecides(c.children.front());
    case QueryConstraint::Kind::kOr:
      return std::all_of(c.children.begin(), c.children.end(),
                         [](const auto& k) { return IndexDecides(k); });
    case QueryConstraint::Kind::kPrimitive:
      break;
  }
  return IndexEntriesFor(c).has_value();
}

std::optional<std::vector<IndexEntry>> IndexEntriesFor(const QueryConstraint& c) {
  switch (c.kind) {
    case QueryConstraint::Kind::kAnd: {
      // Any indexed branch bounds the whole; the one naming fewest entries is cheapest.
      std::optional<std::vector<IndexEntry>> best;
      for (const auto& k : c.children) {
        auto entries = IndexEntriesFor(k);
        if (entries && (!best || entries->size() < best->size())) best = std::move(entries);
      }
      return best;
    }
    case QueryConstraint::Kind::kOr: {
      std::vector<IndexEntry> all;
      for (const auto& k : c.children) {
        auto entries = IndexEntriesFor(k);
        if (!entries) return std::nullopt;
        all.insert(all.end(), entries->begin(), entries->end());
      }
      return all;
    }
    case QueryConstraint::Kind::kPrimitive:
      break;
  }
  if (c.inverse) return std::nullopt;
  std::vector<IndexEntry> out;
  if (c.property == "@type" && c.op == "instanceOf") {
    for (const auto& v : c.values) {
      if (!v.is_string()) continue;
      const std::string& name = v.get_ref<const std::string&>();
      auto all = MetaclassWithSpecializations(name);
      if (all.empty()) all.push_back(name);
      for (auto& m : all) out.emplace_back(AttributeKind::kType, std::move(m));
    }
    return out;
  }
  if (c.op != "=" && c.op != "in") return std::nullopt;
  AttributeKind kind;
  if (c.property == "@type") {
    kind = AttributeKind::kType;
  } else if (c.property == "name") {
    kind = AttributeKind::kName;
  } else {
    return std::nullopt;
  }
  for (const auto& v : c.values) {
    if (v.is_null()) return std::nullopt;  // elements without the property are not indexed
    // Any other non-string value equals no indexed string.
    if (v.is_string()) out.emplace_back(kind, v.get<std::string>());
  }
  return out;
}

}  // namespace tandem
