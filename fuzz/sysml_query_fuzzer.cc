// Fuzz target: a SysML v2 Query from a client or a stored row (the body of
// POST /query-results and /queries): ParseQueryRequest, the schema form kept
// in the store and its parse back (ParseStoredQuery), and the evaluation of
// the constraint on elements of the real model's shapes. Beyond crashes it
// checks the contract of the kept form: it parses back to the same query, and
// the index entries of a query bound its matches on every sample element.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "api/sysml_query.h"
#include "repo/element_query.h"

namespace {

void Fail(const char* what) {
  std::fprintf(stderr, "%s\n", what);
  std::abort();
}

const tandem::Json& SampleElements() {
  static const tandem::Json elements = tandem::Json::parse(R"([
    {"@id": "0a1b2c3d-0000-4000-8000-000000000001", "@type": "PartUsage", "name": "wheel",
     "owner": {"@id": "0a1b2c3d-0000-4000-8000-000000000002"}, "isComposite": true},
    {"@id": "0a1b2c3d-0000-4000-8000-000000000002", "@type": "PartDefinition", "name": "Vehicle",
     "ownedMember": [{"@id": "0a1b2c3d-0000-4000-8000-000000000001"}]},
    {"@id": "0a1b2c3d-0000-4000-8000-000000000003", "@type": "LiteralInteger", "value": 4},
    {"@id": "0a1b2c3d-0000-4000-8000-000000000004", "@type": "OwningMembership",
     "memberShortName": "kg", "name": null},
    {"@id": "0a1b2c3d-0000-4000-8000-000000000005", "@type": "Comment", "name": ["not", "a name"]}
  ])");
  return elements;
}

// Whether `e` is in one of the index entries (as AnalyzeElement indexes it).
bool InEntries(const tandem::Json& e, const std::vector<tandem::IndexEntry>& entries) {
  for (const auto& [kind, value] : entries) {
    const char* key = kind == tandem::AttributeKind::kType ? "@type" : "name";
    auto it = e.find(key);
    if (it != e.end() && it->is_string() && it->get<std::string>() == value) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tandem;
  auto json =
      ParseJson(std::string_view(reinterpret_cast<const char*>(data), size), "fuzzed query");
  if (!json.ok()) return 0;
  auto parsed = ParseQueryRequest(*json);
  if (!parsed.ok()) return 0;
  StoredQuery stored{"0a1b2c3d-0000-4000-8000-000000000009", "0a1b2c3d-0000-4000-8000-000000000008",
                     parsed->name.value_or("q"), StoredQueryBody(*parsed), 0};
  auto again = ParseStoredQuery(stored);
  if (!again.ok()) Fail("a query's stored form does not parse back");
  if (again->where != parsed->where || again->query.select != parsed->query.select) {
    Fail("a query's stored form parses back to another query");
  }
  if (!parsed->query.where) return 0;
  auto entries = IndexEntriesFor(*parsed->query.where);
  for (const auto& e : SampleElements()) {
    bool matches = Matches(*parsed->query.where, e);
    if (matches != Matches(*again->query.where, e)) Fail("the stored form matches otherwise");
    if (matches && entries && !InEntries(e, *entries)) {
      Fail("an element matches a query but lies outside the index entries that bound it");
    }
    (void)Project(e, parsed->query.select);
  }
  return 0;
}
