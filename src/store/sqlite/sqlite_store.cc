#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "common/canonical_json.h"
#include "common/zstd_stream.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_schema.h"

namespace tandem {
namespace {

constexpr int kCodecRaw = 0;
constexpr int kCodecZstd = 1;
// A hostile or corrupt raw_size must not make us allocate without bound.
constexpr int64_t kMaxElementVersionBytes = int64_t{1} << 30;

const char* kCategoryCols = "id, name, parent_id, description, read_only, created";
const char* kResourceCols =
    "id, project_id, name, description, category_id, read_only, origin, created, "
    "default_branch_id";
const char* kBranchCols = "id, resource_id, name, head, description, created";
const char* kTagCols = "id, resource_id, name, commit_id, description, created";
const char* kCommitCols =
    "seq, id, resource_id, parents, author, created, name, description, state_root, roots_root, "
    "edges_root, hash, element_count, change_count, attrs_root";
const char* kQueryCols = "id, resource_id, name, body, created";

Category ReadCategory(const Statement& s) {
  return Category{s.Text(0), s.Text(1), s.OptText(2), s.Text(3), s.Int(4) != 0, s.Int(5)};
}
Resource ReadResource(const Statement& s) {
  return Resource{s.Text(0), s.Text(1), s.Text(2), s.OptText(3), s.Text(4),
                  s.Int(5) != 0, s.Text(6), s.Int(7), s.Text(8)};
}
Branch ReadBranch(const Statement& s) {
  return Branch{s.Text(0), s.Text(1), s.Text(2), s.OptText(3), s.OptText(4), s.Int(5)};
}
Tag ReadTag(const Statement& s) {
  return Tag{s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.OptText(4), s.Int(5)};
}
Result<Commit> ReadCommit(const Statement& s) {
  Commit c;
  c.seq = s.Int(0);
  c.id = s.Text(1);
  c.resource_id = s.Text(2);
  auto parents = ParseJsonOrDiscarded(s.Text(3));
  if (parents.is_discarded() || !parents.is_array()) {
    return Status::Corruption("commit " + c.id + " has unreadable parents");
  }
  for (const auto& p : parents) {
    if (!p.is_string()) return Status::Corruption("commit " + c.id + " has a non-string parent");
    c.parents.push_back(p.get<std::string>());
  }
  c.author = s.Text(4);
  c.created = s.Int(5);
  c.name = s.OptText(6);
  c.description = s.OptText(7);
  c.state_root = s.HashCol(8);
  c.roots_root = s.HashCol(9);
  c.edges_root = s.HashCol(10);
  c.hash = s.HashCol(11);
  c.element_count = static_cast<uint64_t>(s.Int(12));
  c.change_count = static_cast<uint64_t>(s.Int(13));
  if (!s.IsNull(14)) c.attrs_root = s.HashCol(14);  // NULL: made before the index existed
  return c;
}

const char* kCommitRootsSelect =
    "SELECT seq, id, resource_id, state_root, roots_root, edges_root, attrs_root FROM commits";
CommitRoots ReadCommitRoots(const Statement& st) {
  CommitRoots r{st.Int(0),     st.Text(1),    st.Text(2), st.HashCol(3),
                st.HashCol(4), st.HashCol(5), Hash{}};
  if (!st.IsNull(6)) r.attrs = st.HashCol(6);  // NULL: not built yet
  return r;
}

StoredQuery ReadQuery(const Statement& s) {
  return StoredQuery{s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Int(4)};
}

RemoteConfig ReadRemoteConfig(const Statement& s) {
  return RemoteConfig{s.Text(0), s.Text(1), s.Text(2), s.Blob(3), s.Text(4), s.Int(5)};
}

}  // namespace

// One transaction on one connection; read-only ones hold a pooled reader,
// write ones the writer connection and the store's writer lock.
class SqliteTransaction final : public WriteTransaction {
 public:
  // A read transaction on a pooled reader.
  SqliteTransaction(SqliteStore& store, std::unique_ptr<SqliteConnection> reader)
      : store_(store), owned_(std::move(reader)), conn_(owned_.get()) {}
  // A write transaction on the store's writer, which `writer_lock` holds.
  SqliteTransaction(SqliteStore& store, SqliteConnection* writer,
                    std::unique_lock<TimedMutex> writer_lock)
      : store_(store), conn_(writer), writer_lock_(std::move(writer_lock)) {}

  ~SqliteTransaction() override {
    if (open_) {
      // Rollback of a write that was not committed, or the end of a read snapshot.
      Status st = conn_->Exec(writer_lock_.owns_lock() ? "ROLLBACK" : "COMMIT");
      (void)st;  // checked below through the connection's own state
    }
    // A connection still inside a transaction (its ROLLBACK or COMMIT failed)
    // would make every later transaction on it fail: drop it instead of reusing it.
    bool stuck = sqlite3_get_autocommit(conn_->db()) == 0;
    if (owned_) {
      if (!stuck) store_.ReturnReader(std::move(owned_));
    } else if (stuck) {
      store_.writer_mu_.AssertHeld();  // by writer_lock_, until this transaction ends
      store_.writer_.reset();          // the next BeginWrite opens a fresh one
    }
  }

  Status Begin() {
    RETURN_IF_ERROR(conn_->Exec(writer_lock_.owns_lock() ? "BEGIN IMMEDIATE" : "BEGIN"));
    open_ = true;
    return Status::Ok();
  }

