#include "repo/repository.h"

#include <algorithm>
#include <deque>
#include <map>
#include <queue>
#include <set>

#include "common/ids.h"
#include "common/log_safe.h"
#include "repo/commit_hash.h"

namespace tandem {
namespace {

constexpr size_t kMaxNameLength = 256;
constexpr size_t kMaxDescriptionLength = 64 * 1024;

// C0 controls, DEL and C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F),
// which terminals obey. `text_layout_allowed` lets TAB, LF and CR through.
bool HasControlCharacter(std::string_view text, bool text_layout_allowed) {
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (text_layout_allowed && (c == '\t' || c == '\n' || c == '\r')) continue;
    if (c < 0x20 || c == 0x7f) return true;
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xA0) {
      return true;
    }
  }
  return false;
}
constexpr char kRootCategoryKey[] = "root_category_id";
constexpr char kServerIdKey[] = "server_id";

Status ValidateId(const std::string& id, std::string_view what) {
  if (!IsUuid(id))
    return Status::InvalidArgument(std::string(what) + " '" + id + "' is not a UUID");
  return Status::Ok();
}

}  // namespace

Status ValidateDescription(const std::optional<std::string>& description, std::string_view what) {
  if (!description) return Status::Ok();
  if (description->size() > kMaxDescriptionLength) {
    return Status::InvalidArgument(std::string(what) + " description is longer than " +
                                   std::to_string(kMaxDescriptionLength) + " bytes");
  }
  if (HasControlCharacter(*description, /*text_layout_allowed=*/true)) {
    return Status::InvalidArgument(std::string(what) +
                                   " description must not contain control characters other than "
                                   "tab and line breaks");
  }
  return Status::Ok();
}

Status ValidateName(const std::string& name, std::string_view what) {
  if (name.empty()) return Status::InvalidArgument(std::string(what) + " name must not be empty");
  if (name.size() > kMaxNameLength) {
    return Status::InvalidArgument(std::string(what) + " name is longer than " +
                                   std::to_string(kMaxNameLength) + " bytes");
  }
  if (name.front() == ' ' || name.back() == ' ') {
    return Status::InvalidArgument(std::string(what) + " name must not start or end with a space");
  }
  if (HasControlCharacter(name, /*text_layout_allowed=*/false)) {
    return Status::InvalidArgument(std::string(what) + " name must not contain control characters");
  }
  return Status::Ok();
}

StateRoots RootsOf(const Commit& c) {
  return StateRoots{c.state_root, c.roots_root, c.edges_root, c.attrs_root};
}

Repository::Repository(Store& store, Clock& clock, RepositoryOptions options)
    : store_(store),
      clock_(clock),
      options_(options),
      node_cache_(options.node_cache_entries),
      facts_cache_(options.facts_cache_entries) {}

Status Repository::ValidateMirroredResource(const Resource& r) {
  auto refused = [&](const Status& st) {
    return Status::InvalidArgument("the source's metadata of project " + LogSafe(r.id, 64) +
                                   " is refused, nothing of it is stored: " + st.message());
  };
  for (const auto& [id, what] : {std::pair{&r.id, "Resource ID"},
                                 std::pair{&r.default_branch_id, "default branch id"}}) {
    if (Status st = ValidateId(*id, what); !st.ok()) return refused(st);
  }
  for (Status st : {ValidateName(r.name, "resource"), ValidateName(r.project_id, "Project ID"),
                    ValidateDescription(r.description, "resource")}) {
    if (!st.ok()) return refused(st);
  }
  return Status::Ok();
}

Status Repository::ValidateMirroredRefs(const std::string& resource_id,
                                        const std::vector<Branch>& branches,
                                        const std::vector<Tag>& tags) {
  auto refused = [&](const Status& st) {
    return Status::InvalidArgument("the source's branches and tags of project " + resource_id +
                                   " are refused, none is changed: " + st.message());
  };
  for (const auto& b : branches) {
    for (Status st : {ValidateId(b.id, "branch id"), ValidateName(b.name, "branch")}) {
      if (!st.ok()) return refused(st);
    }
  }
  for (const auto& t : tags) {
    for (Status st : {ValidateId(t.id, "tag id"), ValidateName(t.name, "tag"),
                      ValidateDescription(t.description, "tag")}) {
      if (!st.ok()) return refused(st);
    }
  }
  return Status::Ok();
}

Status Repository::ValidateCategoryName(const std::string& name) {
  return ValidateName(name, "category");
}
Status Repository::ValidateResourceName(const std::string& name) {
  return ValidateName(name, "resource");
}

Status Repository::Bootstrap() {
  {
    ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
    ASSIGN_OR_RETURN(auto server_id, txn->GetMeta(kServerIdKey));
    if (!server_id) RETURN_IF_ERROR(txn->SetMeta(kServerIdKey, NewUuid()));
    ASSIGN_OR_RETURN(auto root, txn->GetMeta(kRootCategoryKey));
    if (!root) {
      Category c{NewUuid(),         "Root", std::nullopt, "All resources of this server", false,
                 clock_.NowMicros()};
      RETURN_IF_ERROR(txn->InsertCategory(c));
      RETURN_IF_ERROR(txn->SetMeta(kRootCategoryKey, c.id));
    }
    RETURN_IF_ERROR(txn->CommitTransaction());
  }  // the writer is free again
  return BuildMissingAttributeIndexes();
}

Result<std::string> Repository::ServerId() {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto id, txn->GetMeta(kServerIdKey));
  if (!id) return Status::Corruption("the store has no server id; was it bootstrapped?");
  return *id;
}

