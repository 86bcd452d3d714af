// Store: the storage interface. Everything above it (repo, api, sync) talks to
// storage only through these transactions and never writes SQL.
//
// A ReadTransaction is a consistent snapshot; a WriteTransaction is atomic: its
// effects become visible all together at CommitTransaction(), or not at all if it is
// destroyed without CommitTransaction() (or the process dies). Transactions are not
// thread-safe; a Store is, and hands out any number of read transactions and
// one write transaction at a time (BeginWrite waits a bounded time while
// another is open, then answers Unavailable).
//
// Content-addressed data (Merkle trie nodes, element versions) is immutable:
// writing an existing hash is a no-op.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "store/records.h"

namespace tandem {

struct ResourceFilter {
  std::optional<std::string> category_id;
};

// The roots of one commit's tries (garbage collection, verification).
struct CommitRoots {
  int64_t seq = 0;
  std::string id;
  std::string resource_id;
  Hash elements{};
  Hash roots{};
  Hash edges{};
  Hash attrs{};  // all zero: not built yet
};

// Rows and stored bytes of content-addressed data.
struct ContentCounts {
  uint64_t trie_nodes = 0;
  uint64_t trie_node_bytes = 0;
  uint64_t element_versions = 0;
  uint64_t element_version_bytes = 0;  // as stored (compressed where it is)
};

// What the whole store holds, for monitoring (GET /metrics); cheap to read
// (ContentCounts, which reads every content row's header, is not).
struct StoreFigures {
  uint64_t commits = 0;
  uint64_t resources = 0;
  uint64_t store_bytes = 0;  // the database's size (pages in use and free), not counting its log
};

// What a resource's history takes: its commits and the element versions its
// change sets reference, each version counted once (it may be shared).
struct ResourceStorage {
  uint64_t commits = 0;
  uint64_t element_versions = 0;
  uint64_t element_version_bytes = 0;
};

class ReadTransaction {
 public:
  virtual ~ReadTransaction() = default;

  virtual Result<std::optional<std::string>> GetMeta(const std::string& key) = 0;

  virtual Result<std::optional<Category>> GetCategory(const std::string& id) = 0;
  virtual Result<std::vector<Category>> ListCategories() = 0;
  virtual Result<std::optional<Category>> FindCategoryByName(
      const std::optional<std::string>& parent_id, const std::string& name) = 0;

  virtual Result<std::optional<Resource>> GetResource(const std::string& id) = 0;
  virtual Result<std::optional<Resource>> FindResourceByProjectId(const std::string& project_id) = 0;
  virtual Result<std::optional<Resource>> FindResourceByName(const std::string& category_id,
                                                             const std::string& name) = 0;
  // Ordered by id.
  virtual Result<Page<Resource>> ListResources(const ResourceFilter& filter,
                                               const PageRequest& page) = 0;
  virtual Result<uint64_t> CountResourcesInCategory(const std::string& category_id) = 0;
  // Projects that any commit of `resource_id` uses (ProjectUsage), sorted.
  virtual Result<std::vector<std::string>> ListUsedProjects(const std::string& resource_id) = 0;
  // Resources other than `resource_id` whose commits use it (ProjectUsage).
  virtual Result<std::vector<std::string>> ListUsersOfResource(const std::string& resource_id) = 0;
  // Commits of `resource_id` that other resources' commits use (ProjectUsage), sorted.
  virtual Result<std::vector<std::string>> ListUsedCommits(const std::string& resource_id) = 0;

  virtual Result<std::optional<Branch>> GetBranch(const std::string& id) = 0;
  // Ordered by id.
  virtual Result<Page<Branch>> ListBranches(const std::string& resource_id,
                                            const PageRequest& page) = 0;
  virtual Result<std::optional<Tag>> GetTag(const std::string& id) = 0;
  // Ordered by id.
  virtual Result<Page<Tag>> ListTags(const std::string& resource_id, const PageRequest& page) = 0;
  virtual Result<std::vector<Tag>> ListTagsOfCommit(const std::string& commit_id) = 0;
  virtual Result<std::vector<Branch>> ListBranchesWithHead(const std::string& commit_id) = 0;

  virtual Result<std::optional<Commit>> GetCommit(const std::string& id) = 0;
  // Ordered by local insertion order (parents before children); newest first if asked.
  virtual Result<Page<Commit>> ListCommits(const std::string& resource_id, const PageRequest& page,
                                           bool newest_first) = 0;
  // Ordered as the commit's request listed them.
  virtual Result<Page<Change>> ListChanges(int64_t commit_seq, const PageRequest& page) = 0;
  virtual Result<std::optional<Change>> GetChange(int64_t commit_seq,
                                                  const std::string& change_id) = 0;
  virtual Result<std::vector<ProjectUsage>> ListProjectUsages(int64_t commit_seq) = 0;

  virtual Result<uint64_t> CountCommits(const std::string& resource_id) = 0;
  // Commits with seq > after_seq (all resources), in seq order, with their trie roots.
  virtual Result<std::vector<CommitRoots>> ListCommitRoots(int64_t after_seq) = 0;
  // Commits whose attribute index is not built yet (attrs all zero), in seq order.
  virtual Result<std::vector<CommitRoots>> ListCommitsWithoutAttributes() = 0;
  virtual Result<ResourceStorage> GetResourceStorage(const std::string& resource_id) = 0;

