// Repository: running queries on a commit's elements, the queries kept in a
// project, and building the attribute index for commits stored before it
// existed.
#include <algorithm>
#include <unordered_map>

#include "common/ids.h"
#include "repo/repository.h"

namespace tandem {
namespace {

// Commits whose index is built in one write transaction (a crash loses at
// most this batch's work, which the next start does again).
constexpr size_t kIndexBatch = 64;

// Ids read from each index entry per round of a query (QueryElements).
constexpr size_t kCandidateBatch = 64;

struct QueryHit {
  std::string key;  // ElementKey: the order of element lists
  std::string id;
  Json element;      // parsed, unless the hit is kept as text
  std::string text;  // the stored JSON text (QueryPage::texts)
};

}  // namespace

Status Repository::BuildMissingAttributeIndexes() {
  std::vector<CommitRoots> missing;
  {
    ASSIGN_OR_RETURN(auto snapshot, store_.BeginRead());
    ASSIGN_OR_RETURN(missing, snapshot->ListCommitsWithoutAttributes());
  }
  for (size_t start = 0; start < missing.size(); start += kIndexBatch) {
    ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
    TrieNodeCache txn_nodes(kTxnNodeCacheEntries);
    ElementState state(*txn, WriteCaches(txn_nodes));
    size_t end = std::min(missing.size(), start + kIndexBatch);
    for (size_t i = start; i < end; ++i) {
      // Commits are listed in store order, so a parent's index (stored earlier,
      // in this transaction or before) is there unless the parent is missing.
      ASSIGN_OR_RETURN(Commit c, LoadCommit(*txn, missing[i].resource_id, missing[i].id));
      StateRoots base;
      if (!c.parents.empty()) {
        ASSIGN_OR_RETURN(auto parent, txn->GetCommit(c.parents.front()));
        if (parent && parent->attrs_root != Hash{}) base = RootsOf(*parent);
      }
      TrieNodeSink sink;
      ASSIGN_OR_RETURN(Hash attrs, state.DeriveAttributes(base, c.state_root, sink));
      for (const auto& [hash, bytes] : sink) RETURN_IF_ERROR(txn->PutNode(hash, bytes));
      RETURN_IF_ERROR(txn->SetCommitAttributesRoot(c.id, attrs));
    }
    RETURN_IF_ERROR(txn->CommitTransaction());
  }
  return Status::Ok();
}

Result<QueryPage> Repository::QueryElements(const std::string& resource_id,
                                            const std::optional<std::string>& commit_id,
                                            const ElementQuery& query, const PageRequest& page) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  std::string at;
  if (commit_id) {
    at = *commit_id;
  } else {
    ASSIGN_OR_RETURN(auto branch, txn->GetBranch(r.default_branch_id));
    if (!branch || !branch->head) return QueryPage{};
    at = *branch->head;
  }
  ASSIGN_OR_RETURN(Commit c, LoadCommit(*txn, r.id, at));
  StateRoots roots = RootsOf(c);
  ElementState state(*txn, &node_cache_);

  bool reverse = page.before.has_value();
  const std::optional<std::string>& cursor = reverse ? page.before : page.after;
  const size_t want = page.limit + 1;  // one more tells whether another page follows
  Status failed = Status::Ok();
  size_t reads = 0;
  std::optional<std::string> stopped_at;
  std::vector<QueryHit> hits;
  std::optional<std::vector<IndexEntry>> entries;
  if (query.where && roots.attrs != Hash{}) entries = IndexEntriesFor(*query.where);
  // Whole elements the index alone selects need not be parsed: they are
  // served as stored (checked to be JSON), which costs half a parse.
  const bool as_text =
      entries && query.texts_when_indexed && query.select.empty() && IndexDecides(*query.where);
  // Adds the element if it matches; false once `out` holds enough or the
  // page has read all it may.
  auto consider = [&](const std::string& id, const Hash& version, std::vector<QueryHit>& out) {
    if (as_text) {
      auto text = state.ElementVersionText(version);
      if (!text.ok()) {
        failed = text.status();
        return false;
      }
      out.push_back({ElementKey(id), id, Json(), std::move(text).value()});
    } else {
      auto e = state.ElementVersion(version);
      if (!e.ok()) {
        failed = e.status();
        return false;
      }
      if (!query.where || Matches(*query.where, *e))
        out.push_back({ElementKey(id), id, std::move(e).value(), ""});
    }
    if (out.size() >= want) return false;
    if (++reads >= options_.max_query_reads) {
      stopped_at = id;
      return false;
    }
    return true;
  };