Result<std::string> Repository::RootCategoryId() {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto id, txn->GetMeta(kRootCategoryKey));
  if (!id) return Status::Corruption("the store has no root category; was it bootstrapped?");
  return *id;
}

Status Repository::Emit(WriteTransaction& txn, const std::string& type,
                        const std::optional<std::string>& resource_id, Json data) {
  return txn.AppendEvent(Event{0, type, resource_id, data.dump(), clock_.NowMicros()}).status();
}

Status Repository::Finish(WriteTransaction& txn) {
  RETURN_IF_ERROR(txn.CommitTransaction());
  feed_.Notify();
  return Status::Ok();
}

// ---------------------------------------------------------------- categories

Result<Category> Repository::CreateCategory(const CategorySpec& spec) {
  RETURN_IF_ERROR(ValidateCategoryName(spec.name));
  RETURN_IF_ERROR(ValidateDescription(spec.description, "category"));
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto root, txn->GetMeta(kRootCategoryKey));
  std::string parent = spec.parent_id.value_or(root.value_or(""));
  ASSIGN_OR_RETURN(auto parent_cat, txn->GetCategory(parent));
  if (!parent_cat) return Status::NotFound("parent category " + parent + " does not exist");
  ASSIGN_OR_RETURN(auto clash, txn->FindCategoryByName(parent, spec.name));
  if (clash) {
    return Status::Conflict("category '" + parent_cat->name + "' already has a sub-category named '" +
                            spec.name + "' (" + clash->id + ")");
  }
  Category c{NewUuid(), spec.name, parent, spec.description, false, clock_.NowMicros()};
  RETURN_IF_ERROR(txn->InsertCategory(c));
  RETURN_IF_ERROR(Emit(*txn, "category.created", std::nullopt,
                       {{"categoryId", c.id}, {"name", c.name}, {"parentId", parent}}));
  RETURN_IF_ERROR(Finish(*txn));
  return c;
}

Result<Category> Repository::GetCategory(const std::string& id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto c, txn->GetCategory(id));
  if (!c) return Status::NotFound("category " + id + " does not exist");
  return *c;
}

Result<std::vector<std::string>> Repository::CategoryLineage(const std::string& id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  std::vector<std::string> lineage;
  std::optional<std::string> walk = id;
  while (walk) {
    if (lineage.size() >= 1000) {
      return Status::Corruption("the parents of category " + id + " do not end at the root");
    }
    ASSIGN_OR_RETURN(auto c, txn->GetCategory(*walk));
    if (!c) return Status::NotFound("category " + *walk + " does not exist");
    lineage.push_back(c->id);
    walk = c->parent_id;
  }
  return lineage;
}

Result<std::vector<Category>> Repository::ListCategories() {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  return txn->ListCategories();
}

Result<Category> Repository::UpdateCategory(const std::string& id, const CategoryPatch& patch) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto found, txn->GetCategory(id));
  if (!found) return Status::NotFound("category " + id + " does not exist");
  Category c = *found;
  if (patch.name) {
    RETURN_IF_ERROR(ValidateCategoryName(*patch.name));
    c.name = *patch.name;
  }
  if (patch.description) {
    RETURN_IF_ERROR(ValidateDescription(patch.description, "category"));
    c.description = *patch.description;
  }
  if (patch.parent_id && patch.parent_id != c.parent_id) {
    if (!c.parent_id) return Status::InvalidArgument("the root category cannot be moved");
    // The new parent must exist and must not lie inside the category itself.
    std::optional<std::string> walk = *patch.parent_id;
    while (walk) {
      if (*walk == c.id) {
        return Status::InvalidArgument("category " + c.id + " cannot move into itself or one of "
                                       "its own sub-categories");
      }
      ASSIGN_OR_RETURN(auto p, txn->GetCategory(*walk));
      if (!p) return Status::NotFound("parent category " + *walk + " does not exist");
      walk = p->parent_id;
    }
    c.parent_id = patch.parent_id;
  }
  if (c.name != found->name || c.parent_id != found->parent_id) {
    ASSIGN_OR_RETURN(auto clash, txn->FindCategoryByName(c.parent_id, c.name));
    if (clash && clash->id != c.id) {
      return Status::Conflict("a category named '" + c.name + "' already exists there (" +
                              clash->id + ")");
    }
  }
  RETURN_IF_ERROR(txn->UpdateCategory(c));
  RETURN_IF_ERROR(Emit(*txn, "category.updated", std::nullopt,
                       {{"categoryId", c.id},
                        {"name", c.name},
                        {"parentId", c.parent_id ? Json(*c.parent_id) : Json()}}));
  RETURN_IF_ERROR(Finish(*txn));
  return c;
}

Status Repository::DeleteCategory(const std::string& id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto c, txn->GetCategory(id));
  if (!c) return Status::NotFound("category " + id + " does not exist");
  if (!c->parent_id) return Status::InvalidArgument("the root category cannot be deleted");
  ASSIGN_OR_RETURN(auto all, txn->ListCategories());
  for (const auto& other : all) {
    if (other.parent_id == id) {
      return Status::Conflict("category '" + c->name + "' still has sub-categories; delete or "
                              "move them first");
    }
  }
  ASSIGN_OR_RETURN(uint64_t n, txn->CountResourcesInCategory(id));
  if (n > 0) {
    return Status::Conflict("category '" + c->name + "' still holds " + std::to_string(n) +
                            " resource(s); delete or move them first");
  }
  RETURN_IF_ERROR(txn->DeleteCategory(id));
  RETURN_IF_ERROR(Emit(*txn, "category.deleted", std::nullopt, {{"categoryId", id}}));
  return Finish(*txn);
}

