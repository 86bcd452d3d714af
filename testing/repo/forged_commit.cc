#include "testing/repo/forged_commit.h"

#include "common/ids.h"
#include "repo/commit_hash.h"

namespace tandem::testing {

Result<ForgedCommit> ForgeCommit(ReadTransaction& txn, const Commit& base,
                                 const std::optional<Commit>& parent,
                                 const std::string& element_id, const std::string& text) {
  ForgedCommit out;
  ElementWrite w;
  w.element_id = element_id;
  w.canonical = text;
  w.version = Sha256(text);
  w.facts = ElementFacts{};
  w.facts->is_root = true;
  ElementState state(txn, StateCaches{});
  ASSIGN_OR_RETURN(StateRoots roots,
                   state.Apply(parent ? RootsOf(*parent) : StateRoots{}, {w}, out.nodes));
  Commit c = base;
  c.parents = parent ? std::vector<std::string>{parent->id} : std::vector<std::string>{};
  c.state_root = roots.elements;
  c.roots_root = roots.roots;
  c.edges_root = roots.edges;
  // The new nodes are not in the store yet: count through a source that sees them.
  c.element_count = (parent ? parent->element_count : 0) + 1;
  if (parent) {
    ASSIGN_OR_RETURN(auto before, state.VersionOf(RootsOf(*parent), element_id));
    if (before) --c.element_count;
  }
  c.change_count = 1;
  ASSIGN_OR_RETURN(c.hash, ComputeCommitHash(c, parent ? std::vector<Hash>{parent->hash}
                                                       : std::vector<Hash>{}));
  out.imported.commit = c;
  out.imported.changes.push_back(
      Change{DerivedUuid(c.id + "/" + element_id), element_id, *w.version});
  out.imported.versions[*w.version] = text;
  return out;
}

Status PlantCommit(WriteTransaction& txn, const ForgedCommit& forged,
                   const std::string& branch_id, const std::optional<std::string>& old_head) {
  for (const auto& [hash, bytes] : forged.nodes) RETURN_IF_ERROR(txn.PutNode(hash, bytes));
  RETURN_IF_ERROR(txn.InsertCommit(forged.imported.commit, forged.imported.changes, {}).status());
  return txn.MoveBranchHead(branch_id, old_head, forged.imported.commit.id);
}

}  // namespace tandem::testing
