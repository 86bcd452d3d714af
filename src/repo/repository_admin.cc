// Administration calls of Repository used by the datamanager tool: deleting
// resources and branches with their history, and removing read-only flags.
// Each is one write transaction with its change-feed events.
#include <map>
#include <set>

#include "common/ids.h"
#include "common/strings.h"
#include "repo/repository.h"

namespace tandem {
namespace {

constexpr size_t kBatch = 1000;

template <typename T, typename ListPage>
Result<std::vector<T>> Everything(ListPage list_page) {
  std::vector<T> out;
  PageRequest page{std::nullopt, std::nullopt, kBatch};
  while (true) {
    ASSIGN_OR_RETURN(Page<T> p, list_page(page));
    for (auto& item : p.items) out.push_back(std::move(item));
    if (!p.more_after || out.empty()) return out;
    page.after = out.back().id;
  }
}

Result<std::vector<Commit>> AllCommits(ReadTransaction& txn, const std::string& resource_id) {
  return Everything<Commit>(
      [&](const PageRequest& p) { return txn.ListCommits(resource_id, p, false); });
}
Result<std::vector<Branch>> AllBranches(ReadTransaction& txn, const std::string& resource_id) {
  return Everything<Branch>([&](const PageRequest& p) { return txn.ListBranches(resource_id, p); });
}
Result<std::vector<Tag>> AllTags(ReadTransaction& txn, const std::string& resource_id) {
  return Everything<Tag>([&](const PageRequest& p) { return txn.ListTags(resource_id, p); });
}

// Ids of `starts` and all their ancestors in `by_id`.
std::set<std::string> Reach(const std::map<std::string, const Commit*>& by_id,
                            const std::vector<std::string>& starts) {
  std::set<std::string> seen;
  std::vector<std::string> stack(starts.begin(), starts.end());
  while (!stack.empty()) {
    std::string id = std::move(stack.back());
    stack.pop_back();
    auto it = by_id.find(id);
    if (it == by_id.end() || !seen.insert(id).second) continue;
    for (const auto& p : it->second->parents) stack.push_back(p);
  }
  return seen;
}

}  // namespace

Status Repository::DeleteResources(const std::vector<std::string>& ids, bool force,
                                   const AdminVeto& veto) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  std::vector<Resource> doomed;
  std::set<std::string> doomed_ids;
  for (const auto& id : ids) {
    ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, id));
    if (doomed_ids.insert(r.id).second) doomed.push_back(std::move(r));
  }
  if (!force) {
    for (const auto& r : doomed) {
      ASSIGN_OR_RETURN(auto users, txn->ListUsersOfResource(r.id));
      std::vector<std::string> outside;
      for (const auto& u : users) {
        if (!doomed_ids.count(u)) outside.push_back(u);
      }
      if (!outside.empty()) {
        return Status::Conflict("project '" + r.name + "' (" + r.id +
                                ") is used (ProjectUsage) by project(s) " + Join(outside, ", ") +
                                "; delete them too, or give --force to leave their history "
                                "pointing at a project that is gone");
      }
    }
  }
  if (veto) RETURN_IF_ERROR(veto(*txn, doomed));
  for (const auto& r : doomed) {
    RETURN_IF_ERROR(txn->DeleteResource(r.id));
    RETURN_IF_ERROR(Emit(*txn, "resource.deleted", r.id, {{"resourceId", r.id}, {"name", r.name}}));
  }
  return Finish(*txn);
}