  // Content-addressed data. NotFound if absent; Corruption if stored bytes do not match.
  virtual Result<std::string> GetNode(const Hash& hash) = 0;
  virtual Result<std::string> GetElementVersion(const Hash& hash) = 0;
  // Every stored trie node's hash (garbage collection).
  virtual Result<std::vector<Hash>> ListNodeHashes() = 0;
  virtual Result<ContentCounts> CountContent() = 0;
  virtual Result<StoreFigures> Figures() = 0;

  virtual Result<std::optional<StoredQuery>> GetQuery(const std::string& id) = 0;
  // A resource's queries by id.
  virtual Result<Page<StoredQuery>> ListQueries(const std::string& resource_id,
                                                const PageRequest& page) = 0;

  virtual Result<std::optional<User>> GetUser(const std::string& name) = 0;
  virtual Result<std::vector<User>> ListUsers() = 0;
  virtual Result<std::optional<Token>> GetToken(const Hash& token_hash) = 0;

  virtual Result<std::optional<RemoteConfig>> GetRemoteConfig(const std::string& id) = 0;
  virtual Result<std::vector<RemoteConfig>> ListRemoteConfigs() = 0;
  // Newest first, at most `limit`.
  virtual Result<std::vector<SyncRun>> ListSyncRuns(const std::string& config_id,
                                                    size_t limit) = 0;

  // Events with seq > since, oldest first, at most `limit`.
  virtual Result<std::vector<Event>> ListEvents(int64_t since, size_t limit) = 0;
  virtual Result<int64_t> LastEventSeq() = 0;
};

class WriteTransaction : public ReadTransaction {
 public:
  virtual Status SetMeta(const std::string& key, const std::string& value) = 0;

  virtual Status InsertCategory(const Category& c) = 0;
  virtual Status UpdateCategory(const Category& c) = 0;
  virtual Status DeleteCategory(const std::string& id) = 0;

  virtual Status InsertResource(const Resource& r) = 0;
  virtual Status UpdateResource(const Resource& r) = 0;
  // Removes the resource with its branches, tags, commits and changes.
  // Content-addressed data stays until garbage-collected.
  virtual Status DeleteResource(const std::string& id) = 0;

  virtual Status InsertBranch(const Branch& b) = 0;
  // Moves the branch head from `expected` to `head`; Conflict if it is not at `expected`.
  virtual Status MoveBranchHead(const std::string& branch_id,
                                const std::optional<std::string>& expected,
                                const std::string& head) = 0;
  virtual Status DeleteBranch(const std::string& id) = 0;
  virtual Status InsertTag(const Tag& t) = 0;
  virtual Status DeleteTag(const std::string& id) = 0;

  virtual Status PutNode(const Hash& hash, const std::string& bytes) = 0;
  virtual Status PutElementVersion(const Hash& hash, const std::string& canonical_json) = 0;
  // Inserts the commit with its change set and project usages; returns its seq.
  virtual Result<int64_t> InsertCommit(const Commit& c, const std::vector<Change>& changes,
                                       const std::vector<ProjectUsage>& usages) = 0;
  // Removes one commit with its change set and usages (content stays until
  // garbage-collected). The caller keeps the history consistent: nothing
  // that remains may name it as a parent, head or tagged commit.
  virtual Status DeleteCommit(const std::string& id) = 0;
  // Garbage collection: removes the given trie nodes (absent ones are
  // skipped) and returns what was removed.
  virtual Result<ContentCounts> DeleteNodes(const std::vector<Hash>& hashes) = 0;
  // Removes element versions that no commit's change set references.
  virtual Result<ContentCounts> DeleteUnreferencedElementVersions() = 0;

  // Sets the derived attribute index of a commit made before it existed
  // (all zero: not built).
  virtual Status SetCommitAttributesRoot(const std::string& commit_id, const Hash& root) = 0;

  virtual Status InsertQuery(const StoredQuery& q) = 0;
  virtual Status UpdateQuery(const StoredQuery& q) = 0;
  virtual Status DeleteQuery(const std::string& id) = 0;

  virtual Status InsertUser(const User& u) = 0;
  virtual Status UpdateUser(const User& u) = 0;
  virtual Status DeleteUser(const std::string& name) = 0;
  virtual Status InsertToken(const Token& t) = 0;
  virtual Status DeleteExpiredTokens(int64_t now) = 0;
  virtual Status DeleteTokensOf(const std::string& user_name) = 0;
  // Ok also when no such token is stored (it expired, or was deleted already).
  virtual Status DeleteToken(const Hash& token_hash) = 0;

  virtual Status InsertRemoteConfig(const RemoteConfig& c) = 0;
  virtual Status UpdateRemoteConfig(const RemoteConfig& c) = 0;
  virtual Status DeleteRemoteConfig(const std::string& id) = 0;
  virtual Result<int64_t> InsertSyncRun(const SyncRun& run) = 0;

  // Appends an event; returns its seq.
  virtual Result<int64_t> AppendEvent(const Event& e) = 0;

  // Makes every write of this transaction durable and visible at once.
  virtual Status CommitTransaction() = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  virtual Result<std::unique_ptr<ReadTransaction>> BeginRead() = 0;
  // Waits a bounded time (the store's write wait) for the single writer;
  // Unavailable when another write holds it longer. Callers never hold a
  // write transaction across network I/O.
  virtual Result<std::unique_ptr<WriteTransaction>> BeginWrite() = 0;
};

}  // namespace tandem
