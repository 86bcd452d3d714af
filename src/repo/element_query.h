// ElementQuery: the `where` and `select` of a SysML v2 Query, checked and in
// the schema's form (api/sysml_query.h parses it from JSON), with what running
// it needs: whether an element matches, and which entries of the attribute
// index (element_state.h) hold every element that can match, so that a query
// on @type, name or instanceOf reads only those elements. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/canonical_json.h"
#include "repo/element_state.h"

namespace tandem {

struct QueryConstraint {
  enum class Kind { kPrimitive, kAnd, kOr };
  Kind kind = Kind::kPrimitive;
  // kPrimitive
  std::string property;
  std::string op;            // one of kQueryOperators
  std::vector<Json> values;  // at least one
  bool inverse = false;
  // kAnd, kOr: at least one
  std::vector<QueryConstraint> children;
};

inline constexpr const char* kQueryOperators[] = {"<", "<=", "=", ">", ">=", "in", "instanceOf"};

struct ElementQuery {
  std::optional<QueryConstraint> where;  // none: every element
  std::vector<std::string> select;       // none: whole elements
  // Answer whole elements as their stored JSON text (QueryPage::texts) when
  // the attribute index alone decides the match, so none is parsed.
  bool texts_when_indexed = false;
};

// Whether `element` satisfies `c`:
// - `=` and `in`: the property's value equals one of the values (a reference
//   {"@id": x} equals a reference with the same id; when the property holds a
//   list, one of its items must equal one of the values; an absent property
//   equals null);
// - `<`, `<=`, `>`, `>=`: the property and the value are both numbers or both
//   strings (compared by code point), and compare so;
// - `instanceOf` (property "@type"): the element's metaclass is the value or
//   specializes it (metamodel.h);
// `inverse` negates the outcome.
bool Matches(const QueryConstraint& c, const Json& element);

// The element with only the selected properties (and "@id", "@type").
Json Project(const Json& element, const std::vector<std::string>& select);

// Index entries whose elements include every element matching `c`, or none
// when no such set exists (an inverse, a comparison, an `or` with a branch
// that is not indexed): then every element has to be read.
using IndexEntry = std::pair<AttributeKind, std::string>;
std::optional<std::vector<IndexEntry>> IndexEntriesFor(const QueryConstraint& c);

// Whether the elements of IndexEntriesFor(c) are exactly those matching `c`
// (a primitive constraint the index answers, or an `or` of such), so that no
// element needs to be matched again.
bool IndexDecides(const QueryConstraint& c);

}  // namespace tandem