// ---------------------------------------------------------------- resources

Result<Resource> Repository::LoadResource(ReadTransaction& txn, const std::string& id) {
  ASSIGN_OR_RETURN(auto r, txn.GetResource(id));
  if (!r) return Status::NotFound("project " + id + " does not exist");
  return *r;
}

bool IsImportedCopy(const Resource& r) {
  if (r.origin.empty()) return false;
  auto origin = ParseJsonOrDiscarded(r.origin);
  return origin.is_object() && origin.contains("import") && origin["import"].is_object();
}

Status Repository::CheckWritable(const Resource& r, std::string_view what) {
  if (!r.read_only) return Status::Ok();
  std::string reason = "it was locked by an administrator";
  if (IsImportedCopy(r)) {
    auto origin = ParseJsonOrDiscarded(r.origin);
    reason = "it is an import of project " + JsonString(origin["import"], "projectId") + " from " +
             JsonString(origin["import"], "from") +
             "; importing it again updates it, and an administrator can make it writable "
             "(PATCH /api/v1/resources/{id} {\"readOnly\": false}) to work on it here";
  } else if (!r.origin.empty()) {
    auto origin = ParseJsonOrDiscarded(r.origin);
    reason = "it is a synchronized copy";
    if (origin.is_object()) {
      if (origin.contains("server")) reason += " from server " + origin["server"].dump();
      if (origin.contains("configuration")) {
        reason += " by remote configuration " + origin["configuration"].dump();
      }
    }
    reason += "; only synchronization writes to it";
  }
  return Status::ReadOnly(std::string(what) + " refused: project '" + r.name + "' (" + r.id +
                          ") is read-only because " + reason);
}

Result<Resource> Repository::CreateResource(const ResourceSpec& spec) {
  RETURN_IF_ERROR(ValidateResourceName(spec.name));
  if (spec.project_id) RETURN_IF_ERROR(ValidateName(*spec.project_id, "Project ID"));
  RETURN_IF_ERROR(ValidateDescription(spec.description, "resource"));
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto root, txn->GetMeta(kRootCategoryKey));
  std::string category = spec.category_id.value_or(root.value_or(""));
  ASSIGN_OR_RETURN(auto cat, txn->GetCategory(category));
  if (!cat) return Status::NotFound("category " + category + " does not exist");
  ASSIGN_OR_RETURN(auto same_name, txn->FindResourceByName(category, spec.name));
  if (same_name) {
    return Status::Conflict("category '" + cat->name + "' already holds a project named '" +
                            spec.name + "' (" + same_name->id + ")");
  }
  Resource r;
  r.id = NewUuid();
  r.project_id = spec.project_id.value_or("PROJECT-" + NewUuid());
  ASSIGN_OR_RETURN(auto same_pid, txn->FindResourceByProjectId(r.project_id));
  if (same_pid) {
    return Status::Conflict("Project ID '" + r.project_id + "' is already used by project '" +
                            same_pid->name + "' (" + same_pid->id + ")");
  }
  r.name = spec.name;
  r.description = spec.description;
  r.category_id = category;
  r.created = clock_.NowMicros();
  r.default_branch_id = NewUuid();
  RETURN_IF_ERROR(txn->InsertResource(r));
  RETURN_IF_ERROR(txn->InsertBranch(
      Branch{r.default_branch_id, r.id, "main", std::nullopt, std::nullopt, r.created}));
  RETURN_IF_ERROR(Emit(*txn, "resource.created", r.id,
                       {{"resourceId", r.id},
                        {"name", r.name},
                        {"categoryId", r.category_id},
                        {"projectId", r.project_id}}));
  RETURN_IF_ERROR(Finish(*txn));
  return r;
}

Result<Resource> Repository::GetResource(const std::string& id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  return LoadResource(*txn, id);
}

Result<std::optional<Resource>> Repository::FindResourceByProjectId(const std::string& project_id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  return txn->FindResourceByProjectId(project_id);
}

Result<std::optional<Resource>> Repository::FindResourceByName(const std::string& category_id,
                                                               const std::string& name) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  return txn->FindResourceByName(category_id, name);
}

Result<Page<Resource>> Repository::ListResources(const ResourceFilter& filter,
                                                 const PageRequest& page) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  if (filter.category_id) {
    ASSIGN_OR_RETURN(auto cat, txn->GetCategory(*filter.category_id));
    if (!cat) return Status::NotFound("category " + *filter.category_id + " does not exist");
  }
  return txn->ListResources(filter, page);
}

