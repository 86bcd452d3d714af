// Repository: export and import of history for synchronization. The source
// side lists what a target lacks; the target side verifies every received
// commit (element version hashes, recomputed state and commit hash) before
// it stores it in one transaction.
#include <algorithm>
#include <queue>
#include <set>

#include "common/ids.h"
#include "repo/commit_hash.h"
#include "repo/repository.h"

namespace tandem {

Result<std::vector<Commit>> Repository::CommitsNotIn(const std::string& resource_id,
                                                     const std::vector<std::string>& have,
                                                     const std::vector<std::string>& want) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  std::set<std::string> stop(have.begin(), have.end());
  std::set<std::string> seen;
  std::vector<std::string> frontier = want;
  if (want.empty()) {
    PageRequest all{std::nullopt, std::nullopt, 100'000};
    ASSIGN_OR_RETURN(auto branches, txn->ListBranches(r.id, all));
    for (const auto& b : branches.items) {
      if (b.head) frontier.push_back(*b.head);
    }
  }
  std::vector<Commit> out;
  while (!frontier.empty()) {
    std::string id = frontier.back();
    frontier.pop_back();
    if (stop.count(id) || !seen.insert(id).second) continue;
    ASSIGN_OR_RETURN(Commit c, LoadCommit(*txn, r.id, id));
    for (const auto& p : c.parents) frontier.push_back(p);
    out.push_back(std::move(c));
  }
  // Local order puts parents before children.
  std::sort(out.begin(), out.end(), [](const Commit& a, const Commit& b) { return a.seq < b.seq; });
  return out;
}

Result<std::optional<Commit>> Repository::NewestTagged(const std::string& resource_id,
                                                      const std::string& head,
                                                      const std::string& tag) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  // Newest first by local order: the first tagged commit met is the newest.
  auto older = [](const Commit& a, const Commit& b) { return a.seq < b.seq; };
  std::priority_queue<Commit, std::vector<Commit>, decltype(older)> frontier(older);
  std::set<std::string> queued{head};
  ASSIGN_OR_RETURN(Commit start, LoadCommit(*txn, r.id, head));
  frontier.push(std::move(start));
  while (!frontier.empty()) {
    Commit c = frontier.top();
    frontier.pop();
    ASSIGN_OR_RETURN(auto tags, txn->ListTagsOfCommit(c.id));
    for (const auto& t : tags) {
      if (t.name == tag) return std::optional<Commit>(std::move(c));
    }
    for (const auto& p : c.parents) {
      if (!queued.insert(p).second) continue;
      ASSIGN_OR_RETURN(Commit pc, LoadCommit(*txn, r.id, p));
      frontier.push(std::move(pc));
    }
  }
  return std::optional<Commit>();
}

