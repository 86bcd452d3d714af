#include "repo/element_state.h"

#include <algorithm>
#include <functional>
#include <set>

#include "common/ids.h"

namespace tandem {
namespace {

constexpr char kIn = 'i';
constexpr char kOut = 'o';

std::string KeyBytes(const std::string& id) { return std::string(HashBytes(Sha256(id))); }

std::string AttributeKey(AttributeKind kind, const std::string& value, const std::string& id) {
  return static_cast<char>(kind) + KeyBytes(value) + KeyBytes(id);
}

std::string EdgeKey(const std::string& related, const std::string& relationship, char dir) {
  return KeyBytes(related) + KeyBytes(relationship) + dir;
}

bool IsNullOrAbsent(const Json& obj, const char* field) {
  auto it = obj.find(field);
  return it == obj.end() || it->is_null();
}

// Reads a reference list ([{"@id": ...}] or a single {"@id": ...}) from `field`.
Result<std::vector<std::string>> References(const Json& obj, const char* field) {
  std::vector<std::string> out;
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return out;
  auto one = [&](const Json& ref) -> Status {
    if (!ref.is_object() || !ref.contains("@id") || !ref["@id"].is_string()) {
      return Status::InvalidArgument(std::string("'") + field +
                                     "' must hold references of the form {\"@id\": \"...\"}");
    }
    // Index keys must match lookups, which use normalized UUIDs.
    std::string id = ref["@id"].get<std::string>();
    if (!IsUuid(id)) {
      return Status::InvalidArgument(std::string("'") + field + "' refers to '" + id +
                                     "', which is not a UUID");
    }
    out.push_back(NormalizeUuid(id));
    return Status::Ok();
  };
  if (it->is_array()) {
    for (const auto& ref : *it) RETURN_IF_ERROR(one(ref));
  } else {
    RETURN_IF_ERROR(one(*it));
  }
  return out;
}

}  // namespace

std::string ElementKey(const std::string& element_id) { return KeyBytes(element_id); }

Result<ElementFacts> AnalyzeElement(const Json& e) {
  ElementFacts f;
  auto type = e.find("@type");
  if (type != e.end() && type->is_string()) f.type = type->get<std::string>();
  auto name = e.find("name");
  if (name != e.end() && name->is_string()) f.name = name->get<std::string>();
  f.is_root = IsNullOrAbsent(e, "owner") && IsNullOrAbsent(e, "owningRelatedElement") &&
              IsNullOrAbsent(e, "owningRelationship");
  ASSIGN_OR_RETURN(f.sources, References(e, "source"));
  ASSIGN_OR_RETURN(f.targets, References(e, "target"));
  if (e.value("@type", "") == "ProjectUsage") {
    ASSIGN_OR_RETURN(auto project, References(e, "usedProject"));
    ASSIGN_OR_RETURN(auto commit, References(e, "usedCommit"));
    if (project.size() != 1 || commit.size() != 1) {
      return Status::InvalidArgument(
          "a ProjectUsage needs 'usedProject' and 'usedCommit', each {\"@id\": \"...\"}");
    }
    f.usage = ProjectUsage{e.value("@id", ""), project[0], commit[0]};
  }
  return f;
}

Result<std::optional<Hash>> ElementState::VersionOf(const StateRoots& roots,
                                                    const std::string& element_id) {
  MerkleTrie trie(source_);
  ASSIGN_OR_RETURN(auto value, trie.Get(roots.elements, ElementKey(element_id)));
  if (!value) return std::optional<Hash>();
  if (value->size() < 32) return Status::Corruption("element entry too short for " + element_id);
  return std::optional<Hash>(HashFromBytes(std::string_view(*value).substr(0, 32)));
}

namespace {
Status Unservable(const Status& why) {
  return Status::Corruption(
      why.message() + "; the record cannot be served ('datamanager --verify' lists such records)");
}
}  // namespace

Result<Json> ElementState::ElementVersion(const Hash& version) {
  ASSIGN_OR_RETURN(std::string text, txn_.GetElementVersion(version));
  // Bounded whatever the store holds: a record that slipped in deeper (an
  // older server, a planted row) is refused here rather than built into a DOM
  // whose dump would overflow the stack of the thread answering the request.
  auto parsed = ParseJson(text, "stored element version " + ToHex(version));
  if (!parsed.ok()) return Unservable(parsed.status());
  return parsed;
}

Result<std::string> ElementState::ElementVersionText(const Hash& version) {
  ASSIGN_OR_RETURN(std::string text, txn_.GetElementVersion(version));
  Status valid = CheckJson(text, "stored element version " + ToHex(version));
  if (!valid.ok()) return Unservable(valid);
  return text;
}

Result<Json> ElementState::Element(const StateRoots& roots, const std::string& element_id) {
  ASSIGN_OR_RETURN(auto version, VersionOf(roots, element_id));
  if (!version) return Status::NotFound("element " + element_id + " does not exist at this commit");
  return ElementVersion(*version);
}

Result<StateRoots> ElementState::Apply(const StateRoots& base,
                                       const std::vector<ElementWrite>& writes,
                                       TrieNodeSink& sink) {
  std::vector<TrieMutation> elements, roots, edges, attrs;
  StateRoots from = base;
  if (from.attrs == Hash{}) {
    ASSIGN_OR_RETURN(from.attrs, DeriveAttributes(StateRoots{}, base.elements, sink));
  }
  for (const auto& w : writes) {
    std::string key = ElementKey(w.element_id);
    ASSIGN_OR_RETURN(auto old_version, VersionOf(base, w.element_id));
    if (!w.version && !old_version) {
      return Status::InvalidArgument("element " + w.element_id +
                                     " cannot be deleted: it does not exist in the parent commit");
    }
    std::shared_ptr<const ElementFacts> old_facts;
    if (old_version) {
      ASSIGN_OR_RETURN(old_facts, FactsOf(*old_version));
    }
    const ElementFacts* new_facts = w.version ? &*w.facts : nullptr;
    if (w.version) {
      if (facts_) facts_->Insert(*w.version, std::make_shared<const ElementFacts>(*w.facts));
      elements.push_back({key, std::string(HashBytes(*w.version)) + w.element_id});
    } else {
      elements.push_back({key, std::nullopt});
    }
    // The derived indexes change only where the old and the new version's
    // facts differ (most edits touch neither ownership nor relationship ends);
    // an entry's value is the element id, the same for both versions.
    bool was_root = old_facts && old_facts->is_root;
    bool is_root = new_facts && new_facts->is_root;
    if (was_root && !is_root) roots.push_back({key, std::nullopt});
    if (is_root && !was_root) roots.push_back({key, w.element_id});
    auto edge_keys = [&](const ElementFacts* facts) {
      std::set<std::string> keys;
      if (!facts) return keys;
      for (const auto& s : facts->sources) keys.insert(EdgeKey(s, w.element_id, kOut));
      for (const auto& t : facts->targets) keys.insert(EdgeKey(t, w.element_id, kIn));
      return keys;
    };
    std::set<std::string> before = edge_keys(old_facts.get()), after = edge_keys(new_facts);
    for (const auto& k : before) {
      if (!after.count(k)) edges.push_back({k, std::nullopt});
    }
    for (const auto& k : after) {
      if (!before.count(k)) edges.push_back({k, w.element_id});
    }
    AttributeMutations(w.element_id, old_facts.get(), new_facts, attrs);
  }
  // Each element is written once per commit, so no two mutations share a key.
  MerkleTrie trie(source_);
  StateRoots out;
  ASSIGN_OR_RETURN(out.elements, trie.Apply(base.elements, std::move(elements), sink));
  ASSIGN_OR_RETURN(out.roots, trie.Apply(base.roots, std::move(roots), sink));
  ASSIGN_OR_RETURN(out.edges, trie.Apply(base.edges, std::move(edges), sink));
  ASSIGN_OR_RETURN(out.attrs, trie.Apply(from.attrs, std::move(attrs), sink));
  for (const auto& [hash, bytes] : sink) source_.Wrote(hash, bytes);
  return out;
}

void ElementState::AttributeMutations(const std::string& element_id, const ElementFacts* before,
                                      const ElementFacts* after, std::vector<TrieMutation>& out) {
  auto keys = [&](const ElementFacts* facts) {
    std::set<std::string> k;
    if (!facts) return k;
    k.insert(AttributeKey(AttributeKind::kType, facts->type, element_id));
    if (facts->name) k.insert(AttributeKey(AttributeKind::kName, *facts->name, element_id));
    return k;
  };
  std::set<std::string> old_keys = keys(before), new_keys = keys(after);
  for (const auto& k : old_keys) {
    if (!new_keys.count(k)) out.push_back({k, std::nullopt});
  }
  for (const auto& k : new_keys) {
    if (!old_keys.count(k)) out.push_back({k, element_id});
  }
}

Result<Hash> ElementState::DeriveAttributes(const StateRoots& base, const Hash& elements,
                                            TrieNodeSink& sink) {
  if (base.attrs == Hash{}) return Status::InvalidArgument("the base state has no attribute index");
  std::vector<TrieMutation> attrs;
  Status failed = Status::Ok();
  auto version_of = [](const std::string* value) -> std::optional<Hash> {
    if (!value || value->size() < 32) return std::nullopt;
    return HashFromBytes(std::string_view(*value).substr(0, 32));
  };
  RETURN_IF_ERROR(MerkleTrie(source_).Diff(
      base.elements, elements, std::nullopt,
      [&](std::string_view, const std::string* b, const std::string* c) {
        const std::string* any = b ? b : c;
        if (any->size() <= 32) {
          failed = Status::Corruption("an elements-trie entry is too short");
          return false;
        }
        std::string id = any->substr(32);
        std::shared_ptr<const ElementFacts> facts[2];
        const std::string* sides[2] = {b, c};
        for (int i = 0; i < 2; ++i) {
          auto v = version_of(sides[i]);
          if (!v) continue;
          auto f = FactsOf(*v);
          if (!f.ok()) {
            failed = f.status();
            return false;
          }
          facts[i] = *f;
        }
        AttributeMutations(id, facts[0].get(), facts[1].get(), attrs);
        return true;
      }));
  RETURN_IF_ERROR(failed);
  return MerkleTrie(source_).Apply(base.attrs, std::move(attrs), sink);
}

Status ElementState::ScanAttribute(const Hash& attrs, AttributeKind kind, const std::string& value,
                                   const std::optional<std::string>& from, bool reverse,
                                   const IdVisitor& visit) {
  std::string prefix = static_cast<char>(kind) + KeyBytes(value);
  // Without a cursor the scan starts just outside the prefix's keys: at the
  // key of an element whose id hashes to all 0x00 (0xff when reverse), which
  // SHA-256 does not produce.
  std::optional<std::string> begin =
      prefix + (from ? KeyBytes(*from) : std::string(32, reverse ? '\xff' : '\0'));
  return MerkleTrie(source_).Scan(attrs, begin, reverse, [&](const TrieEntry& e) {
    if (e.key.compare(0, prefix.size(), prefix) != 0) return false;
    return visit(e.value);
  });
}

Status ElementState::ScanElements(const StateRoots& roots, const std::optional<std::string>& from,
                                  bool reverse, const ElementVisitor& visit) {
  std::optional<std::string> begin;
  if (from) begin = ElementKey(*from);
  Status failed = Status::Ok();
  RETURN_IF_ERROR(MerkleTrie(source_).Scan(roots.elements, begin, reverse, [&](const TrieEntry& e) {
    if (e.value.size() <= 32) {
      failed = Status::Corruption("an elements-trie entry is too short");
      return false;
    }
    return visit(e.value.substr(32), HashFromBytes(std::string_view(e.value).substr(0, 32)));
  }));
  return failed;
}

Result<std::shared_ptr<const ElementFacts>> ElementState::FactsOf(const Hash& version) {
  if (facts_) {
    if (auto hit = facts_->Find(version)) return hit;
  }
  ASSIGN_OR_RETURN(Json element, ElementVersion(version));
  ASSIGN_OR_RETURN(ElementFacts facts, AnalyzeElement(element));
  auto shared = std::make_shared<const ElementFacts>(std::move(facts));
  if (facts_) facts_->Insert(version, shared);
  return shared;
}

Result<Page<std::string>> ElementState::ScanIds(const Hash& root, const PageRequest& page,
                                                const ScanSpec& spec) {
  bool backward = page.before.has_value();
  const auto& cursor = backward ? page.before : page.after;
  std::optional<std::string> from;
  if (cursor) {
    from = spec.prefix + KeyBytes(*cursor);
    // Edge keys end in a direction byte: step over every edge of the cursor.
    if (!spec.prefix.empty()) *from += backward ? '\0' : '\xff';
  } else if (!spec.prefix.empty()) {
    from = spec.prefix + std::string(33, '\0');
  }
  Page<std::string> out;
  std::string last;
  Status st = MerkleTrie(source_).Scan(root, from, backward, [&](const TrieEntry& e) {
    if (e.key.compare(0, spec.prefix.size(), spec.prefix) != 0) return false;
    if (spec.direction && e.key.back() != *spec.direction) return true;
    std::string id = spec.id_offset ? e.value.substr(spec.id_offset) : e.value;
    if (id == last) return true;  // an element related to itself both ways shows once
    last = id;
    if (out.items.size() == page.limit) {
      (backward ? out.more_before : out.more_after) = true;
      return false;
    }
    out.items.push_back(std::move(id));
    return true;
  });
  RETURN_IF_ERROR(st);
  if (backward) std::reverse(out.items.begin(), out.items.end());
  if (cursor) (backward ? out.more_after : out.more_before) = true;
  return out;
}

Result<Page<std::string>> ElementState::ListElements(const StateRoots& roots,
                                                     const PageRequest& page) {
  return ScanIds(roots.elements, page, ScanSpec{"", std::nullopt, 32});
}

Result<Page<std::string>> ElementState::ListRoots(const StateRoots& roots,
                                                  const PageRequest& page) {
  return ScanIds(roots.roots, page, ScanSpec{"", std::nullopt, 0});
}

Result<Page<std::string>> ElementState::ListRelationships(const StateRoots& roots,
                                                          const std::string& element_id,
                                                          RelationshipDirection direction,
                                                          const PageRequest& page) {
  std::optional<char> dir;
  if (direction == RelationshipDirection::kIn) dir = kIn;
  if (direction == RelationshipDirection::kOut) dir = kOut;
  return ScanIds(roots.edges, page, ScanSpec{KeyBytes(element_id), dir, 0});
}

Result<Page<DiffEntry>> ElementState::Diff(const StateRoots& base, const StateRoots& compare,
                                           const PageRequest& page) {
  if (page.before) {
    return Status::InvalidArgument("page[before] is not supported for diffs; use page[after]");
  }
  std::optional<std::string> from;
  if (page.after) from = ElementKey(*page.after);
  Page<DiffEntry> out;
  Status st = MerkleTrie(source_).Diff(
      base.elements, compare.elements, from,
      [&](std::string_view, const std::string* b, const std::string* c) {
        if (out.items.size() == page.limit) {
          out.more_after = true;
          return false;
        }
        DiffEntry d;
        const std::string* any = b ? b : c;
        d.element_id = any->substr(32);
        if (b) d.base = HashFromBytes(std::string_view(*b).substr(0, 32));
        if (c) d.compare = HashFromBytes(std::string_view(*c).substr(0, 32));
        out.items.push_back(std::move(d));
        return true;
      });
  RETURN_IF_ERROR(st);
  out.more_before = page.after.has_value();
  return out;
}

Result<uint64_t> ElementState::Count(const StateRoots& roots) {
  return MerkleTrie(source_).Count(roots.elements);
}

}  // namespace tandem