Result<Resource> Repository::UpdateResource(const std::string& id, const ResourcePatch& patch) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(Resource before, LoadResource(*txn, id));
  Resource r = before;
  if (patch.name) {
    RETURN_IF_ERROR(ValidateResourceName(*patch.name));
    r.name = *patch.name;
  }
  if (patch.description) {
    RETURN_IF_ERROR(ValidateDescription(*patch.description, "resource"));
    r.description = *patch.description;
  }
  if (patch.category_id) {
    ASSIGN_OR_RETURN(auto cat, txn->GetCategory(*patch.category_id));
    if (!cat) return Status::NotFound("category " + *patch.category_id + " does not exist");
    r.category_id = *patch.category_id;
  }
  if (patch.read_only) {
    if (!*patch.read_only && before.read_only && !before.origin.empty() &&
        !IsImportedCopy(before)) {
      return Status::InvalidArgument(
          "project '" + r.name + "' is a synchronized copy; its read-only flag can only be removed "
          "with 'datamanager -rrof', and only once it is no longer synchronized");
    }
    r.read_only = *patch.read_only;
  }
  bool moved = r.category_id != before.category_id;
  if (before.read_only && !before.origin.empty() &&
      (moved || r.name != before.name || r.description != before.description)) {
    // A copy's place decides which configuration (or bundle scope) manages
    // it; moved elsewhere it could be taken over and fed another history.
    Status refused = CheckWritable(before, moved ? "moving it" : "renaming or describing it");
    return Status::ReadOnly(
        refused.message() +
        ". Its name and description are the source's and its category is the remote "
        "configuration's: to move it, change that configuration's target category; to manage "
        "it here (an offloaded copy), first remove its read-only flag with 'datamanager -rrof'");
  }
  if (r.name != before.name || moved) {
    ASSIGN_OR_RETURN(auto clash, txn->FindResourceByName(r.category_id, r.name));
    if (clash && clash->id != r.id) {
      return Status::Conflict("the target category already holds a project named '" + r.name +
                              "' (" + clash->id + ")");
    }
  }
  RETURN_IF_ERROR(txn->UpdateResource(r));
  if (r.name != before.name) {
    RETURN_IF_ERROR(Emit(*txn, "resource.renamed", r.id,
                         {{"resourceId", r.id}, {"name", r.name}, {"previousName", before.name}}));
  }
  if (r.category_id != before.category_id) {
    RETURN_IF_ERROR(Emit(*txn, "resource.moved", r.id,
                         {{"resourceId", r.id},
                          {"categoryId", r.category_id},
                          {"previousCategoryId", before.category_id}}));
  }
  if (r.description != before.description || r.read_only != before.read_only) {
    RETURN_IF_ERROR(
        Emit(*txn, "resource.updated", r.id, {{"resourceId", r.id}, {"readOnly", r.read_only}}));
  }
  RETURN_IF_ERROR(Finish(*txn));
  return r;
}

Status Repository::DeleteResource(const std::string& id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, id));
  ASSIGN_OR_RETURN(auto users, txn->ListUsersOfResource(r.id));
  if (!users.empty()) {
    std::string list;
    for (const auto& u : users) list += (list.empty() ? "" : ", ") + u;
    return Status::Conflict("project '" + r.name + "' is used (ProjectUsage) by project(s) " + list +
                            "; deleting it would leave their history pointing at nothing");
  }
  RETURN_IF_ERROR(txn->DeleteResource(id));
  RETURN_IF_ERROR(Emit(*txn, "resource.deleted", id, {{"resourceId", id}, {"name", r.name}}));
  return Finish(*txn);
}

// ---------------------------------------------------------------- branches and tags

Result<Page<Branch>> Repository::ListBranches(const std::string& resource_id,
                                              const PageRequest& page) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  return txn->ListBranches(r.id, page);
}

Result<Branch> Repository::GetBranch(const std::string& resource_id, const std::string& branch_id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  ASSIGN_OR_RETURN(auto b, txn->GetBranch(branch_id));
  if (!b || b->resource_id != r.id) {
    return Status::NotFound("branch " + branch_id + " does not exist in project " + r.id);
  }
  return *b;
}

Result<Branch> Repository::CreateBranch(const std::string& resource_id, const std::string& name,
                                        const std::string& head_commit_id) {
  RETURN_IF_ERROR(ValidateName(name, "branch"));
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  RETURN_IF_ERROR(CheckWritable(r, "creating a branch"));
  ASSIGN_OR_RETURN(Commit head, LoadCommit(*txn, r.id, head_commit_id));
  Branch b{NewUuid(), r.id, name, head.id, std::nullopt, clock_.NowMicros()};
  Status st = txn->InsertBranch(b);
  if (st.code() == StatusCode::kConflict) {
    return Status::Conflict("project '" + r.name + "' already has a branch named '" + name + "'");
  }
  RETURN_IF_ERROR(st);
  RETURN_IF_ERROR(
      Emit(*txn, "branch.created", r.id,
           {{"resourceId", r.id}, {"branchId", b.id}, {"name", name}, {"head", head.id}}));
  RETURN_IF_ERROR(Finish(*txn));
  return b;
}

Status Repository::DeleteBranch(const std::string& resource_id, const std::string& branch_id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  RETURN_IF_ERROR(CheckWritable(r, "deleting a branch"));
  ASSIGN_OR_RETURN(auto b, txn->GetBranch(branch_id));
  if (!b || b->resource_id != r.id) {
    return Status::NotFound("branch " + branch_id + " does not exist in project " + r.id);
  }
  if (b->id == r.default_branch_id) {
    return Status::Conflict("branch '" + b->name + "' is the default branch of project '" + r.name +
                            "' and cannot be deleted");
  }
  RETURN_IF_ERROR(txn->DeleteBranch(b->id));
  RETURN_IF_ERROR(Emit(*txn, "branch.deleted", r.id,
                       {{"resourceId", r.id}, {"branchId", b->id}, {"name", b->name}}));
  return Finish(*txn);
}

Result<Page<Tag>> Repository::ListTags(const std::string& resource_id, const PageRequest& page) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  return txn->ListTags(r.id, page);
}

Result<Tag> Repository::GetTag(const std::string& resource_id, const std::string& tag_id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  ASSIGN_OR_RETURN(auto t, txn->GetTag(tag_id));
  if (!t || t->resource_id != r.id) {
    return Status::NotFound("tag " + tag_id + " does not exist in project " + r.id);
  }
  return *t;
}