  // ---- meta
  Result<std::optional<std::string>> GetMeta(const std::string& key) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare("SELECT value FROM meta WHERE key = ?"));
    s->Bind(1, key);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(s->Text(0));
  }
  Status SetMeta(const std::string& key, const std::string& value) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "INSERT INTO meta(key, value) VALUES(?, ?) "
                                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
    return s->Bind(1, key).Bind(2, value).Run();
  }

  // ---- categories
  Result<std::optional<Category>> GetCategory(const std::string& id) override {
    return One<Category>(std::string("SELECT ") + kCategoryCols + " FROM categories WHERE id = ?",
                         ReadCategory, id);
  }
  Result<std::vector<Category>> ListCategories() override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(std::string("SELECT ") + kCategoryCols +
                                            " FROM categories ORDER BY name, id"));
    return All<Category>(*s, ReadCategory);
  }
  Result<std::optional<Category>> FindCategoryByName(const std::optional<std::string>& parent_id,
                                                     const std::string& name) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(std::string("SELECT ") + kCategoryCols +
                                            " FROM categories WHERE ifnull(parent_id, '') = ? "
                                            "AND name = ?"));
    s->Bind(1, parent_id.value_or("")).Bind(2, name);
    return First<Category>(*s, ReadCategory);
  }
  Status InsertCategory(const Category& c) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "INSERT INTO categories(id, name, parent_id, description, "
                                 "read_only, created) VALUES(?, ?, ?, ?, ?, ?)"));
    return s->Bind(1, c.id).Bind(2, c.name).Bind(3, c.parent_id).Bind(4, c.description)
        .Bind(5, c.read_only).Bind(6, c.created).Run();
  }
  Status UpdateCategory(const Category& c) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "UPDATE categories SET name = ?, parent_id = ?, description = ?, "
                                 "read_only = ? WHERE id = ?"));
    RETURN_IF_ERROR(s->Bind(1, c.name).Bind(2, c.parent_id).Bind(3, c.description)
                        .Bind(4, c.read_only).Bind(5, c.id).Run());
    return ExpectChanged("category " + c.id);
  }
  Status DeleteCategory(const std::string& id) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare("DELETE FROM categories WHERE id = ?"));
    RETURN_IF_ERROR(s->Bind(1, id).Run());
    return ExpectChanged("category " + id);
  }

  // ---- resources
  Result<std::optional<Resource>> GetResource(const std::string& id) override {
    return One<Resource>(std::string("SELECT ") + kResourceCols + " FROM resources WHERE id = ?",
                         ReadResource, id);
  }
  Result<std::optional<Resource>> FindResourceByProjectId(const std::string& project_id) override {
    return One<Resource>(
        std::string("SELECT ") + kResourceCols + " FROM resources WHERE project_id = ?",
        ReadResource, project_id);
  }
  Result<std::optional<Resource>> FindResourceByName(const std::string& category_id,
                                                     const std::string& name) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(std::string("SELECT ") + kResourceCols +
                                            " FROM resources WHERE category_id = ? AND name = ?"));
    s->Bind(1, category_id).Bind(2, name);
    return First<Resource>(*s, ReadResource);
  }
  Result<Page<Resource>> ListResources(const ResourceFilter& filter,
                                       const PageRequest& page) override {
    std::string where = filter.category_id ? "category_id = ?1" : "?1 IS NULL";
    std::optional<std::string> arg = filter.category_id;
    return IdPage<Resource>(std::string("SELECT ") + kResourceCols + " FROM resources", where, arg,
                            page, ReadResource);
  }
  Result<uint64_t> CountResourcesInCategory(const std::string& category_id) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare("SELECT count(*) FROM resources WHERE category_id = ?"));
    s->Bind(1, category_id);
    ASSIGN_OR_RETURN(bool row, s->Step());
    return row ? static_cast<uint64_t>(s->Int(0)) : 0;
  }
  Result<std::vector<std::string>> ListUsedProjects(const std::string& resource_id) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "SELECT DISTINCT u.used_project FROM commit_usages u "
                                 "JOIN commits c ON c.seq = u.commit_seq "
                                 "WHERE c.resource_id = ?1 AND u.used_project <> ?1 "
                                 "ORDER BY u.used_project"));
    s->Bind(1, resource_id);
    return All<std::string>(*s, [](const Statement& st) { return st.Text(0); });
  }
  Result<std::vector<std::string>> ListUsersOfResource(const std::string& resource_id) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "SELECT DISTINCT c.resource_id FROM commit_usages u "
                                 "JOIN commits c ON c.seq = u.commit_seq "
                                 "WHERE u.used_project = ?1 AND c.resource_id <> ?1 "
                                 "ORDER BY c.resource_id"));
    s->Bind(1, resource_id);
    return All<std::string>(*s, [](const Statement& st) { return st.Text(0); });
  }
  Result<std::vector<std::string>> ListUsedCommits(const std::string& resource_id) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "SELECT DISTINCT u.used_commit FROM commit_usages u "
                                 "JOIN commits c ON c.seq = u.commit_seq "
                                 "WHERE u.used_project = ?1 AND c.resource_id <> ?1 "
                                 "ORDER BY u.used_commit"));
    s->Bind(1, resource_id);
    return All<std::string>(*s, [](const Statement& st) { return st.Text(0); });
  }
  Status InsertResource(const Resource& r) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "INSERT INTO resources(id, project_id, name, description, "
                                 "category_id, read_only, origin, created, default_branch_id) "
                                 "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    return s->Bind(1, r.id).Bind(2, r.project_id).Bind(3, r.name).Bind(4, r.description)
        .Bind(5, r.category_id).Bind(6, r.read_only).Bind(7, r.origin).Bind(8, r.created)
        .Bind(9, r.default_branch_id).Run();
  }
  Status UpdateResource(const Resource& r) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "UPDATE resources SET project_id = ?, name = ?, description = ?, "
                                 "category_id = ?, read_only = ?, origin = ?, "
                                 "default_branch_id = ? WHERE id = ?"));
    RETURN_IF_ERROR(s->Bind(1, r.project_id).Bind(2, r.name).Bind(3, r.description)
                        .Bind(4, r.category_id).Bind(5, r.read_only).Bind(6, r.origin)
                        .Bind(7, r.default_branch_id).Bind(8, r.id).Run());
    return ExpectChanged("resource " + r.id);
  }
  Status DeleteResource(const std::string& id) override {
    // Tags and branches reference commits by id only, and commits cascade to
    // their changes and usages through foreign keys.
    ASSIGN_OR_RETURN(auto s, conn_->Prepare("DELETE FROM resources WHERE id = ?"));
    RETURN_IF_ERROR(s->Bind(1, id).Run());
    return ExpectChanged("resource " + id);
  }

  // ---- branches and tags
  Result<std::optional<Branch>> GetBranch(const std::string& id) override {
    return One<Branch>(std::string("SELECT ") + kBranchCols + " FROM branches WHERE id = ?",
                       ReadBranch, id);
  }
  Result<Page<Branch>> ListBranches(const std::string& resource_id,
                                    const PageRequest& page) override {
    return IdPage<Branch>(std::string("SELECT ") + kBranchCols + " FROM branches",
                          "resource_id = ?1", resource_id, page, ReadBranch);
  }
  Result<std::vector<Branch>> ListBranchesWithHead(const std::string& commit_id) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(std::string("SELECT ") + kBranchCols +
                                            " FROM branches WHERE head = ? ORDER BY id"));
    s->Bind(1, commit_id);
    return All<Branch>(*s, ReadBranch);
  }
  Status InsertBranch(const Branch& b) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "INSERT INTO branches(id, resource_id, name, head, description, "
                                 "created) VALUES(?, ?, ?, ?, ?, ?)"));
    return s->Bind(1, b.id).Bind(2, b.resource_id).Bind(3, b.name).Bind(4, b.head)
        .Bind(5, b.description).Bind(6, b.created).Run();
  }
  Status MoveBranchHead(const std::string& branch_id, const std::optional<std::string>& expected,
                        const std::string& head) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "UPDATE branches SET head = ?1 WHERE id = ?2 AND "
                                 "((?3 IS NULL AND head IS NULL) OR head = ?3)"));
    RETURN_IF_ERROR(s->Bind(1, head).Bind(2, branch_id).Bind(3, expected).Run());
    if (conn_->Changes() == 0) {
      return Status::Conflict("branch " + branch_id + " is no longer at commit " +
                              expected.value_or("(none)"));
    }
    return Status::Ok();
  }
  Status DeleteBranch(const std::string& id) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare("DELETE FROM branches WHERE id = ?"));
    RETURN_IF_ERROR(s->Bind(1, id).Run());
    return ExpectChanged("branch " + id);
  }
  Result<std::optional<Tag>> GetTag(const std::string& id) override {
    return One<Tag>(std::string("SELECT ") + kTagCols + " FROM tags WHERE id = ?", ReadTag, id);
  }
  Result<Page<Tag>> ListTags(const std::string& resource_id, const PageRequest& page) override {
    return IdPage<Tag>(std::string("SELECT ") + kTagCols + " FROM tags", "resource_id = ?1",
                       resource_id, page, ReadTag);
  }
  Result<std::vector<Tag>> ListTagsOfCommit(const std::string& commit_id) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(std::string("SELECT ") + kTagCols +
                                            " FROM tags WHERE commit_id = ? ORDER BY name, id"));
    s->Bind(1, commit_id);
    return All<Tag>(*s, ReadTag);
  }
  Status InsertTag(const Tag& t) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "INSERT INTO tags(id, resource_id, name, commit_id, description, "
                                 "created) VALUES(?, ?, ?, ?, ?, ?)"));
    return s->Bind(1, t.id).Bind(2, t.resource_id).Bind(3, t.name).Bind(4, t.commit_id)
        .Bind(5, t.description).Bind(6, t.created).Run();
  }
  Result<std::optional<StoredQuery>> GetQuery(const std::string& id) override {
    return One<StoredQuery>(std::string("SELECT ") + kQueryCols + " FROM queries WHERE id = ?",
                            ReadQuery, id);
  }
  Result<Page<StoredQuery>> ListQueries(const std::string& resource_id,
                                        const PageRequest& page) override {
    return IdPage<StoredQuery>(std::string("SELECT ") + kQueryCols + " FROM queries",
                               "resource_id = ?1", resource_id, page, ReadQuery);
  }
  Status InsertQuery(const StoredQuery& q) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare("INSERT INTO queries(id, resource_id, name, body, "
                                            "created) VALUES(?, ?, ?, ?, ?)"));
    return s->Bind(1, q.id).Bind(2, q.resource_id).Bind(3, q.name).Bind(4, q.body)
        .Bind(5, q.created).Run();
  }
  Status UpdateQuery(const StoredQuery& q) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare("UPDATE queries SET name = ?, body = ? WHERE id = ?"));
    RETURN_IF_ERROR(s->Bind(1, q.name).Bind(2, q.body).Bind(3, q.id).Run());
    return ExpectChanged("query " + q.id);
  }
  Status DeleteQuery(const std::string& id) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare("DELETE FROM queries WHERE id = ?"));
    RETURN_IF_ERROR(s->Bind(1, id).Run());
    return ExpectChanged("query " + id);
  }
  Status SetCommitAttributesRoot(const std::string& commit_id, const Hash& root) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare("UPDATE commits SET attrs_root = ? WHERE id = ?"));
    if (root != Hash{}) s->Bind(1, root);  // unbound: NULL, not built
    RETURN_IF_ERROR(s->Bind(2, commit_id).Run());
    return ExpectChanged("commit " + commit_id);
  }
  Status DeleteTag(const std::string& id) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare("DELETE FROM tags WHERE id = ?"));
    RETURN_IF_ERROR(s->Bind(1, id).Run());
    return ExpectChanged("tag " + id);
  }

  // ---- commits
  Result<std::optional<Commit>> GetCommit(const std::string& id) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(std::string("SELECT ") + kCommitCols +
                                            " FROM commits WHERE id = ?"));
    s->Bind(1, id);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<Commit>();
    ASSIGN_OR_RETURN(Commit c, ReadCommit(*s));
    return std::optional<Commit>(std::move(c));
  }
  Result<Page<Commit>> ListCommits(const std::string& resource_id, const PageRequest& page,
                                   bool newest_first) override {
    auto cursor_seq = [&](const std::string& id) -> Result<int64_t> {
      ASSIGN_OR_RETURN(auto s, conn_->Prepare("SELECT seq FROM commits WHERE id = ? AND "
                                              "resource_id = ?"));
      s->Bind(1, id).Bind(2, resource_id);
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) return Status::InvalidArgument("page cursor '" + id + "' names no commit here");
      return s->Int(0);
    };
    return SeqPage<Commit>(std::string("SELECT ") + kCommitCols + " FROM commits",
                           "resource_id = ?1", resource_id, "seq", cursor_seq, page, newest_first,
                           ReadCommit);
  }
  Result<uint64_t> CountCommits(const std::string& resource_id) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare("SELECT count(*) FROM commits WHERE resource_id = ?"));
    s->Bind(1, resource_id);
    ASSIGN_OR_RETURN(bool row, s->Step());
    return row ? static_cast<uint64_t>(s->Int(0)) : 0;
  }
  Result<std::vector<CommitRoots>> ListCommitRoots(int64_t after_seq) override {
    ASSIGN_OR_RETURN(
        auto s, conn_->Prepare(std::string(kCommitRootsSelect) + " WHERE seq > ? ORDER BY seq"));
    s->Bind(1, after_seq);
    return All<CommitRoots>(*s, ReadCommitRoots);
  }
  Result<std::vector<CommitRoots>> ListCommitsWithoutAttributes() override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(std::string(kCommitRootsSelect) +
                                            " WHERE attrs_root IS NULL ORDER BY seq"));
    return All<CommitRoots>(*s, ReadCommitRoots);
  }
  Result<ResourceStorage> GetResourceStorage(const std::string& resource_id) override {
    ResourceStorage out;
    ASSIGN_OR_RETURN(out.commits, CountCommits(resource_id));
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "SELECT count(*), ifnull(sum(length(data)), 0) FROM element_versions "
                                 "WHERE hash IN (SELECT cc.version FROM commit_changes cc "
                                 "JOIN commits c ON c.seq = cc.commit_seq WHERE c.resource_id = ?)"));
    s->Bind(1, resource_id);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) {
      out.element_versions = static_cast<uint64_t>(s->Int(0));
      out.element_version_bytes = static_cast<uint64_t>(s->Int(1));
    }
    return out;
  }
  Status DeleteCommit(const std::string& id) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare("DELETE FROM commits WHERE id = ?"));
    RETURN_IF_ERROR(s->Bind(1, id).Run());
    return ExpectChanged("commit " + id);
  }
  Result<Page<Change>> ListChanges(int64_t commit_seq, const PageRequest& page) override {
    auto cursor_ord = [&](const std::string& id) -> Result<int64_t> {
      ASSIGN_OR_RETURN(auto s, conn_->Prepare("SELECT ord FROM commit_changes WHERE "
                                              "commit_seq = ? AND change_id = ?"));
      s->Bind(1, commit_seq).Bind(2, id);
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) return Status::InvalidArgument("page cursor '" + id + "' names no change here");
      return s->Int(0);
    };
    auto read = [](const Statement& s) -> Result<Change> {
      Change c{s.Text(2), s.Text(3), std::nullopt};
      if (!s.IsNull(4)) c.version = s.HashCol(4);
      return c;
    };
    return SeqPage<Change>(
        "SELECT commit_seq, ord, change_id, element_id, version FROM commit_changes",
        "commit_seq = ?1", commit_seq, "ord", cursor_ord, page, false, read);
  }
  Result<std::optional<Change>> GetChange(int64_t commit_seq,
                                          const std::string& change_id) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "SELECT change_id, element_id, version FROM commit_changes "
                                 "WHERE commit_seq = ? AND change_id = ?"));
    s->Bind(1, commit_seq).Bind(2, change_id);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<Change>();
    Change c{s->Text(0), s->Text(1), std::nullopt};
    if (!s->IsNull(2)) c.version = s->HashCol(2);
    return std::optional<Change>(std::move(c));
  }
  Result<std::vector<ProjectUsage>> ListProjectUsages(int64_t commit_seq) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "SELECT element_id, used_project, used_commit FROM commit_usages "
                                 "WHERE commit_seq = ? ORDER BY element_id"));
    s->Bind(1, commit_seq);
    std::vector<ProjectUsage> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back({s->Text(0), s->Text(1), s->Text(2)});
    }
    return out;
  }
  Result<int64_t> InsertCommit(const Commit& c, const std::vector<Change>& changes,
                               const std::vector<ProjectUsage>& usages) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "INSERT INTO commits(id, resource_id, parents, author, created, "
                                 "name, description, state_root, roots_root, edges_root, hash, "
                                 "element_count, change_count, attrs_root) "
                                 "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    s->Bind(1, c.id).Bind(2, c.resource_id).Bind(3, nlohmann::json(c.parents).dump())
        .Bind(4, c.author).Bind(5, c.created).Bind(6, c.name).Bind(7, c.description)
        .Bind(8, c.state_root).Bind(9, c.roots_root).Bind(10, c.edges_root).Bind(11, c.hash)
        .Bind(12, static_cast<int64_t>(c.element_count))
        .Bind(13, static_cast<int64_t>(c.change_count));
    if (c.attrs_root != Hash{}) s->Bind(14, c.attrs_root);
    RETURN_IF_ERROR(s->Run());
    int64_t seq = sqlite3_last_insert_rowid(conn_->db());
    ASSIGN_OR_RETURN(auto cs, conn_->Prepare(
                                  "INSERT INTO commit_changes(commit_seq, ord, change_id, "
                                  "element_id, version) VALUES(?, ?, ?, ?, ?)"));
    int64_t ord = 0;
    for (const auto& ch : changes) {
      cs->Bind(1, seq).Bind(2, ord++).Bind(3, ch.change_id).Bind(4, ch.element_id);
      if (ch.version) {
        cs->Bind(5, *ch.version);
      } else {
        cs->BindNull(5);
      }
      RETURN_IF_ERROR(cs->Run());
    }
    ASSIGN_OR_RETURN(auto us, conn_->Prepare(
                                  "INSERT INTO commit_usages(commit_seq, element_id, used_project, "
                                  "used_commit) VALUES(?, ?, ?, ?)"));
    for (const auto& u : usages) {
      RETURN_IF_ERROR(
          us->Bind(1, seq).Bind(2, u.element_id).Bind(3, u.used_project).Bind(4, u.used_commit)
              .Run());
    }
    return seq;
  }

  // ---- content-addressed data
  Result<std::string> GetNode(const Hash& hash) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare("SELECT data FROM trie_nodes WHERE hash = ?"));
    s->Bind(1, hash);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return Status::NotFound("trie node " + ToHex(hash) + " is missing");
    return s->Blob(0);
  }
  Status PutNode(const Hash& hash, const std::string& bytes) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "INSERT OR IGNORE INTO trie_nodes(hash, data) VALUES(?, ?)"));
    return s->Bind(1, hash).BindBlob(2, bytes).Run();
  }
  Result<std::string> GetElementVersion(const Hash& hash) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "SELECT codec, raw_size, data FROM element_versions "
                                 "WHERE hash = ?"));
    s->Bind(1, hash);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return Status::NotFound("element version " + ToHex(hash) + " is missing");
    int64_t codec = s->Int(0), raw_size = s->Int(1);
    std::string data = s->Blob(2);
    std::string raw;
    if (codec == kCodecRaw) {
      raw = std::move(data);
    } else if (codec == kCodecZstd && raw_size >= 0 && raw_size <= kMaxElementVersionBytes) {
      if (!ZstdDecompressExact(data, static_cast<size_t>(raw_size), raw).ok()) {
        return Status::Corruption("element version " + ToHex(hash) + " does not decompress");
      }
    } else {
      return Status::Corruption("element version " + ToHex(hash) + " has an unknown encoding");
    }
    if (Sha256(raw) != hash) {
      return Status::Corruption("element version " + ToHex(hash) + " does not match its hash");
    }
    return raw;
  }
  Status PutElementVersion(const Hash& hash, const std::string& json) override {
    if (static_cast<int64_t>(json.size()) > kMaxElementVersionBytes) {
      return Status::TooLarge("an element version of " + std::to_string(json.size()) +
                              " bytes exceeds the limit of " +
                              std::to_string(kMaxElementVersionBytes));
    }
    ASSIGN_OR_RETURN(auto exists, conn_->Prepare("SELECT 1 FROM element_versions WHERE hash = ?"));
    exists->Bind(1, hash);
    ASSIGN_OR_RETURN(bool found, exists->Step());
    if (found) return Status::Ok();
    int codec = kCodecRaw;
    std::string stored;
    if (json.size() >= store_.options_.compress_threshold) {
      RETURN_IF_ERROR(ZstdCompress(json, store_.options_.zstd_level, stored));
      codec = kCodecZstd;
    }
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "INSERT INTO element_versions(hash, codec, raw_size, data) "
                                 "VALUES(?, ?, ?, ?)"));
    return s->Bind(1, hash).Bind(2, static_cast<int64_t>(codec))
        .Bind(3, static_cast<int64_t>(json.size()))
        .BindBlob(4, codec == kCodecRaw ? std::string_view(json) : std::string_view(stored))
        .Run();
  }

  Result<std::vector<Hash>> ListNodeHashes() override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare("SELECT hash FROM trie_nodes"));
    return All<Hash>(*s, [](const Statement& st) { return st.HashCol(0); });
  }
  Result<ContentCounts> CountContent() override {
    ContentCounts out;
    ASSIGN_OR_RETURN(auto n, conn_->Prepare(
                                 "SELECT count(*), ifnull(sum(length(data)), 0) FROM trie_nodes"));
    ASSIGN_OR_RETURN(bool row, n->Step());
    if (row) {
      out.trie_nodes = static_cast<uint64_t>(n->Int(0));
      out.trie_node_bytes = static_cast<uint64_t>(n->Int(1));
    }
    ASSIGN_OR_RETURN(auto v, conn_->Prepare(
                                 "SELECT count(*), ifnull(sum(length(data)), 0) FROM element_versions"));
    ASSIGN_OR_RETURN(row, v->Step());
    if (row) {
      out.element_versions = static_cast<uint64_t>(v->Int(0));
      out.element_version_bytes = static_cast<uint64_t>(v->Int(1));
    }
    return out;
  }
  Result<StoreFigures> Figures() override {
    StoreFigures out;
    ASSIGN_OR_RETURN(auto s,
                     conn_->Prepare("SELECT (SELECT count(*) FROM commits), "
                                    "(SELECT count(*) FROM resources), "
                                    "(SELECT page_count * page_size FROM pragma_page_count(), "
                                    "pragma_page_size())"));
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) {
      out.commits = static_cast<uint64_t>(s->Int(0));
      out.resources = static_cast<uint64_t>(s->Int(1));
      out.store_bytes = static_cast<uint64_t>(s->Int(2));
    }
    return out;
  }
  Result<ContentCounts> DeleteNodes(const std::vector<Hash>& hashes) override {
    ContentCounts out;
    for (const auto& h : hashes) {
      // A fresh wrapper per node: its destructor resets the cached statement.
      ASSIGN_OR_RETURN(auto s, conn_->Prepare("DELETE FROM trie_nodes WHERE hash = ? "
                                              "RETURNING length(data)"));
      s->Bind(1, h);
      RETURN_IF_ERROR(SumDeleted(*s, out.trie_nodes, out.trie_node_bytes));
    }
    return out;
  }
  Result<ContentCounts> DeleteUnreferencedElementVersions() override {
    ContentCounts out;
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "DELETE FROM element_versions WHERE hash NOT IN "
                                 "(SELECT version FROM commit_changes WHERE version IS NOT NULL) "
                                 "RETURNING length(data)"));
    RETURN_IF_ERROR(SumDeleted(*s, out.element_versions, out.element_version_bytes));
    return out;
  }

  // ---- users and tokens
  Result<std::optional<User>> GetUser(const std::string& name) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "SELECT name, password_hash, role, created, scopes FROM users "
                                 "WHERE name = ?"));
    s->Bind(1, name);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<User>();
    return std::optional<User>(User{s->Text(0), s->Text(1), s->Text(2), s->Int(3), s->Text(4)});
  }
  Result<std::vector<User>> ListUsers() override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "SELECT name, password_hash, role, created, scopes FROM users "
                                 "ORDER BY name"));
    std::vector<User> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(User{s->Text(0), s->Text(1), s->Text(2), s->Int(3), s->Text(4)});
    }
    return out;
  }
  Status InsertUser(const User& u) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "INSERT INTO users(name, password_hash, role, created, scopes) "
                                 "VALUES(?, ?, ?, ?, ?)"));
    return s->Bind(1, u.name).Bind(2, u.password_hash).Bind(3, u.role).Bind(4, u.created)
        .Bind(5, u.scopes).Run();
  }
  Status UpdateUser(const User& u) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "UPDATE users SET password_hash = ?, role = ?, scopes = ? WHERE name = ?"));
    RETURN_IF_ERROR(
        s->Bind(1, u.password_hash).Bind(2, u.role).Bind(3, u.scopes).Bind(4, u.name).Run());
    return ExpectChanged("user " + u.name);
  }
  Status DeleteUser(const std::string& name) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare("DELETE FROM users WHERE name = ?"));
    RETURN_IF_ERROR(s->Bind(1, name).Run());
    return ExpectChanged("user " + name);
  }
  Result<std::optional<Token>> GetToken(const Hash& token_hash) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "SELECT token_hash, user_name, expires FROM tokens "
                                 "WHERE token_hash = ?"));
    s->Bind(1, token_hash);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<Token>();
    return std::optional<Token>(Token{s->HashCol(0), s->Text(1), s->Int(2)});
  }
  Status InsertToken(const Token& t) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "INSERT INTO tokens(token_hash, user_name, expires) "
                                 "VALUES(?, ?, ?)"));
    return s->Bind(1, t.token_hash).Bind(2, t.user_name).Bind(3, t.expires).Run();
  }
  Status DeleteTokensOf(const std::string& user_name) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare("DELETE FROM tokens WHERE user_name = ?"));
    return s->Bind(1, user_name).Run();
  }
  Status DeleteToken(const Hash& token_hash) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare("DELETE FROM tokens WHERE token_hash = ?"));
    return s->Bind(1, token_hash).Run();
  }
  Status DeleteExpiredTokens(int64_t now) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare("DELETE FROM tokens WHERE expires <= ?"));
    return s->Bind(1, now).Run();
  }

  // ---- remote configurations and their runs
  Result<std::optional<RemoteConfig>> GetRemoteConfig(const std::string& id) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "SELECT id, name, spec, secret, state, created FROM remote_configs "
                                 "WHERE id = ?"));
    s->Bind(1, id);
    return First<RemoteConfig>(*s, ReadRemoteConfig);
  }
  Result<std::vector<RemoteConfig>> ListRemoteConfigs() override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "SELECT id, name, spec, secret, state, created FROM remote_configs "
                                 "ORDER BY name"));
    return All<RemoteConfig>(*s, ReadRemoteConfig);
  }
  Status InsertRemoteConfig(const RemoteConfig& c) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "INSERT INTO remote_configs(id, name, spec, secret, state, created) "
                                 "VALUES(?, ?, ?, ?, ?, ?)"));
    return s->Bind(1, c.id).Bind(2, c.name).Bind(3, c.spec).BindBlob(4, c.secret).Bind(5, c.state)
        .Bind(6, c.created).Run();
  }
  Status UpdateRemoteConfig(const RemoteConfig& c) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "UPDATE remote_configs SET name = ?, spec = ?, secret = ?, state = ? "
                                 "WHERE id = ?"));
    RETURN_IF_ERROR(s->Bind(1, c.name).Bind(2, c.spec).BindBlob(3, c.secret).Bind(4, c.state)
                        .Bind(5, c.id).Run());
    return ExpectChanged("remote configuration " + c.id);
  }
  Status DeleteRemoteConfig(const std::string& id) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare("DELETE FROM remote_configs WHERE id = ?"));
    RETURN_IF_ERROR(s->Bind(1, id).Run());
    return ExpectChanged("remote configuration " + id);
  }
  Result<std::vector<SyncRun>> ListSyncRuns(const std::string& config_id, size_t limit) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "SELECT seq, config_id, started, finished, outcome, report "
                                 "FROM sync_runs WHERE config_id = ? ORDER BY seq DESC LIMIT ?"));
    s->Bind(1, config_id).Bind(2, static_cast<int64_t>(limit));
    return All<SyncRun>(*s, [](const Statement& st) {
      return SyncRun{st.Int(0), st.Text(1), st.Int(2), st.Int(3), st.Text(4), st.Text(5)};
    });
  }
  Result<int64_t> InsertSyncRun(const SyncRun& run) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "INSERT INTO sync_runs(config_id, started, finished, outcome, report) "
                                 "VALUES(?, ?, ?, ?, ?)"));
    RETURN_IF_ERROR(s->Bind(1, run.config_id).Bind(2, run.started).Bind(3, run.finished)
                        .Bind(4, run.outcome).Bind(5, run.report).Run());
    return sqlite3_last_insert_rowid(conn_->db());
  }

  // ---- events
  Result<std::vector<Event>> ListEvents(int64_t since, size_t limit) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "SELECT seq, type, resource_id, data, created FROM events "
                                 "WHERE seq > ? ORDER BY seq LIMIT ?"));
    s->Bind(1, since).Bind(2, static_cast<int64_t>(limit));
    std::vector<Event> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(Event{s->Int(0), s->Text(1), s->OptText(2), s->Text(3), s->Int(4)});
    }
    return out;
  }
  Result<int64_t> LastEventSeq() override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare("SELECT ifnull(max(seq), 0) FROM events"));
    ASSIGN_OR_RETURN(bool row, s->Step());
    return row ? s->Int(0) : 0;
  }
  Result<int64_t> AppendEvent(const Event& e) override {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(
                                 "INSERT INTO events(type, resource_id, data, created) "
                                 "VALUES(?, ?, ?, ?)"));
    RETURN_IF_ERROR(s->Bind(1, e.type).Bind(2, e.resource_id).Bind(3, e.data)
                        .Bind(4, e.created).Run());
    return sqlite3_last_insert_rowid(conn_->db());
  }

  Status CommitTransaction() override {
    if (!writer_lock_.owns_lock()) return Status::InvalidArgument("read transactions don't commit");
    RETURN_IF_ERROR(conn_->Exec("COMMIT"));
    open_ = false;
    return Status::Ok();
  }

 private:
  // Steps a DELETE ... RETURNING length(data) to its end, adding up rows and bytes.
  static Status SumDeleted(Statement& s, uint64_t& rows, uint64_t& bytes) {
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return Status::Ok();
      ++rows;
      bytes += static_cast<uint64_t>(s.Int(0));
    }
  }

  Status ExpectChanged(const std::string& what) {
    if (conn_->Changes() == 0) return Status::NotFound(what + " does not exist");
    return Status::Ok();
  }

  template <typename T, typename Reader>
  Result<std::optional<T>> First(Statement& s, Reader read) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<T>();
    return std::optional<T>(read(s));
  }

  template <typename T, typename Reader>
  Result<std::optional<T>> One(const std::string& sql, Reader read, const std::string& key) {
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(sql));
    s->Bind(1, key);
    return First<T>(*s, read);
  }

  template <typename T, typename Reader>
  Result<std::vector<T>> All(Statement& s, Reader read) {
    std::vector<T> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return out;
      out.push_back(read(s));
    }
  }

  // A page of rows ordered by their text `id`, filtered by `where` (with ?1 bound to `arg`).
  template <typename T, typename Arg, typename Reader>
  Result<Page<T>> IdPage(const std::string& select, const std::string& where, const Arg& arg,
                         const PageRequest& page, Reader read) {
    auto to_seq = [](const std::string&) -> Result<int64_t> { return int64_t{0}; };
    return Paged<T>(select, where, arg, "id", to_seq, page, false, /*text_key=*/true, read);
  }

  // A page of rows ordered by an integer column; cursors are ids mapped by `to_seq`.
  template <typename T, typename Arg, typename ToSeq, typename Reader>
  Result<Page<T>> SeqPage(const std::string& select, const std::string& where, const Arg& arg,
                          const std::string& order_col, ToSeq to_seq, const PageRequest& page,
                          bool descending, Reader read) {
    return Paged<T>(select, where, arg, order_col, to_seq, page, descending, false,
                    [&](const Statement& s) -> Result<T> { return read(s); });
  }

  template <typename T, typename Arg, typename ToSeq, typename Reader>
  Result<Page<T>> Paged(const std::string& select, const std::string& where, const Arg& arg,
                        const std::string& key_col, ToSeq to_seq, const PageRequest& page,
                        bool descending, bool text_key, Reader read) {
    // Walking "forward" means in display order; page[before] walks backward.
    bool backward = page.before.has_value();
    const std::optional<std::string>& cursor = backward ? page.before : page.after;
    bool ascending = descending == backward;
    std::string cmp = ascending ? " > ?2" : " < ?2";
    std::string sql = select + " WHERE " + where;
    if (cursor) sql += " AND " + key_col + cmp;
    sql += " ORDER BY " + key_col + (ascending ? " ASC" : " DESC") + " LIMIT ?3";
    ASSIGN_OR_RETURN(auto s, conn_->Prepare(sql));
    BindArg(*s, 1, arg);
    int64_t cursor_seq = 0;
    if (cursor) {
      if (text_key) {
        s->Bind(2, *cursor);
      } else {
        ASSIGN_OR_RETURN(cursor_seq, to_seq(*cursor));
        s->Bind(2, cursor_seq);
      }
    }
    s->Bind(3, static_cast<int64_t>(page.limit + 1));
    Page<T> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      if (out.items.size() == page.limit) {
        (backward ? out.more_before : out.more_after) = true;
        break;
      }
      if constexpr (std::is_same_v<decltype(read(*s)), Result<T>>) {
        ASSIGN_OR_RETURN(T item, read(*s));
        out.items.push_back(std::move(item));
      } else {
        out.items.push_back(read(*s));
      }
    }
    if (backward) std::reverse(out.items.begin(), out.items.end());
    // With a cursor, the cursor's own row lies on the other side.
    if (cursor) (backward ? out.more_after : out.more_before) = true;
    return out;
  }

  static void BindArg(Statement& s, int i, const std::optional<std::string>& v) { s.Bind(i, v); }
  static void BindArg(Statement& s, int i, const std::string& v) { s.Bind(i, v); }
  static void BindArg(Statement& s, int i, int64_t v) { s.Bind(i, v); }

  SqliteStore& store_;
  std::unique_ptr<SqliteConnection> owned_;  // readers only; the writer belongs to the store
  SqliteConnection* conn_;
  std::unique_lock<TimedMutex> writer_lock_;
  bool open_ = false;
};