Result<Repository::BranchDeletion> Repository::DeleteBranches(
    const std::string& resource_id, const std::vector<std::string>& branch_ids,
    bool include_children) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  ASSIGN_OR_RETURN(auto branches, AllBranches(*txn, r.id));
  ASSIGN_OR_RETURN(auto commits, AllCommits(*txn, r.id));
  std::map<std::string, const Commit*> by_id;
  for (const auto& c : commits) by_id[c.id] = &c;
  std::map<std::string, const Branch*> branch_by_id;
  const Branch* default_branch = nullptr;
  for (const auto& b : branches) {
    branch_by_id[b.id] = &b;
    if (b.id == r.default_branch_id) default_branch = &b;
  }
  auto history = [&](const Branch& b) {
    return b.head ? Reach(by_id, {*b.head}) : std::set<std::string>();
  };
  std::set<std::string> on_default = default_branch ? history(*default_branch)
                                                    : std::set<std::string>();

  BranchDeletion out;
  std::set<std::string> doomed;
  for (const auto& raw : branch_ids) {
    std::string id = NormalizeUuid(raw);
    auto it = branch_by_id.find(id);
    if (it == branch_by_id.end()) {
      return Status::NotFound("branch " + raw + " does not exist in project '" + r.name + "' (" +
                              r.id + ")");
    }
    if (id == r.default_branch_id) {
      return Status::Conflict("branch '" + it->second->name + "' is the default branch of project '" +
                              r.name + "' and cannot be deleted");
    }
    if (doomed.insert(id).second) out.branches.push_back(*it->second);
  }
  if (include_children) {
    // Tandem does not record where a branch was forked, and the commit graph
    // alone cannot tell "X forked from B" from "B forked from X": both leave
    // commits that the two branches share. So a commit counts as made on B
    // only with evidence: it is on B's first-parent line (a commit's first
    // parent is the head of the branch it was made on), not on the default
    // branch, and newer than B itself. Walking back from B's head, the first
    // commit not newer than B is the one B was created at, made on another
    // branch (the one B was forked from), so the walk stops there. Getting
    // this wrong deletes another branch's history, hence the strict test.
    std::set<std::string> own;
    for (const auto& raw : branch_ids) {
      const Branch& b = *branch_by_id[NormalizeUuid(raw)];
      for (auto it = b.head ? by_id.find(*b.head) : by_id.end();
           it != by_id.end() && !on_default.count(it->first) && it->second->created > b.created;
           it = it->second->parents.empty() ? by_id.end()
                                            : by_id.find(it->second->parents.front())) {
        own.insert(it->first);
      }
    }
    // A branch forked from B, or from a branch forked from B, has one of B's
    // own commits on its first-parent line. Following first parents only, a
    // branch that merely merged B in is not taken for a child.
    for (const auto& b : branches) {
      if (doomed.count(b.id) || b.id == r.default_branch_id) continue;
      for (auto it = b.head ? by_id.find(*b.head) : by_id.end();
           it != by_id.end() && !on_default.count(it->first);
           it = it->second->parents.empty() ? by_id.end()
                                            : by_id.find(it->second->parents.front())) {
        if (own.count(it->first)) {
          doomed.insert(b.id);
          out.branches.push_back(b);
          break;
        }
      }
    }
  }

  std::vector<std::string> live_starts;
  for (const auto& b : branches) {
    if (!doomed.count(b.id) && b.head) live_starts.push_back(*b.head);
  }
  ASSIGN_OR_RETURN(auto tags, AllTags(*txn, r.id));
  for (const auto& t : tags) live_starts.push_back(t.commit_id);
  ASSIGN_OR_RETURN(auto used, txn->ListUsedCommits(r.id));
  for (const auto& u : used) live_starts.push_back(u);
  std::set<std::string> live = Reach(by_id, live_starts);

  for (const auto& b : out.branches) {
    RETURN_IF_ERROR(txn->DeleteBranch(b.id));
    RETURN_IF_ERROR(Emit(*txn, "branch.deleted", r.id,
                         {{"resourceId", r.id}, {"branchId", b.id}, {"name", b.name}}));
  }
  for (const auto& c : commits) {
    if (live.count(c.id)) continue;
    RETURN_IF_ERROR(txn->DeleteCommit(c.id));
    ++out.commits_deleted;
  }
  RETURN_IF_ERROR(Finish(*txn));
  return out;
}

Result<Repository::ReadOnlyRemoval> Repository::RemoveReadOnlyFlag(
    const std::vector<std::string>& resource_ids, const std::vector<std::string>& category_ids,
    const AdminVeto& veto) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  std::map<std::string, Resource> selected;  // by id: each once, in a stable order
  for (const auto& id : resource_ids) {
    ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, id));
    selected.emplace(r.id, std::move(r));
  }
  ASSIGN_OR_RETURN(auto categories, txn->ListCategories());
  std::map<std::string, std::vector<const Category*>> children;
  std::map<std::string, const Category*> category_by_id;
  for (const auto& c : categories) {
    category_by_id[c.id] = &c;
    if (c.parent_id) children[*c.parent_id].push_back(&c);
  }
  std::vector<const Category*> stack;
  for (const auto& raw : category_ids) {
    auto it = category_by_id.find(NormalizeUuid(raw));
    if (it == category_by_id.end()) return Status::NotFound("category " + raw + " does not exist");
    stack.push_back(it->second);
  }
  std::set<std::string> seen_categories;
  ReadOnlyRemoval out;
  while (!stack.empty()) {
    const Category* c = stack.back();
    stack.pop_back();
    if (!seen_categories.insert(c->id).second) continue;
    if (c->read_only) out.categories.push_back(*c);
    for (const Category* child : children[c->id]) stack.push_back(child);
    ASSIGN_OR_RETURN(auto in_category, Everything<Resource>([&](const PageRequest& p) {
                       return txn->ListResources(ResourceFilter{c->id}, p);
                     }));
    for (auto& r : in_category) selected.emplace(r.id, std::move(r));
  }
  for (auto& [id, r] : selected) {
    if (r.read_only) out.resources.push_back(r);
  }
  if (veto) RETURN_IF_ERROR(veto(*txn, out.resources));
  for (auto& r : out.resources) {
    r.read_only = false;
    RETURN_IF_ERROR(txn->UpdateResource(r));
    RETURN_IF_ERROR(
        Emit(*txn, "resource.updated", r.id, {{"resourceId", r.id}, {"readOnly", false}}));
  }
  for (auto& c : out.categories) {
    c.read_only = false;
    RETURN_IF_ERROR(txn->UpdateCategory(c));
    RETURN_IF_ERROR(
        Emit(*txn, "category.updated", std::nullopt, {{"categoryId", c.id}, {"readOnly", false}}));
  }
  RETURN_IF_ERROR(Finish(*txn));
  return out;
}

}  // namespace tandem