Result<Tag> Repository::CreateTag(const std::string& resource_id, const std::string& name,
                                  const std::string& commit_id,
                                  const std::optional<std::string>& description) {
  RETURN_IF_ERROR(ValidateName(name, "tag"));
  RETURN_IF_ERROR(ValidateDescription(description, "tag"));
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  RETURN_IF_ERROR(CheckWritable(r, "tagging"));
  ASSIGN_OR_RETURN(Commit c, LoadCommit(*txn, r.id, commit_id));
  Tag t{NewUuid(), r.id, name, c.id, description, clock_.NowMicros()};
  RETURN_IF_ERROR(txn->InsertTag(t));
  RETURN_IF_ERROR(
      Emit(*txn, "tag.created", r.id,
           {{"resourceId", r.id}, {"tagId", t.id}, {"name", name}, {"commitId", c.id}}));
  RETURN_IF_ERROR(Finish(*txn));
  return t;
}

Status Repository::DeleteTag(const std::string& resource_id, const std::string& tag_id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  RETURN_IF_ERROR(CheckWritable(r, "deleting a tag"));
  ASSIGN_OR_RETURN(auto t, txn->GetTag(tag_id));
  if (!t || t->resource_id != r.id) {
    return Status::NotFound("tag " + tag_id + " does not exist in project " + r.id);
  }
  RETURN_IF_ERROR(txn->DeleteTag(t->id));
  RETURN_IF_ERROR(
      Emit(*txn, "tag.deleted", r.id, {{"resourceId", r.id}, {"tagId", t->id}, {"name", t->name}}));
  return Finish(*txn);
}

// ---------------------------------------------------------------- commits

Result<Commit> Repository::LoadCommit(ReadTransaction& txn, const std::string& resource_id,
                                      const std::string& commit_id) {
  ASSIGN_OR_RETURN(auto c, txn.GetCommit(commit_id));
  if (!c || c->resource_id != resource_id) {
    return Status::NotFound("commit " + commit_id + " does not exist in project " + resource_id);
  }
  return *c;
}

Result<std::vector<ElementWrite>> Repository::PrepareWrites(
    const std::vector<ElementChange>& changes, std::string_view what) {
  if (changes.size() > options_.max_changes_per_commit) {
    return Status::TooLarge("a commit may hold at most " +
                            std::to_string(options_.max_changes_per_commit) +
                            " changes, this one has " + std::to_string(changes.size()));
  }
  std::vector<ElementWrite> writes;
  writes.reserve(changes.size());
  std::set<std::string> seen;
  for (size_t i = 0; i < changes.size(); ++i) {
    const ElementChange& ch = changes[i];
    std::string where = std::string(what) + "[" + std::to_string(i) + "]";
    ElementWrite w;
    if (ch.element_id) {
      RETURN_IF_ERROR(ValidateId(*ch.element_id, where + " identity @id"));
      w.element_id = NormalizeUuid(*ch.element_id);
    } else if (ch.payload.is_object() && ch.payload.contains("@id")) {
      if (!ch.payload["@id"].is_string()) return Status::InvalidArgument(where + " payload @id must be a string");
      RETURN_IF_ERROR(ValidateId(ch.payload["@id"].get<std::string>(), where + " payload @id"));
      w.element_id = NormalizeUuid(ch.payload["@id"].get<std::string>());
    } else if (ch.payload.is_null()) {
      return Status::InvalidArgument(where + " deletes an element but names none in identity.@id");
    } else {
      w.element_id = NewUuid();
    }
    if (!seen.insert(w.element_id).second) {
      return Status::InvalidArgument(where + " changes element " + w.element_id +
                                     " a second time in the same commit");
    }
    if (!ch.payload.is_null()) {
      if (!ch.payload.is_object()) return Status::InvalidArgument(where + " payload must be an object or null");
      auto type = ch.payload.find("@type");
      if (type == ch.payload.end() || !type->is_string() || type->get<std::string>().empty()) {
        return Status::InvalidArgument(where + " payload needs a non-empty string '@type'");
      }
      Json element = ch.payload;
      if (auto id = element.find("@id"); id != element.end()) {
        if (!id->is_string() || NormalizeUuid(id->get<std::string>()) != w.element_id) {
          return Status::InvalidArgument(where + " payload @id differs from identity @id " +
                                         w.element_id);
        }
      }
      element["@id"] = w.element_id;
      // Measured before CanonicalJson, whose dump recurses once per level.
      if (size_t depth = JsonDepth(element); depth > options_.max_json_depth) {
        return Status::InvalidArgument(where + " element " + w.element_id + " nests " +
                                       std::to_string(depth) + " levels deep; the limit is " +
                                       std::to_string(options_.max_json_depth) +
                                       " (server.max-json-depth)");
      }
      auto facts = AnalyzeElement(element);
      if (!facts.ok()) return facts.status().WithContext(where);
      ASSIGN_OR_RETURN(std::string canonical, CanonicalJson(element));
      w.version = Sha256(canonical);
      w.canonical = std::move(canonical);
      w.facts = std::move(facts).value();
    }
    writes.push_back(std::move(w));
  }
  return writes;
}

Status Repository::CheckUsedProjects(ReadTransaction& txn,
                                     const std::vector<ElementWrite>& writes) {
  for (const auto& w : writes) {
    if (!w.facts || !w.facts->usage) continue;
    const ProjectUsage& u = *w.facts->usage;
    ASSIGN_OR_RETURN(auto used, txn.GetResource(u.used_project));
    ASSIGN_OR_RETURN(auto used_commit, txn.GetCommit(u.used_commit));
    if (!used || !used_commit || used_commit->resource_id != u.used_project) {
      return Status::InvalidArgument("ProjectUsage " + w.element_id + " uses project " +
                                     u.used_project + " at commit " + u.used_commit +
                                     ", which does not exist on this server");
    }
  }
  return Status::Ok();
}

