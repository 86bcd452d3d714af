// ElementState: a commit's model state, read and written through four Merkle
// tries that share one node store:
//   elements: SHA-256(element id) -> element version hash + element id
//   roots:    SHA-256(element id) -> element id, for elements with no owner
//   edges:    SHA-256(related id) + SHA-256(relationship id) + 'i'|'o' -> relationship id
//   attrs:    't'|'n' + SHA-256(@type or name) + SHA-256(element id) -> element id
// Only `elements` is covered by the commit hash; the others are indexes
// derived from it, so roots, relationships and the elements of one type or
// name are listed without scanning the model. Not thread-safe (one per
// transaction).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/canonical_json.h"
#include "common/lru_cache.h"
#include "store/merkle_trie.h"
#include "store/records.h"
#include "store/store.h"
#include "store/trie_node_cache.h"

namespace tandem {

struct StateRoots {
  Hash elements = MerkleTrie::EmptyRoot();
  Hash roots = MerkleTrie::EmptyRoot();
  Hash edges = MerkleTrie::EmptyRoot();
  // All zero for a commit stored before the attribute index existed (until
  // Repository::Bootstrap builds it); Apply then derives the base's first.
  Hash attrs = MerkleTrie::EmptyRoot();
};

// The attributes the `attrs` index is keyed by.
enum class AttributeKind : char { kType = 't', kName = 'n' };

enum class RelationshipDirection { kIn, kOut, kBoth };

// What the state keeps about one element version.
struct ElementFacts {
  std::string type;                 // "@type"
  std::optional<std::string> name;  // "name", when it is a string
  bool is_root = false;
  std::vector<std::string> sources;  // relationship ends (ids), empty if not a relationship
  std::vector<std::string> targets;
  std::optional<ProjectUsage> usage;  // set for @type ProjectUsage
};

// Reads the facts from a stored element's JSON. InvalidArgument names the bad field.
Result<ElementFacts> AnalyzeElement(const Json& element);

// One element written (payload) or deleted (nullopt) by a commit.
struct ElementWrite {
  std::string element_id;
  std::optional<std::string> canonical;  // canonical JSON including "@id"
  std::optional<Hash> version;           // SHA-256 of canonical
  std::optional<ElementFacts> facts;
};

struct DiffEntry {
  std::string element_id;
  std::optional<Hash> base;
  std::optional<Hash> compare;
};

// The facts of element versions by version hash (derived from the version's
// text, so never stale). Apply needs the old version's facts of every element
// it changes; without the cache it would read and parse the old text.
using FactsCache = LruCache<Hash, ElementFacts, HashHasher>;

// What an ElementState reads through. A write transaction gives `txn_nodes`,
// a cache of its own for the nodes it reads and writes (docs: StoreNodeSource).
struct StateCaches {
  TrieNodeCache* nodes = nullptr;      // shared by all requests
  TrieNodeCache* txn_nodes = nullptr;  // this write transaction's own
  FactsCache* facts = nullptr;
};

class ElementState {
 public:
  // For reads: nodes through (and into) the shared cache.
  ElementState(ReadTransaction& txn, TrieNodeCache* cache) : ElementState(txn, StateCaches{cache}) {}
  ElementState(ReadTransaction& txn, StateCaches caches)
      : source_(txn, caches.nodes, caches.txn_nodes), txn_(txn), facts_(caches.facts) {}

  // Version hash of `element_id` at `roots`, if present.
  Result<std::optional<Hash>> VersionOf(const StateRoots& roots, const std::string& element_id);
  // The element's JSON (as stored) at `roots`; NotFound if absent.
  Result<Json> Element(const StateRoots& roots, const std::string& element_id);
  Result<Json> ElementVersion(const Hash& version);
  // The version's stored JSON text, checked to be JSON within the depth
  // bound as ElementVersion's parse would (Corruption otherwise), unparsed.
  Result<std::string> ElementVersionText(const Hash& version);

  // Applies `writes` to `base`; new trie nodes go to `sink`. Deleting an
  // element that is absent is InvalidArgument.
  Result<StateRoots> Apply(const StateRoots& base, const std::vector<ElementWrite>& writes,
                           TrieNodeSink& sink);

  // Pages of element ids (cursor = element id), in trie order.
  Result<Page<std::string>> ListElements(const StateRoots& roots, const PageRequest& page);
  Result<Page<std::string>> ListRoots(const StateRoots& roots, const PageRequest& page);
  Result<Page<std::string>> ListRelationships(const StateRoots& roots,
                                              const std::string& element_id,
                                              RelationshipDirection direction,
                                              const PageRequest& page);
  // Elements that differ between two states, after `after` (element id), at most `limit`+1.
  Result<Page<DiffEntry>> Diff(const StateRoots& base, const StateRoots& compare,
                               const PageRequest& page);

  Result<uint64_t> Count(const StateRoots& roots);

  // The attribute index of the state whose elements trie is `elements`,
  // derived from `base` (a state whose attrs are built; StateRoots{} for the
  // empty one) by the elements that differ. New nodes go to `sink`.
  Result<Hash> DeriveAttributes(const StateRoots& base, const Hash& elements, TrieNodeSink& sink);

  // Visits the elements with attribute `kind` = `value` in element-key order
  // (ElementKey; descending if `reverse`), strictly after (before) the element
  // `from` when given. `visit` gets the element id and returns false to stop.
  using IdVisitor = std::function<bool(const std::string& element_id)>;
  Status ScanAttribute(const Hash& attrs, AttributeKind kind, const std::string& value,
                       const std::optional<std::string>& from, bool reverse,
                       const IdVisitor& visit);
  // Visits every element in element-key order, with its version.
  using ElementVisitor = std::function<bool(const std::string& element_id, const Hash& version)>;
  Status ScanElements(const StateRoots& roots, const std::optional<std::string>& from,
                      bool reverse, const ElementVisitor& visit);

 private:
  struct ScanSpec {
    std::string prefix;             // only keys starting with it (edges of one element)
    std::optional<char> direction;  // only edge keys ending in it
    size_t id_offset = 0;           // where the id starts in the entry's value
  };
  Result<Page<std::string>> ScanIds(const Hash& root, const PageRequest& page,
                                    const ScanSpec& spec);
  // The facts of a stored version (through the facts cache).
  Result<std::shared_ptr<const ElementFacts>> FactsOf(const Hash& version);
  // Mutations of the attrs trie for one element whose facts change.
  static void AttributeMutations(const std::string& element_id, const ElementFacts* before,
                                 const ElementFacts* after, std::vector<TrieMutation>& out);

  StoreNodeSource source_;
  ReadTransaction& txn_;
  FactsCache* facts_;  // may be null
};

// Trie keys, exposed for tests and tools.
std::string ElementKey(const std::string& element_id);

}  // namespace tandem