  if (entries) {
    std::sort(entries->begin(), entries->end());
    entries->erase(std::unique(entries->begin(), entries->end()), entries->end());
    // A merge of the entries' id lists in element-key order, read in rounds
    // of kCandidateBatch ids per entry: a round's candidates are complete up
    // to the nearest last id any still unfinished entry returned (`bound`),
    // so those are matched in order and the next round starts after it. Only
    // candidates are read and parsed, never more than the page needs plus
    // one round's worth.
    auto beyond = [reverse](const std::string& key, const std::string& bound) {
      return reverse ? key < bound : key > bound;
    };
    std::optional<std::string> position = cursor;  // an element id
    while (hits.size() < want) {
      std::vector<std::pair<std::string, std::string>> candidates;  // key, id
      std::optional<std::pair<std::string, std::string>> bound;     // key, id
      for (const auto& [kind, value] : *entries) {
        size_t taken = 0;
        std::pair<std::string, std::string> last;
        RETURN_IF_ERROR(state.ScanAttribute(roots.attrs, kind, value, position, reverse,
                                            [&](const std::string& id) {
                                              last = {ElementKey(id), id};
                                              candidates.push_back(last);
                                              return ++taken < kCandidateBatch;
                                            }));
        if (taken == kCandidateBatch && (!bound || beyond(bound->first, last.first))) bound = last;
      }
      std::sort(candidates.begin(), candidates.end(), [reverse](const auto& x, const auto& y) {
        return reverse ? x.first > y.first : x.first < y.first;
      });
      candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
      for (const auto& [key, id] : candidates) {
        if (bound && beyond(key, bound->first)) break;
        ASSIGN_OR_RETURN(auto version, state.VersionOf(roots, id));
        if (!version) {
          return Status::Corruption("the attribute index names element " + id +
                                    ", which the commit lacks");
        }
        if (!consider(id, *version, hits)) break;
      }
      RETURN_IF_ERROR(failed);
      if (!bound || stopped_at) break;  // every entry was read to its end, or enough for one call
      position = bound->second;
    }
  } else {
    RETURN_IF_ERROR(state.ScanElements(
        roots, cursor, reverse,
        [&](const std::string& id, const Hash& version) { return consider(id, version, hits); }));
  }
  RETURN_IF_ERROR(failed);

  QueryPage out;
  out.stopped_at = stopped_at;
  if (stopped_at) (reverse ? out.more_before : out.more_after) = true;
  if (hits.size() > page.limit) {
    hits.resize(page.limit);
    (reverse ? out.more_before : out.more_after) = true;
  }
  if (reverse) std::reverse(hits.begin(), hits.end());
  if (cursor) (reverse ? out.more_after : out.more_before) = true;
  if (as_text) {
    for (auto& h : hits) {
      out.texts.push_back(std::move(h.text));
      out.text_ids.push_back(std::move(h.id));
    }
    return out;
  }
  out.items.reserve(hits.size());
  for (auto& h : hits) out.items.push_back(Project(h.element, query.select));
  return out;
}

// ---------------------------------------------------------------- stored queries

Result<StoredQuery> Repository::CreateQuery(const std::string& resource_id, const std::string& name,
                                            const std::string& body) {
  RETURN_IF_ERROR(ValidateName(name, "query"));
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  RETURN_IF_ERROR(CheckWritable(r, "storing a query"));
  StoredQuery q{NewUuid(), r.id, name, body, clock_.NowMicros()};
  RETURN_IF_ERROR(txn->InsertQuery(q));
  RETURN_IF_ERROR(Finish(*txn));
  return q;
}

Result<StoredQuery> Repository::LoadQuery(ReadTransaction& txn, const std::string& resource_id,
                                          const std::string& query_id) {
  ASSIGN_OR_RETURN(auto q, txn.GetQuery(query_id));
  if (!q || q->resource_id != resource_id) {
    return Status::NotFound("query " + query_id + " does not exist in project " + resource_id);
  }
  return *q;
}

Result<StoredQuery> Repository::GetQuery(const std::string& resource_id,
                                         const std::string& query_id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  return LoadQuery(*txn, r.id, query_id);
}

Result<Page<StoredQuery>> Repository::ListQueries(const std::string& resource_id,
                                                  const PageRequest& page) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  return txn->ListQueries(r.id, page);
}

Result<StoredQuery> Repository::UpdateQuery(const std::string& resource_id,
                                            const std::string& query_id, const std::string& name,
                                            const std::string& body) {
  RETURN_IF_ERROR(ValidateName(name, "query"));
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  RETURN_IF_ERROR(CheckWritable(r, "changing a query"));
  ASSIGN_OR_RETURN(StoredQuery q, LoadQuery(*txn, r.id, query_id));
  q.name = name;
  q.body = body;
  RETURN_IF_ERROR(txn->UpdateQuery(q));
  RETURN_IF_ERROR(Finish(*txn));
  return q;
}

Status Repository::DeleteQuery(const std::string& resource_id, const std::string& query_id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  RETURN_IF_ERROR(CheckWritable(r, "deleting a query"));
  ASSIGN_OR_RETURN(StoredQuery q, LoadQuery(*txn, r.id, query_id));
  RETURN_IF_ERROR(txn->DeleteQuery(q.id));
  return Finish(*txn);
}

}  // namespace tandem