Result<Commit> Repository::CreateCommit(const std::string& resource_id,
                                        const CommitRequest& request, const std::string& author) {
  // Prepare every element version before taking the write lock.
  RETURN_IF_ERROR(ValidateDescription(request.description, "commit"));
  ASSIGN_OR_RETURN(std::vector<ElementWrite> writes, PrepareWrites(request.changes, "change"));

  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  RETURN_IF_ERROR(CheckWritable(r, "commit"));
  std::string branch_id = request.branch_id.value_or(r.default_branch_id);
  ASSIGN_OR_RETURN(auto branch, txn->GetBranch(branch_id));
  if (!branch || branch->resource_id != r.id) {
    return Status::NotFound("branch " + branch_id + " does not exist in project " + r.id);
  }
  if (request.previous_commit && request.previous_commit != branch->head) {
    return Status::Conflict("previousCommit " + *request.previous_commit + " is not the head of branch '" +
                            branch->name + "' (the head is " + branch->head.value_or("empty") +
                            "); fetch the new head, merge your change onto it and commit again");
  }
  RETURN_IF_ERROR(CheckUsedProjects(*txn, writes));
  std::vector<Commit> parents;
  if (branch->head) {
    ASSIGN_OR_RETURN(Commit p, LoadCommit(*txn, r.id, *branch->head));
    parents.push_back(std::move(p));
  }
  ASSIGN_OR_RETURN(Commit c,
                   CommitToBranch(*txn, r, *branch, parents, writes,
                                  {request.name, request.description, author, "", std::nullopt}));
  RETURN_IF_ERROR(Finish(*txn));
  return c;
}

Result<Commit> Repository::CommitToBranch(WriteTransaction& txn, const Resource& r,
                                          const Branch& branch, const std::vector<Commit>& parents,
                                          const std::vector<ElementWrite>& writes,
                                          const NewCommit& info) {
  ASSIGN_OR_RETURN(Commit c, StoreNewCommit(txn, r, parents, writes, info));
  RETURN_IF_ERROR(txn.MoveBranchHead(branch.id, branch.head, c.id));
  RETURN_IF_ERROR(Emit(txn, "commit.created", r.id,
                       {{"resourceId", r.id},
                        {"commitId", c.id},
                        {"branchId", branch.id},
                        {"hash", ToHex(c.hash)}}));
  return c;
}

Result<Commit> Repository::StoreNewCommit(WriteTransaction& txn, const Resource& r,
                                          const std::vector<Commit>& parents,
                                          const std::vector<ElementWrite>& writes,
                                          const NewCommit& info) {
  TrieNodeCache txn_nodes(kTxnNodeCacheEntries);
  ElementState state(txn, WriteCaches(txn_nodes));
  TrieNodeSink sink;
  ASSIGN_OR_RETURN(
      StateRoots roots,
      state.Apply(parents.empty() ? StateRoots{} : RootsOf(parents.front()), writes, sink));
  for (const auto& [hash, bytes] : sink) RETURN_IF_ERROR(txn.PutNode(hash, bytes));

  Commit c;
  c.id = info.id.empty() ? NewUuid() : info.id;
  c.resource_id = r.id;
  std::vector<Hash> parent_hashes;
  for (const auto& p : parents) {
    c.parents.push_back(p.id);
    parent_hashes.push_back(p.hash);
  }
  c.author = info.author;
  c.created = info.created.value_or(clock_.NowMicros());
  c.name = info.name;
  c.description = info.description;
  c.state_root = roots.elements;
  c.roots_root = roots.roots;
  c.edges_root = roots.edges;
  c.attrs_root = roots.attrs;
  ASSIGN_OR_RETURN(c.element_count, state.Count(roots));
  c.change_count = writes.size();
  ASSIGN_OR_RETURN(c.hash, ComputeCommitHash(c, parent_hashes));

  ASSIGN_OR_RETURN(
      c.seq,
      StoreCommit(txn, c, writes,
                  parents.empty() ? std::nullopt : std::optional<int64_t>(parents.front().seq)));
  return c;
}

Result<int64_t> Repository::StoreCommit(WriteTransaction& txn, const Commit& c,
                                        const std::vector<ElementWrite>& writes,
                                        const std::optional<int64_t>& first_parent_seq) {
  std::map<std::string, ProjectUsage> usages;
  if (first_parent_seq) {
    ASSIGN_OR_RETURN(auto old, txn.ListProjectUsages(*first_parent_seq));
    for (auto& u : old) usages[u.element_id] = std::move(u);
  }
  std::vector<Change> changes;
  changes.reserve(writes.size());
  for (const auto& w : writes) {
    usages.erase(w.element_id);
    if (w.facts && w.facts->usage) usages[w.element_id] = *w.facts->usage;
    changes.push_back(Change{DerivedUuid(c.id + "/" + w.element_id), w.element_id, w.version});
    if (w.version) RETURN_IF_ERROR(txn.PutElementVersion(*w.version, *w.canonical));
  }
  std::vector<ProjectUsage> usage_list;
  for (auto& [id, u] : usages) usage_list.push_back(u);
  return txn.InsertCommit(c, changes, usage_list);
}

Result<Commit> Repository::GetCommit(const std::string& resource_id, const std::string& commit_id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  return LoadCommit(*txn, r.id, commit_id);
}

Result<CommitView> Repository::GetCommitView(const std::string& resource_id,
                                             const std::string& commit_id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  CommitView v;
  ASSIGN_OR_RETURN(v.commit, LoadCommit(*txn, r.id, commit_id));
  ASSIGN_OR_RETURN(auto branches, txn->ListBranchesWithHead(commit_id));
  for (const auto& b : branches) v.branch_ids.push_back(b.id);
  ASSIGN_OR_RETURN(v.tags, txn->ListTagsOfCommit(commit_id));
  return v;
}

