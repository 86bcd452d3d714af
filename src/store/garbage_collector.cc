#include "store/garbage_collector.h"

#include <unordered_map>
#include <unordered_set>

#include "store/trie_walker.h"

namespace tandem {
namespace {

Status MarkCommits(ReadTransaction& txn, const std::vector<CommitRoots>& commits,
                   TrieWalker& walker, const TrieWalker::NodeVisitor& on_node,
                   const std::function<void(uint64_t, uint64_t)>& progress) {
  uint64_t done = 0;
  for (const auto& c : commits) {
    for (const Hash* root : {&c.elements, &c.roots, &c.edges, &c.attrs}) {
      if (*root == Hash{}) continue;  // an attribute index not built yet
      Status st = walker.Walk(txn, *root, on_node);
      if (!st.ok()) {
        return st.WithContext("garbage collection stopped, nothing deleted: commit " + c.id +
                              " of project " + c.resource_id + " cannot be read; run --verify");
      }
    }
    if (progress && (++done % 1000 == 0 || done == commits.size())) progress(done, commits.size());
  }
  return Status::Ok();
}

}  // namespace

Result<GarbageReport> CollectGarbage(Store& store, const GcOptions& options) {
  GarbageReport report;
  TrieWalker walker;
  std::unordered_set<Hash, HashHasher> candidates;
  std::unordered_map<std::string, Hash> snapshot_attrs;  // commit id -> attribute index root
  {
    ASSIGN_OR_RETURN(auto snapshot, store.BeginRead());
    ASSIGN_OR_RETURN(auto commits, snapshot->ListCommitRoots(0));
    for (const auto& c : commits) snapshot_attrs.emplace(c.id, c.attrs);
    RETURN_IF_ERROR(MarkCommits(*snapshot, commits, walker, nullptr, options.progress));
    report.commits_marked = commits.size();
    ASSIGN_OR_RETURN(auto all, snapshot->ListNodeHashes());
    for (const auto& h : all) {
      if (!walker.Visited(h)) candidates.insert(h);
    }
  }

  if (options.after_snapshot_mark) options.after_snapshot_mark();
  ASSIGN_OR_RETURN(auto txn, store.BeginWrite());
  ASSIGN_OR_RETURN(report.before, txn->CountContent());
  // Commits made since the snapshot, and older commits whose attribute index
  // was built since (Repository::Bootstrap): their nodes may equal candidates.
  ASSIGN_OR_RETURN(auto now, txn->ListCommitRoots(0));
  std::vector<CommitRoots> newer;
  for (auto& c : now) {
    auto before = snapshot_attrs.find(c.id);
    if (before == snapshot_attrs.end()) {
      newer.push_back(std::move(c));
    } else if (before->second != c.attrs) {
      newer.push_back(CommitRoots{c.seq, c.id, c.resource_id, Hash{}, Hash{}, Hash{}, c.attrs});
    }
  }
  RETURN_IF_ERROR(MarkCommits(*txn, newer, walker,
                              [&](const Hash& h) { candidates.erase(h); }, nullptr));
  report.commits_marked += newer.size();
  std::vector<Hash> dead(candidates.begin(), candidates.end());
  ASSIGN_OR_RETURN(ContentCounts nodes, txn->DeleteNodes(dead));
  ASSIGN_OR_RETURN(ContentCounts versions, txn->DeleteUnreferencedElementVersions());
  RETURN_IF_ERROR(txn->CommitTransaction());
  report.freed = ContentCounts{nodes.trie_nodes, nodes.trie_node_bytes, versions.element_versions,
                               versions.element_version_bytes};
  return report;
}

}  // namespace tandem
