#include "store/garbage_collector.h"

#include <unordered_set>

#include "store/trie_walker.h"

namespace tandem {
namespace {

Status MarkCommits(ReadTransaction& txn, const std::vector<CommitRoots>& commits,
                   TrieWalker& walker, const TrieWalker::NodeVisitor& on_node,
                   const std::function<void(uint64_t, uint64_t)>& progress) {
  uint64_t done = 0;
  for (const auto& c : commits) {
    for (const Hash* root : {&c.elements, &c.roots, &c.edges}) {
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
  int64_t marked_up_to = 0;
  {
    ASSIGN_OR_RETURN(auto snapshot, store.BeginRead());
    ASSIGN_OR_RETURN(auto commits, snapshot->ListCommitRoots(0));
    if (!commits.empty()) marked_up_to = commits.back().seq;
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
  ASSIGN_OR_RETURN(auto newer, txn->ListCommitRoots(marked_up_to));
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
