// Repository::Merge: a three-way merge by element. The merge base is the
// newest common ancestor of the branch head and the source commit; each side's
// changes are the elements its state differs in from the base's (a trie diff,
// so the cost follows the changes, not the model). An element only the source
// changed is taken; one both changed to the same version is kept; one both
// changed differently (or one changed and the other deleted) conflicts unless
// the request resolves it. The merge commit's change set is relative to its
// first parent, the branch head, like every commit's, so synchronization and
// bundles carry it unchanged.
#include <map>
#include <queue>

#include "common/ids.h"
#include "repo/repository.h"

namespace tandem {
namespace {

// Every element that differs between two states: id -> version at `compare`
// (nullopt: absent there).
Result<std::map<std::string, std::optional<Hash>>> ChangedSince(ElementState& state,
                                                                const StateRoots& base,
                                                                const StateRoots& compare) {
  std::map<std::string, std::optional<Hash>> out;
  PageRequest page;
  page.limit = 4096;
  while (true) {
    ASSIGN_OR_RETURN(auto entries, state.Diff(base, compare, page));
    for (auto& e : entries.items) out.emplace(e.element_id, e.compare);
    if (!entries.more_after || entries.items.empty()) return out;
    page.after = entries.items.back().element_id;
  }
}

}  // namespace

Result<std::optional<Commit>> Repository::MergeBase(ReadTransaction& txn, const Commit& a,
                                                    const Commit& b) {
  // Walk both ancestries newest first (local order: a parent's seq is below
  // its children's), painting each commit with the sides it is reachable
  // from. A commit is popped only after every walked descendant, so its paint
  // is final then; the first one painted by both sides is the newest common
  // ancestor, and no other common ancestor descends from it.
  constexpr unsigned kFromA = 1, kFromB = 2;
  std::map<std::string, unsigned> paint;
  auto older = [](const Commit& x, const Commit& y) { return x.seq < y.seq; };
  std::priority_queue<Commit, std::vector<Commit>, decltype(older)> frontier(older);
  paint[a.id] |= kFromA;
  paint[b.id] |= kFromB;
  frontier.push(a);
  if (b.id != a.id) frontier.push(b);
  while (!frontier.empty()) {
    Commit c = frontier.top();
    frontier.pop();
    unsigned sides = paint[c.id];
    if (sides == (kFromA | kFromB)) return std::optional<Commit>(std::move(c));
    for (const auto& pid : c.parents) {
      auto [it, fresh] = paint.emplace(pid, 0u);
      it->second |= sides;
      if (!fresh) continue;
      ASSIGN_OR_RETURN(Commit p, LoadCommit(txn, c.resource_id, pid));
      frontier.push(std::move(p));
    }
  }
  return std::optional<Commit>();
}

Result<MergeOutcome> Repository::Merge(const std::string& resource_id, const MergeRequest& request,
                                       const std::string& author) {
  RETURN_IF_ERROR(ValidateDescription(request.description, "merge commit"));
  ASSIGN_OR_RETURN(std::vector<ElementWrite> resolutions,
                   PrepareWrites(request.resolutions, "resolution"));
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  RETURN_IF_ERROR(CheckWritable(r, "merge"));
  ASSIGN_OR_RETURN(auto branch, txn->GetBranch(request.branch_id));
  if (!branch || branch->resource_id != r.id) {
    return Status::NotFound("branch " + request.branch_id + " does not exist in project " + r.id);
  }
  ASSIGN_OR_RETURN(Commit source, LoadCommit(*txn, r.id, request.source_commit_id));
  if (!branch->head) {
    return Status::Conflict("branch '" + branch->name +
                            "' has no commit to merge into; create a branch at commit " +
                            source.id + " instead");
  }
  ASSIGN_OR_RETURN(Commit head, LoadCommit(*txn, r.id, *branch->head));
  ASSIGN_OR_RETURN(auto base, MergeBase(*txn, head, source));
  MergeOutcome out;
  if (base && base->id == source.id) {
    if (!resolutions.empty()) {
      return Status::InvalidArgument("commit " + source.id + " is already merged into branch '" +
                                     branch->name + "'; there is nothing to resolve");
    }
    out.commit = std::move(head);  // already merged: nothing to store
    return out;
  }

  StateRoots base_roots = base ? RootsOf(*base) : StateRoots{};
  ElementState state(*txn, &node_cache_);
  ASSIGN_OR_RETURN(auto ours, ChangedSince(state, base_roots, RootsOf(head)));
  ASSIGN_OR_RETURN(auto theirs, ChangedSince(state, base_roots, RootsOf(source)));

  std::map<std::string, const ElementWrite*> resolved;
  for (const auto& w : resolutions) resolved.emplace(w.element_id, &w);
  std::vector<ElementWrite> writes;
  for (const auto& [id, version] : theirs) {
    auto mine = ours.find(id);
    const ElementWrite* resolution = nullptr;
    if (auto rs = resolved.find(id); rs != resolved.end()) {
      resolution = rs->second;
      resolved.erase(rs);
    }
    bool conflict = mine != ours.end() && mine->second != version;
    if (resolution && !conflict) {
      return Status::InvalidArgument("resolution for element " + id +
                                     ", which does not conflict; resolve only the elements a "
                                     "merge answered 409 for");
    }
    if (conflict && !resolution) {
      out.conflicts.push_back(id);
      continue;
    }
    if (!out.conflicts.empty()) continue;  // nothing is stored; only list the conflicts
    if (resolution) {
      if (resolution->version != mine->second) writes.push_back(*resolution);
      continue;
    }
    if (mine != ours.end()) continue;  // the same change on both sides
    ElementWrite w;
    w.element_id = id;
    if (version) {
      ASSIGN_OR_RETURN(std::string canonical, txn->GetElementVersion(*version));
      ASSIGN_OR_RETURN(Json element,
                       ParseCanonicalJson(canonical, "element " + id, options_.max_json_depth));
      auto facts = AnalyzeElement(element);
      if (!facts.ok())
        return facts.status().WithContext("element " + id + " of commit " + source.id);
      w.version = version;
      w.canonical = std::move(canonical);
      w.facts = std::move(facts).value();
    }
    writes.push_back(std::move(w));
  }
  if (!resolved.empty()) {
    return Status::InvalidArgument("resolution for element " + resolved.begin()->first +
                                   ", which the source commit does not change; resolve only the "
                                   "elements a merge answered 409 for");
  }
  if (!out.conflicts.empty()) return out;
  if (writes.size() > options_.max_changes_per_commit) {
    return Status::TooLarge("the merge would change " + std::to_string(writes.size()) +
                            " elements; a commit may hold at most " +
                            std::to_string(options_.max_changes_per_commit));
  }
  RETURN_IF_ERROR(CheckUsedProjects(*txn, writes));
  std::string description = request.description.value_or("Merge commit " + source.id +
                                                         " into branch '" + branch->name + "'");
  ASSIGN_OR_RETURN(Commit c, CommitToBranch(*txn, r, *branch, {head, source}, writes,
                                            {std::nullopt, description, author, "", std::nullopt}));
  RETURN_IF_ERROR(Finish(*txn));
  out.commit = std::move(c);
  out.created = true;
  return out;
}

}  // namespace tandem