Result<Page<Commit>> Repository::ListCommits(const std::string& resource_id,
                                             const PageRequest& page, bool newest_first) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  return txn->ListCommits(r.id, page, newest_first);
}

Result<Page<Commit>> Repository::ListBranchCommits(const std::string& resource_id,
                                                   const std::string& branch_id,
                                                   const PageRequest& page) {
  if (page.before) {
    return Status::InvalidArgument("page[before] is not supported with branchId; use page[after]");
  }
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  ASSIGN_OR_RETURN(auto b, txn->GetBranch(branch_id));
  if (!b || b->resource_id != r.id) {
    return Status::NotFound("branch " + branch_id + " does not exist in project " + r.id);
  }
  // Walk the ancestry newest first (by local order; parents always precede
  // children), skipping to the cursor. Costs the history above the page.
  Page<Commit> out;
  if (!b->head) return out;
  auto newer = [](const Commit& a, const Commit& c) { return a.seq < c.seq; };
  std::priority_queue<Commit, std::vector<Commit>, decltype(newer)> frontier(newer);
  std::set<std::string> queued;
  ASSIGN_OR_RETURN(Commit head, LoadCommit(*txn, r.id, *b->head));
  frontier.push(head);
  queued.insert(head.id);
  bool emitting = !page.after;
  while (!frontier.empty()) {
    Commit c = frontier.top();
    frontier.pop();
    if (emitting) {
      if (out.items.size() == page.limit) {
        out.more_after = true;
        break;
      }
      out.items.push_back(c);
    } else if (c.id == *page.after) {
      emitting = true;
      out.more_before = true;
    }
    for (const auto& p : c.parents) {
      if (!queued.insert(p).second) continue;
      ASSIGN_OR_RETURN(Commit pc, LoadCommit(*txn, r.id, p));
      frontier.push(std::move(pc));
    }
  }
  if (!emitting) return Status::InvalidArgument("page cursor '" + *page.after + "' is not on this branch");
  return out;
}

Result<std::vector<ProjectUsage>> Repository::ListProjectUsages(const std::string& resource_id,
                                                                const std::string& commit_id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  ASSIGN_OR_RETURN(Commit c, LoadCommit(*txn, r.id, commit_id));
  return txn->ListProjectUsages(c.seq);
}

Result<Page<Repository::ChangeView>> Repository::ListChanges(const std::string& resource_id,
                                                             const std::string& commit_id,
                                                             const PageRequest& page) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  ASSIGN_OR_RETURN(Commit c, LoadCommit(*txn, r.id, commit_id));
  ASSIGN_OR_RETURN(auto changes, txn->ListChanges(c.seq, page));
  ElementState state(*txn, &node_cache_);
  Page<ChangeView> out;
  out.more_after = changes.more_after;
  out.more_before = changes.more_before;
  for (auto& ch : changes.items) {
    ChangeView v{std::move(ch), std::nullopt};
    if (v.change.version) {
      ASSIGN_OR_RETURN(Json payload, state.ElementVersion(*v.change.version));
      v.payload = std::move(payload);
    }
    out.items.push_back(std::move(v));
  }
  return out;
}

Result<Repository::ChangeView> Repository::GetChange(const std::string& resource_id,
                                                     const std::string& commit_id,
                                                     const std::string& change_id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  ASSIGN_OR_RETURN(Commit c, LoadCommit(*txn, r.id, commit_id));
  ASSIGN_OR_RETURN(auto ch, txn->GetChange(c.seq, change_id));
  if (!ch) return Status::NotFound("change " + change_id + " does not exist in commit " + c.id);
  ChangeView v{std::move(*ch), std::nullopt};
  if (v.change.version) {
    ElementState state(*txn, &node_cache_);
    ASSIGN_OR_RETURN(Json payload, state.ElementVersion(*v.change.version));
    v.payload = std::move(payload);
  }
  return v;
}

// ---------------------------------------------------------------- elements

Result<Page<Json>> Repository::LoadElements(ReadTransaction& txn, const StateRoots& roots,
                                            Page<std::string> ids) {
  ElementState state(txn, &node_cache_);
  Page<Json> out;
  out.more_after = ids.more_after;
  out.more_before = ids.more_before;
  out.items.reserve(ids.items.size());
  for (const auto& id : ids.items) {
    auto e = state.Element(roots, id);
    if (e.status().code() == StatusCode::kNotFound) {
      // An index names an element the state lacks: the store is inconsistent.
      return Status::Corruption("index entry for element " + id + " has no element version");
    }
    if (!e.ok()) return e.status();
    out.items.push_back(std::move(e).value());
  }
  return out;
}

Result<Page<Json>> Repository::ListElements(const std::string& resource_id,
                                            const std::string& commit_id, const PageRequest& page) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  ASSIGN_OR_RETURN(Commit c, LoadCommit(*txn, r.id, commit_id));
  ElementState state(*txn, &node_cache_);
  ASSIGN_OR_RETURN(auto ids, state.ListElements(RootsOf(c), page));
  return LoadElements(*txn, RootsOf(c), std::move(ids));
}

Result<Json> Repository::GetElement(const std::string& resource_id, const std::string& commit_id,
                                    const std::string& element_id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  ASSIGN_OR_RETURN(Commit c, LoadCommit(*txn, r.id, commit_id));
  ElementState state(*txn, &node_cache_);
  return state.Element(RootsOf(c), NormalizeUuid(element_id));
}