Result<std::vector<std::string>> Repository::Tips(const std::string& resource_id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  std::set<std::string> ids, parents;
  PageRequest page{std::nullopt, std::nullopt, 10'000};
  while (true) {
    ASSIGN_OR_RETURN(auto list, txn->ListCommits(r.id, page, false));
    for (const auto& c : list.items) {
      ids.insert(c.id);
      parents.insert(c.parents.begin(), c.parents.end());
    }
    if (!list.more_after) break;
    page.after = list.items.back().id;
  }
  std::vector<std::string> tips;
  for (const auto& id : ids) {
    if (!parents.count(id)) tips.push_back(id);
  }
  return tips;
}

Result<uint64_t> Repository::CountCommits(const std::string& resource_id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  return txn->CountCommits(resource_id);
}

Result<StoreFigures> Repository::Figures() {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  return txn->Figures();
}

Result<ContentCounts> Repository::CountContent() {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  return txn->CountContent();
}

Result<Repository::SyncRefs> Repository::RefsForSync(const std::string& resource_id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  SyncRefs out;
  PageRequest all{std::nullopt, std::nullopt, 100'000};
  ASSIGN_OR_RETURN(auto branches, txn->ListBranches(r.id, all));
  for (auto& b : branches.items) {
    std::optional<Hash> hash;
    if (b.head) {
      ASSIGN_OR_RETURN(Commit c, LoadCommit(*txn, r.id, *b.head));
      hash = c.hash;
    }
    out.branches.push_back(std::move(b));
    out.head_hashes.push_back(hash);
  }
  ASSIGN_OR_RETURN(auto tags, txn->ListTags(r.id, all));
  out.tags = std::move(tags.items);
  ASSIGN_OR_RETURN(out.used_projects, txn->ListUsedProjects(r.id));
  ASSIGN_OR_RETURN(out.commit_count, txn->CountCommits(r.id));
  return out;
}

Status Repository::VisitCommitContents(const std::vector<Commit>& commits,
                                       const CommitContentVisitor& visit) {
  constexpr size_t kCommitsPerSnapshot = 64;
  std::unique_ptr<ReadTransaction> txn;
  VersionText text = [&txn](const Hash& version) { return txn->GetElementVersion(version); };
  for (size_t i = 0; i < commits.size(); ++i) {
    if (i % kCommitsPerSnapshot == 0) {
      txn.reset();
      ASSIGN_OR_RETURN(txn, store_.BeginRead());
    }
    std::vector<Change> changes;
    PageRequest page{std::nullopt, std::nullopt, 10'000};
    while (true) {
      ASSIGN_OR_RETURN(auto p, txn->ListChanges(commits[i].seq, page));
      for (auto& c : p.items) changes.push_back(std::move(c));
      if (!p.more_after) break;
      page.after = changes.back().change_id;
    }
    RETURN_IF_ERROR(visit(commits[i], changes, text));
  }
  return Status::Ok();
}

Status Repository::ImportCommit(const std::string& resource_id, const ImportedCommit& in) {
  return ImportCommits(resource_id, {in}).status;
}

Repository::BatchImport Repository::ImportCommits(const std::string& resource_id,
                                                 const std::vector<ImportedCommit>& batch) {
  // Imports the first n commits in one transaction; `refused` names the
  // commit that failed verification (batch.size(): no commit did).
  auto import_first = [&](size_t n, size_t& refused) -> Status {
    ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
    TrieNodeCache txn_nodes(kTxnNodeCacheEntries);
    bool any = false;
    for (size_t i = 0; i < n; ++i) {
      auto stored = ImportCommitIn(*txn, txn_nodes, resource_id, batch[i]);
      if (!stored.ok()) {
        refused = i;
        return stored.status();
      }
      any = any || *stored;
    }
    return any ? Finish(*txn) : Status::Ok();
  };
  size_t refused = batch.size();
  Status st = import_first(batch.size(), refused);
  if (st.ok()) return {batch.size(), st};
  if (refused == 0 || refused == batch.size()) return {0, st};
  // The commits before the refused one verified: store them on their own.
  size_t unused = 0;
  Status kept = import_first(refused, unused);
  if (!kept.ok()) return {0, kept};
  return {refused, st};
}

Result<bool> Repository::ImportCommitIn(WriteTransaction& write, TrieNodeCache& txn_nodes,
                                        const std::string& resource_id, const ImportedCommit& in) {
  WriteTransaction* txn = &write;
  const Commit& given = in.commit;
  auto corrupt = [&](const std::string& why) {
    return Status::Corruption("received commit " + given.id + " of project " + resource_id +
                              " failed verification: " + why);
  };
  // Element versions received must be exactly the text their hash names.
  for (const auto& [hash, text] : in.versions) {
    if (Sha256(text) != hash) return corrupt("element version " + ToHex(hash) + " does not match its hash");
  }
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  ASSIGN_OR_RETURN(auto existing, txn->GetCommit(given.id));
  if (existing) {
    if (existing->resource_id != r.id || existing->hash != given.hash) {
      return Status::Conflict("commit " + given.id + " already exists here with other content");
    }
    return false;
  }
  std::vector<Commit> parents;
  std::vector<Hash> parent_hashes;
  for (const auto& pid : given.parents) {
    ASSIGN_OR_RETURN(auto p, txn->GetCommit(pid));
    if (!p || p->resource_id != r.id) {
      return Status::InvalidArgument("received commit " + given.id + " names parent " + pid +
                                     " which has not been received");
    }
    parent_hashes.push_back(p->hash);
    parents.push_back(std::move(*p));
  }

  std::vector<ElementWrite> writes;
  writes.reserve(in.changes.size());
  for (const auto& ch : in.changes) {
    ElementWrite w;
    w.element_id = ch.element_id;
    if (ch.version) {
      auto text = in.versions.find(*ch.version);
      std::string canonical;
      if (text != in.versions.end()) {
        canonical = text->second;
      } else {
        auto stored = txn->GetElementVersion(*ch.version);
        if (!stored.ok()) return corrupt("element version " + ToHex(*ch.version) + " was not sent");
        canonical = std::move(stored).value();
      }
      auto json = ParseCanonicalJson(
          canonical, "element version " + ToHex(*ch.version) + " of element " + ch.element_id,
          options_.max_json_depth);
      if (!json.ok()) return corrupt(json.status().message() + " (server.max-json-depth)");
      if (json->value("@id", "") != ch.element_id) {
        return corrupt("element version " + ToHex(*ch.version) + " is not element " + ch.element_id);
      }
      auto facts = AnalyzeElement(*json);
      if (!facts.ok()) return corrupt(facts.status().message());
      w.version = ch.version;
      w.canonical = std::move(canonical);
      w.facts = std::move(facts).value();
    }
    writes.push_back(std::move(w));
  }

  ElementState state(*txn, WriteCaches(txn_nodes));
  TrieNodeSink sink;
  auto roots = state.Apply(parents.empty() ? StateRoots{} : RootsOf(parents.front()), writes, sink);
  if (!roots.ok()) return corrupt(roots.status().message());
  for (const auto& [hash, bytes] : sink) RETURN_IF_ERROR(txn->PutNode(hash, bytes));

  Commit c = given;
  c.resource_id = r.id;
  c.state_root = roots->elements;
  c.roots_root = roots->roots;
  c.edges_root = roots->edges;
  c.attrs_root = roots->attrs;
  ASSIGN_OR_RETURN(c.element_count, state.Count(*roots));
  c.change_count = writes.size();
  ASSIGN_OR_RETURN(Hash recomputed, ComputeCommitHash(c, parent_hashes));
  if (recomputed != given.hash) {
    return corrupt("its hash is " + ToHex(given.hash) + " but its content hashes to " +
                   ToHex(recomputed));
  }

  for (const auto& w : writes) {
    if (!w.facts || !w.facts->usage) continue;
    const ProjectUsage& u = *w.facts->usage;
    ASSIGN_OR_RETURN(auto used_commit, txn->GetCommit(u.used_commit));
    if (!used_commit || used_commit->resource_id != u.used_project) {
      return Status::NotFound("commit " + given.id + " uses project " + u.used_project +
                              " at commit " + u.used_commit +
                              ", which is not on this server; it waits until that dependency "
                              "is synchronized");
    }
  }
  ASSIGN_OR_RETURN(c.seq,
                   StoreCommit(*txn, c, writes,
                               parents.empty() ? std::nullopt
                                               : std::optional<int64_t>(parents.front().seq)));
  RETURN_IF_ERROR(Emit(
      *txn, "commit.created", r.id,
      {{"resourceId", r.id}, {"commitId", c.id}, {"hash", ToHex(c.hash)}, {"synchronized", true}}));
  return true;
}

Result<bool> Repository::ImportForeignCommit(const std::string& resource_id,
                                             const ForeignCommit& in) {
  // Prepare every element version before taking the write lock.
  std::vector<ElementWrite> writes;
  {
    RETURN_IF_ERROR(ValidateDescription(in.description, "commit " + in.id));
    auto prepared = PrepareWrites(in.changes, "change");
    if (!prepared.ok()) {
      return Status::InvalidArgument("commit " + in.id + ": " + prepared.status().message());
    }
    writes = std::move(prepared).value();
  }
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  ASSIGN_OR_RETURN(auto existing, txn->GetCommit(in.id));
  if (existing) {
    if (existing->resource_id != r.id) {
      return Status::Conflict("commit " + in.id + " exists here already, in project " +
                              existing->resource_id);
    }
    return false;
  }
  std::vector<Commit> parents;
  for (const auto& pid : in.parents) {
    ASSIGN_OR_RETURN(auto p, txn->GetCommit(pid));
    if (!p || p->resource_id != r.id) {
      return Status::InvalidArgument("commit " + in.id + " names previous commit " + pid +
                                     ", which has not been imported");
    }
    parents.push_back(std::move(*p));
  }
  RETURN_IF_ERROR(CheckUsedProjects(*txn, writes));
  auto c = StoreNewCommit(*txn, r, parents, writes,
                          NewCommit{in.name, in.description, in.author, in.id, in.created});
  if (!c.ok()) {
    // A change set that does not apply to its parent's state (deleting an
    // element that is not there) is the source's inconsistency, not ours.
    if (c.status().code() == StatusCode::kNotFound ||
        c.status().code() == StatusCode::kInvalidArgument) {
      return Status::InvalidArgument(
          "commit " + in.id + " does not apply to its previous commit: " + c.status().message());
    }
    return c.status();
  }
  RETURN_IF_ERROR(Emit(
      *txn, "commit.created", r.id,
      {{"resourceId", r.id}, {"commitId", c->id}, {"hash", ToHex(c->hash)}, {"imported", true}}));
  RETURN_IF_ERROR(Finish(*txn));
  return true;
}

Result<std::unique_ptr<Repository::ImportTrial>> Repository::BeginImportTrial() {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  return std::unique_ptr<ImportTrial>(new ImportTrial(*this, std::move(txn)));
}

Result<bool> Repository::ImportTrial::AddResource(const Resource& r) {
  if (!ValidateMirroredResource(r).ok()) return false;  // the real run reports it
  ASSIGN_OR_RETURN(auto existing, txn_->GetResource(r.id));
  if (existing) return false;
  if (!txn_->InsertResource(r).ok()) return false;  // a clash the real run reports
  RETURN_IF_ERROR(txn_->InsertBranch(
      Branch{r.default_branch_id, r.id, "main", std::nullopt, std::nullopt, r.created}));
  return true;
}

Status Repository::ImportTrial::ImportCommit(const std::string& resource_id,
                                             const ImportedCommit& in) {
  return repo_.ImportCommitIn(*txn_, txn_nodes_, resource_id, in).status();
}

Result<Resource> Repository::CreateMirror(const Resource& source, const std::string& category_id,
                                          const std::string& origin,
                                          const std::string& default_branch_name) {
  RETURN_IF_ERROR(ValidateMirroredResource(source));
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto cat, txn->GetCategory(category_id));
  if (!cat) return Status::NotFound("target category " + category_id + " does not exist");
  Resource r = source;
  r.category_id = category_id;
  r.read_only = true;
  r.origin = origin;
  RETURN_IF_ERROR(txn->InsertResource(r));
  RETURN_IF_ERROR(txn->InsertBranch(Branch{r.default_branch_id, r.id, default_branch_name,
                                           std::nullopt, std::nullopt, r.created}));
  RETURN_IF_ERROR(Emit(*txn, "resource.created", r.id,
                       {{"resourceId", r.id},
                        {"name", r.name},
                        {"categoryId", r.category_id},
                        {"projectId", r.project_id},
                        {"synchronized", true}}));
  RETURN_IF_ERROR(Finish(*txn));
  return r;
}

Result<Resource> Repository::UpdateMirrorMetadata(const std::string& resource_id,
                                                  const std::string& name,
                                                  const std::optional<std::string>& description,
                                                  const std::string& category_id,
                                                  const std::string& origin) {
  // The copy as the source describes it, checked against the local rules.
  auto updated = [&](const Resource& before) -> Result<Resource> {
    Resource r = before;
    r.name = name;
    r.description = description;
    RETURN_IF_ERROR(ValidateMirroredResource(r));
    r.category_id = category_id;
    r.origin = origin;
    return r;
  };
  auto unchanged = [](const Resource& a, const Resource& b) {
    return a.name == b.name && a.description == b.description && a.category_id == b.category_id &&
           a.origin == b.origin;
  };
  {
    // Most runs change no metadata: find that out without taking the writer.
    ASSIGN_OR_RETURN(auto read, store_.BeginRead());
    ASSIGN_OR_RETURN(Resource now, LoadResource(*read, resource_id));
    ASSIGN_OR_RETURN(Resource wanted, updated(now));
    if (unchanged(wanted, now)) return wanted;
  }
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(Resource before, LoadResource(*txn, resource_id));
  ASSIGN_OR_RETURN(Resource r, updated(before));
  if (unchanged(r, before)) return r;
  if (r.name != before.name || r.category_id != before.category_id) {
    ASSIGN_OR_RETURN(auto clash, txn->FindResourceByName(r.category_id, r.name));
    if (clash && clash->id != r.id) {
      return Status::Conflict("the name '" + r.name + "' is taken in the target category by project " +
                              clash->id);
    }
  }
  RETURN_IF_ERROR(txn->UpdateResource(r));
  if (r.name != before.name) {
    RETURN_IF_ERROR(Emit(*txn, "resource.renamed", r.id,
                         {{"resourceId", r.id},
                          {"name", r.name},
                          {"previousName", before.name},
                          {"synchronized", true}}));
  }
  if (r.category_id != before.category_id) {
    RETURN_IF_ERROR(Emit(*txn, "resource.moved", r.id,
                         {{"resourceId", r.id},
                          {"categoryId", r.category_id},
                          {"previousCategoryId", before.category_id},
                          {"synchronized", true}}));
  }
  // Every change a further hop's catalogue shows is an event: its targets
  // learn of it, and an idle run there may trust a feed with nothing new.
  if (r.description != before.description || r.origin != before.origin) {
    RETURN_IF_ERROR(Emit(*txn, "resource.updated", r.id,
                         {{"resourceId", r.id}, {"readOnly", r.read_only}, {"synchronized", true}}));
  }
  RETURN_IF_ERROR(Finish(*txn));
  return r;
}

Result<Repository::RefPlan> Repository::PlanMirrorRefs(ReadTransaction& txn,
                                                       const std::string& resource_id,
                                                       const std::vector<Branch>& branches,
                                                       const std::vector<Tag>& tags) {
  RefPlan plan;
  ASSIGN_OR_RETURN(plan.resource, LoadResource(txn, resource_id));
  const Resource& r = plan.resource;
  PageRequest all{std::nullopt, std::nullopt, 100'000};
  ASSIGN_OR_RETURN(auto local_branches, txn.ListBranches(r.id, all));
  ASSIGN_OR_RETURN(auto local_tags, txn.ListTags(r.id, all));
  std::set<std::string> wanted_branches, wanted_tags;
  for (const auto& b : branches) {
    wanted_branches.insert(b.id);
    if (b.head) {
      ASSIGN_OR_RETURN(auto head, txn.GetCommit(*b.head));
      if (!head || head->resource_id != r.id) {
        return Status::InvalidArgument("branch " + b.name + " points at commit " + *b.head +
                                       " which has not been received");
      }
    }
    auto local = std::find_if(local_branches.items.begin(), local_branches.items.end(),
                              [&](const Branch& l) { return l.id == b.id; });
    if (local == local_branches.items.end()) {
      plan.created.push_back(b);
    } else if (local->head != b.head && b.head) {
      plan.moved.emplace_back(b, local->head);
    }
  }
  for (const auto& l : local_branches.items) {
    if (!wanted_branches.count(l.id) && l.id != r.default_branch_id) plan.deleted.push_back(l);
  }
  for (const auto& t : tags) {
    wanted_tags.insert(t.id);
    bool present = std::any_of(local_tags.items.begin(), local_tags.items.end(),
                               [&](const Tag& l) { return l.id == t.id; });
    if (present) continue;
    ASSIGN_OR_RETURN(auto tagged, txn.GetCommit(t.commit_id));
    if (tagged && tagged->resource_id == r.id) plan.new_tags.push_back(t);  // others wait
  }
  for (const auto& l : local_tags.items) {
    if (!wanted_tags.count(l.id)) plan.dropped_tags.push_back(l.id);
  }
  return plan;
}

Status Repository::MirrorRefs(const std::string& resource_id, const std::vector<Branch>& branches,
                              const std::vector<Tag>& tags) {
  RETURN_IF_ERROR(ValidateMirroredRefs(resource_id, branches, tags));
  {
    // Most runs change no ref: find that out without taking the writer.
    ASSIGN_OR_RETURN(auto read, store_.BeginRead());
    ASSIGN_OR_RETURN(RefPlan plan, PlanMirrorRefs(*read, resource_id, branches, tags));
    if (plan.empty()) return Status::Ok();
  }
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(RefPlan plan, PlanMirrorRefs(*txn, resource_id, branches, tags));
  if (plan.empty()) return Status::Ok();
  const Resource& r = plan.resource;
  // Each head that moves is an event in the same transaction: a further
  // hop's trigger learns of the new head, not only of the imported commit
  // (which arrives before the head moves to it).
  auto head_event = [&](const char* type, const Branch& b) {
    return Emit(*txn, type, r.id,
                {{"resourceId", r.id},
                 {"branchId", b.id},
                 {"name", b.name},
                 {"head", b.head ? Json(*b.head) : Json(nullptr)},
                 {"synchronized", true}});
  };
  for (const auto& b : plan.created) {
    Branch copy = b;
    copy.resource_id = r.id;
    RETURN_IF_ERROR(txn->InsertBranch(copy));
    RETURN_IF_ERROR(head_event("branch.created", b));
  }
  for (const auto& [b, from] : plan.moved) {
    RETURN_IF_ERROR(txn->MoveBranchHead(b.id, from, *b.head));
    RETURN_IF_ERROR(head_event("branch.moved", b));
  }
  for (const auto& l : plan.deleted) {
    RETURN_IF_ERROR(txn->DeleteBranch(l.id));
    RETURN_IF_ERROR(Emit(*txn, "branch.deleted", r.id,
                         {{"resourceId", r.id}, {"branchId", l.id}, {"name", l.name},
                          {"synchronized", true}}));
  }
  for (const auto& t : plan.new_tags) {
    Tag copy = t;
    copy.resource_id = r.id;
    RETURN_IF_ERROR(txn->InsertTag(copy));
    RETURN_IF_ERROR(Emit(*txn, "tag.created", r.id,
                         {{"resourceId", r.id},
                          {"tagId", t.id},
                          {"name", t.name},
                          {"commitId", t.commit_id},
                          {"synchronized", true}}));
  }
  for (const auto& id : plan.dropped_tags) {
    RETURN_IF_ERROR(txn->DeleteTag(id));
    RETURN_IF_ERROR(Emit(*txn, "tag.deleted", r.id,
                         {{"resourceId", r.id}, {"tagId", id}, {"synchronized", true}}));
  }
  return Finish(*txn);
}

}  // namespace tandem