SqliteStore::SqliteStore(std::string path, SqliteOptions options)
    : path_(std::move(path)), options_(options) {}

SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteConnection>> SqliteStore::Connect(int64_t cache_kib) {
  ASSIGN_OR_RETURN(auto conn, SqliteConnection::Open(path_, options_.busy_timeout_ms));
  RETURN_IF_ERROR(conn->Exec("PRAGMA journal_size_limit=" +
                             std::to_string(options_.wal_size_limit_bytes) + ";" +
                             "PRAGMA cache_size=-" + std::to_string(cache_kib) + ";"));
  return conn;
}

namespace {

// The store holds password hashes, sealed secrets and every model: its files
// are the owner's alone, whatever the umask or the directory's mode. SQLite
// gives -wal and -shm the mode of the database file, so creating that one
// 0600 is enough for new stores; files of older ones are tightened (never
// loosened). Returns IOError naming the file it cannot restrict.
Status CreateStoreFilePrivate(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
  } else if (errno != EEXIST) {
    return Status::IOError("cannot create the store " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Status RestrictStoreFiles(const std::string& path) {
  for (const std::string& file : {path, path + "-wal", path + "-shm"}) {
    struct stat st;
    if (::stat(file.c_str(), &st) != 0) continue;  // -wal/-shm come and go
    if ((st.st_mode & 077) == 0) continue;
    if (::chmod(file.c_str(), st.st_mode & 0700) != 0) {
      return Status::IOError("cannot make " + file + " private to its owner: " +
                             std::strerror(errno));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       const SqliteOptions& options) {
  RETURN_IF_ERROR(CreateStoreFilePrivate(path));
  auto store = std::unique_ptr<SqliteStore>(new SqliteStore(path, options));
  // Nobody else has the store yet; held so that the analysis sees writer_ guarded.
  std::lock_guard writer_lock(store->writer_mu_);
  store->writer_mu_.AssertHeld();  // by writer_lock
  ASSIGN_OR_RETURN(store->writer_, store->Connect(options.writer_cache_kib));
  RETURN_IF_ERROR(RestrictStoreFiles(path));
  auto& w = *store->writer_;
  RETURN_IF_ERROR(w.Exec("BEGIN IMMEDIATE"));
  Status st = [&]() -> Status {
    ASSIGN_OR_RETURN(auto tables, w.Prepare("SELECT count(*) FROM sqlite_master WHERE "
                                            "type = 'table' AND name = 'meta'"));
    ASSIGN_OR_RETURN(bool row, tables->Step());
    bool has_meta = row && tables->Int(0) > 0;
    if (has_meta) {
      ASSIGN_OR_RETURN(auto v, w.Prepare("SELECT value FROM meta WHERE key = 'schema_version'"));
      ASSIGN_OR_RETURN(bool found, v->Step());
      if (!found) return Status::Corruption(path + " has no schema version; it is not a Tandem store");
      int version = std::atoi(v->Text(0).c_str());
      if (version > kSchemaVersion) {
        return Status::InvalidArgument(path + " was written by a newer Tandem (schema " +
                                       std::to_string(version) + "); upgrade this Tandem");
      }
    } else {
      ASSIGN_OR_RETURN(auto any, w.Prepare("SELECT count(*) FROM sqlite_master"));
      ASSIGN_OR_RETURN(bool r2, any->Step());
      if (r2 && any->Int(0) > 0) {
        return Status::Corruption(path + " is an SQLite database but not a Tandem store");
      }
    }
    RETURN_IF_ERROR(w.Exec(kSqliteSchemaV1));
    // Stores made before users had scopes get the column (same schema version:
    // no release shipped without it).
    ASSIGN_OR_RETURN(auto cols, w.Prepare("SELECT count(*) FROM pragma_table_info('users') "
                                          "WHERE name = 'scopes'"));
    ASSIGN_OR_RETURN(bool has_row, cols->Step());
    if (has_row && cols->Int(0) == 0) {
      RETURN_IF_ERROR(w.Exec("ALTER TABLE users ADD COLUMN scopes TEXT NOT NULL DEFAULT '[]'"));
    }
    // The attribute index of commits (NULL until Repository::Bootstrap has
    // built it for commits made before it existed).
    ASSIGN_OR_RETURN(auto attrs, w.Prepare("SELECT count(*) FROM pragma_table_info('commits') "
                                           "WHERE name = 'attrs_root'"));
    ASSIGN_OR_RETURN(bool attrs_row, attrs->Step());
    if (attrs_row && attrs->Int(0) == 0) {
      RETURN_IF_ERROR(w.Exec("ALTER TABLE commits ADD COLUMN attrs_root BLOB"));
    }
    RETURN_IF_ERROR(w.Exec("INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', '" +
                           std::to_string(kSchemaVersion) + "')"));
    return Status::Ok();
  }();
  if (!st.ok()) {
    Status rollback = w.Exec("ROLLBACK");
    (void)rollback;  // the original error is the one worth reporting
    return st;
  }
  RETURN_IF_ERROR(w.Exec("COMMIT"));
  return store;
}

std::unique_ptr<SqliteConnection> SqliteStore::TakeReader() {
  MutexLock lock(readers_mu_);
  if (idle_readers_.empty()) return nullptr;
  auto conn = std::move(idle_readers_.back());
  idle_readers_.pop_back();
  return conn;
}

void SqliteStore::ReturnReader(std::unique_ptr<SqliteConnection> conn) {
  constexpr size_t kMaxIdleReaders = 16;
  MutexLock lock(readers_mu_);
  if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(conn));
}

Result<std::unique_ptr<ReadTransaction>> SqliteStore::BeginRead() {
  auto conn = TakeReader();
  if (!conn) {
    ASSIGN_OR_RETURN(conn, Connect(options_.reader_cache_kib));
  }
  auto txn = std::make_unique<SqliteTransaction>(*this, std::move(conn));
  RETURN_IF_ERROR(txn->Begin());
  return std::unique_ptr<ReadTransaction>(std::move(txn));
}

Result<std::unique_ptr<WriteTransaction>> SqliteStore::BeginWrite() {
  // The lock passes to the transaction, which holds it for its whole life.
  std::unique_lock lock(writer_mu_, std::defer_lock);
  if (!lock.try_lock_for(options_.write_wait)) {
    // Another write has held the store for that long (a large import, a
    // datamanager deletion): tell the caller to come back rather than queue
    // without a bound.
    return Status::Unavailable("the store is busy with another write for more than " +
                               std::to_string(options_.write_wait.count()) +
                               " ms (storage.write-wait-ms); retry shortly");
  }
  writer_mu_.AssertHeld();  // by `lock`
  if (!writer_) {
    ASSIGN_OR_RETURN(writer_, Connect(options_.writer_cache_kib));
  }
  auto txn = std::make_unique<SqliteTransaction>(*this, writer_.get(), std::move(lock));
  RETURN_IF_ERROR(txn->Begin());
  return std::unique_ptr<WriteTransaction>(std::move(txn));
}

}  // namespace tandem