Result<Json> Repository::GetProjectUsage(const std::string& resource_id,
                                         const std::string& commit_id,
                                         const std::string& element_id) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  ASSIGN_OR_RETURN(Commit c, LoadCommit(*txn, r.id, commit_id));
  ElementState state(*txn, &node_cache_);
  const std::string id = NormalizeUuid(element_id);
  ASSIGN_OR_RETURN(auto own, state.VersionOf(RootsOf(c), id));
  if (own) {
    return Status::NotFound("element " + id + " belongs to project " + r.id + " itself at commit " +
                            c.id + "; no ProjectUsage brings it in");
  }
  // Breadth first over the used commits, each looked at once (stored usages
  // are outside input: a cycle or a very deep chain must not run away).
  ASSIGN_OR_RETURN(auto direct, txn->ListProjectUsages(c.seq));
  std::set<std::string> seen;
  for (const auto& usage : direct) {
    std::deque<std::string> pending{usage.used_commit};
    while (!pending.empty()) {
      std::string used_id = std::move(pending.front());
      pending.pop_front();
      if (!seen.insert(used_id).second) continue;
      if (seen.size() > kMaxUsageCommitsSearched) {
        return Status::NotFound("element " + id + " was not found in the first " +
                                std::to_string(kMaxUsageCommitsSearched) + " commits that commit " +
                                c.id + " uses");
      }
      ASSIGN_OR_RETURN(auto used, txn->GetCommit(used_id));
      if (!used) continue;  // its project was deleted with --force
      ASSIGN_OR_RETURN(auto held, state.VersionOf(RootsOf(*used), id));
      if (held) return state.Element(RootsOf(c), usage.element_id);
      ASSIGN_OR_RETURN(auto further, txn->ListProjectUsages(used->seq));
      for (auto& u : further) pending.push_back(std::move(u.used_commit));
    }
  }
  return Status::NotFound("element " + id + " is neither in project " + r.id + " at commit " +
                          c.id + " nor in a project it uses there");
}

Result<Page<Json>> Repository::ListRoots(const std::string& resource_id,
                                         const std::string& commit_id, const PageRequest& page) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  ASSIGN_OR_RETURN(Commit c, LoadCommit(*txn, r.id, commit_id));
  ElementState state(*txn, &node_cache_);
  ASSIGN_OR_RETURN(auto ids, state.ListRoots(RootsOf(c), page));
  return LoadElements(*txn, RootsOf(c), std::move(ids));
}

Result<Page<Json>> Repository::ListRelationships(const std::string& resource_id,
                                                 const std::string& commit_id,
                                                 const std::string& element_id,
                                                 RelationshipDirection direction,
                                                 const PageRequest& page) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  ASSIGN_OR_RETURN(Commit c, LoadCommit(*txn, r.id, commit_id));
  ElementState state(*txn, &node_cache_);
  std::string id = NormalizeUuid(element_id);
  ASSIGN_OR_RETURN(auto exists, state.VersionOf(RootsOf(c), id));
  if (!exists) return Status::NotFound("element " + id + " does not exist at commit " + c.id);
  ASSIGN_OR_RETURN(auto ids, state.ListRelationships(RootsOf(c), id, direction, page));
  return LoadElements(*txn, RootsOf(c), std::move(ids));
}

Result<Page<DataDifference>> Repository::Diff(const std::string& resource_id,
                                              const std::string& base_commit_id,
                                              const std::string& compare_commit_id,
                                              const PageRequest& page) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(Resource r, LoadResource(*txn, resource_id));
  ASSIGN_OR_RETURN(Commit base, LoadCommit(*txn, r.id, base_commit_id));
  ASSIGN_OR_RETURN(Commit compare, LoadCommit(*txn, r.id, compare_commit_id));
  ElementState state(*txn, &node_cache_);
  ASSIGN_OR_RETURN(auto entries, state.Diff(RootsOf(base), RootsOf(compare), page));
  Page<DataDifference> out;
  out.more_after = entries.more_after;
  out.more_before = entries.more_before;
  for (const auto& e : entries.items) {
    DataDifference d{e.element_id, std::nullopt, std::nullopt};
    if (e.base) {
      ASSIGN_OR_RETURN(Json j, state.ElementVersion(*e.base));
      d.base = std::move(j);
    }
    if (e.compare) {
      ASSIGN_OR_RETURN(Json j, state.ElementVersion(*e.compare));
      d.compare = std::move(j);
    }
    out.items.push_back(std::move(d));
  }
  return out;
}

// ---------------------------------------------------------------- change feed

Result<int64_t> Repository::LastEventSeq() {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  return txn->LastEventSeq();
}

Result<std::string> Repository::FeedPosition() {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(int64_t seq, txn->LastEventSeq());
  if (seq <= 0) return std::string("0");
  ASSIGN_OR_RETURN(auto last, txn->ListEvents(seq - 1, 1));
  int64_t created = last.empty() ? 0 : last.front().created;
  return std::to_string(seq) + ":" + std::to_string(created);
}

Result<std::vector<Event>> Repository::Changes(int64_t since, size_t limit,
                                               std::chrono::milliseconds wait) {
  // Writers in this process wake us at once; the periodic re-read catches
  // writes by other processes (datamanager) on the same store.
  auto deadline = std::chrono::steady_clock::now() + wait;
  uint64_t generation = feed_.generation();
  while (true) {
    {
      ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
      ASSIGN_OR_RETURN(auto events, txn->ListEvents(since, limit));
      if (!events.empty()) return events;
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return std::vector<Event>{};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    generation = feed_.WaitFor(generation, std::min(left, kChangeRecheck));
  }
}

}  // namespace tandem
