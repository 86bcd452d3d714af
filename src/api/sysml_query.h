// The SysML v2 Query and its constraints as JSON: parsing a QueryRequest (the
// schema's form, and the pilot's looser one: a scalar `value`, a composite of
// one constraint) into an ElementQuery, the schema's form to store and answer,
// and the Query record. Every problem is InvalidArgument naming the field
// ("where.constraint[1].operator") and what it may be. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/canonical_json.h"
#include "repo/element_query.h"
#include "store/records.h"

namespace tandem {

struct ParsedQuery {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::vector<std::string> alias;
  ElementQuery query;
  Json where = nullptr;  // the schema's form of query.where, or null
};

// Limits of one query (a bound on the work its evaluation may do per element).
inline constexpr size_t kMaxQueryConstraints = 256;  // primitive and composite, in all
inline constexpr size_t kMaxQueryValues = 1000;      // per primitive constraint
inline constexpr size_t kMaxQuerySelect = 256;
inline constexpr size_t kMaxQueryNesting = 16;

// `body` is a QueryRequest. `record_id`/`project_id`, when given, are the
// values an "@id" and "owningProject" in the body must have (a PUT of the
// whole record); otherwise those fields are refused.
Result<ParsedQuery> ParseQueryRequest(const Json& body,
                                      const std::optional<std::string>& record_id = std::nullopt,
                                      const std::optional<std::string>& project_id = std::nullopt);

// What is stored of a query (StoredQuery::body): the schema's form.
std::string StoredQueryBody(const ParsedQuery& q);
// A stored query, parsed and checked again (stored data is outside input);
// Corruption when it no longer parses.
Result<ParsedQuery> ParseStoredQuery(const StoredQuery& q);
// The Query record of a stored query.
Result<Json> QueryJson(const StoredQuery& q);

}  // namespace tandem
