// Repository: the domain rules of a Tandem server over a Store: categories,
// resources (SysML v2 projects), branches, tags, commits and the elements they
// hold, read-only protection and the change feed. The API layer maps HTTP onto
// these calls; the sync engine will import history through ImportCommit-style
// calls added here, never by writing to the store itself.
//
// Every mutation is one store write transaction that also appends its event
// to the change feed, so a crash leaves either all of it or none. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/canonical_json.h"
#include "common/clock.h"
#include "repo/change_feed.h"
#include "repo/element_query.h"
#include "repo/element_state.h"
#include "store/store.h"
#include "store/trie_node_cache.h"

namespace tandem {

struct RepositoryOptions {
  size_t node_cache_entries = 20'000;
  size_t facts_cache_entries = 65'536;  // facts of element versions (ElementState)
  size_t max_changes_per_commit = 1'000'000;
  // Deepest nesting of an element version, local or received
  // (`server.max-json-depth`, at most kMaxJsonDepthCeiling).
  size_t max_json_depth = 64;
  // Elements a query reads for one page before it answers a short page whose
  // cursor resumes after the last one read (QueryPage::stopped_at): a query no
  // index bounds costs at most this much per request.
  size_t max_query_reads = 20'000;
};

// A page of query results. `stopped_at`: the page is short because
// max_query_reads elements were read; the next page (in the direction read)
// continues after this element id, which need not be a result.
struct QueryPage : Page<Json> {
  std::optional<std::string> stopped_at;
  // With ElementQuery::texts_when_indexed, when the index decided the match:
  // the page's elements as stored JSON text, with their ids (items is empty).
  std::vector<std::string> texts;
  std::vector<std::string> text_ids;
};

struct CategorySpec {
  std::string name;
  std::optional<std::string> parent_id;  // default: the root category
  std::string description;
};

struct CategoryPatch {
  std::optional<std::string> name;
  std::optional<std::string> parent_id;
  std::optional<std::string> description;
};

struct ResourceSpec {
  std::string name;
  std::optional<std::string> description;
  std::optional<std::string> category_id;  // default: the root category
  std::optional<std::string> project_id;   // default: generated
};

struct ResourcePatch {
  std::optional<std::string> name;
  std::optional<std::optional<std::string>> description;  // set to null clears it
  std::optional<std::string> category_id;
  std::optional<bool> read_only;
};

// One entry of a commit request's `change` list.
struct ElementChange {
  std::optional<std::string> element_id;  // identity.@id; generated when absent
  Json payload;                           // null deletes the element
};

struct CommitRequest {
  std::optional<std::string> branch_id;        // default: the resource's default branch
  std::optional<std::string> previous_commit;  // must equal the branch head when given
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::vector<ElementChange> changes;
};

// A merge of `source_commit_id` into a branch (Repository::Merge).
struct MergeRequest {
  std::string branch_id;
  std::string source_commit_id;
  std::optional<std::string> description;  // default: names the source and the branch
  // The versions to keep of elements that conflict (payload null: deleted).
  // Naming an element that does not conflict is InvalidArgument.
  std::vector<ElementChange> resolutions;
};

struct MergeOutcome {
  // The merge commit; or the branch head when the source is already merged
  // (`created` false); unset when there are conflicts.
  std::optional<Commit> commit;
  bool created = false;
  // Elements changed differently on both sides since the merge base (one
  // side may have deleted it) and not resolved; nothing was stored.
  std::vector<std::string> conflicts;
};

// A commit with the views of it the APIs show.
struct CommitView {
  Commit commit;
  std::vector<std::string> branch_ids;  // branches whose head it is
  std::vector<Tag> tags;
};

struct DataDifference {
  std::string element_id;
  std::optional<Json> base;
  std::optional<Json> compare;
};

class Repository {
 public:
  Repository(Store& store, Clock& clock, RepositoryOptions options = {});
  const RepositoryOptions& options() const { return options_; }

  // Creates the root category and server id on first use, and the attribute
  // index of commits stored before this release had it. Idempotent.
  Status Bootstrap();
  Result<std::string> ServerId();
  Result<std::string> RootCategoryId();

  // ---- categories
  Result<Category> CreateCategory(const CategorySpec& spec);
  Result<Category> GetCategory(const std::string& id);
  // The category and its ancestors up to the root, nearest first (one
  // snapshot). NotFound for an unknown category; Corruption for a parent
  // chain that does not end (a damaged store).
  Result<std::vector<std::string>> CategoryLineage(const std::string& id);
  Result<std::vector<Category>> ListCategories();
  Result<Category> UpdateCategory(const std::string& id, const CategoryPatch& patch);
  // Only empty categories (no resources, no sub-categories) can be deleted.
  Status DeleteCategory(const std::string& id);

  // ---- resources
  Result<Resource> CreateResource(const ResourceSpec& spec);
  Result<Resource> GetResource(const std::string& id);
  Result<std::optional<Resource>> FindResourceByProjectId(const std::string& project_id);
  Result<std::optional<Resource>> FindResourceByName(const std::string& category_id,
                                                     const std::string& name);
  Result<Page<Resource>> ListResources(const ResourceFilter& filter, const PageRequest& page);
  Result<Resource> UpdateResource(const std::string& id, const ResourcePatch& patch);
  Status DeleteResource(const std::string& id);

  // ---- branches and tags
  Result<Page<Branch>> ListBranches(const std::string& resource_id, const PageRequest& page);
  Result<Branch> GetBranch(const std::string& resource_id, const std::string& branch_id);
  Result<Branch> CreateBranch(const std::string& resource_id, const std::string& name,
                              const std::string& head_commit_id);
  Status DeleteBranch(const std::string& resource_id, const std::string& branch_id);
  Result<Page<Tag>> ListTags(const std::string& resource_id, const PageRequest& page);
  Result<Tag> GetTag(const std::string& resource_id, const std::string& tag_id);
  Result<Tag> CreateTag(const std::string& resource_id, const std::string& name,
                        const std::string& commit_id, const std::optional<std::string>& description);
  Status DeleteTag(const std::string& resource_id, const std::string& tag_id);

  // ---- commits
  Result<Commit> CreateCommit(const std::string& resource_id, const CommitRequest& request,
                              const std::string& author);
  // Three-way merge by element of a commit into a branch against their merge
  // base (repository_merge.cc): a commit with parents (branch head, source)
  // that takes every element only the source side changed. Refused on
  // read-only resources like any write; NotFound for a source commit of
  // another project.
  Result<MergeOutcome> Merge(const std::string& resource_id, const MergeRequest& request,
                             const std::string& author);
  Result<Commit> GetCommit(const std::string& resource_id, const std::string& commit_id);
  Result<CommitView> GetCommitView(const std::string& resource_id, const std::string& commit_id);
  Result<Page<Commit>> ListCommits(const std::string& resource_id, const PageRequest& page,
                                   bool newest_first);
  // Commits reachable from the branch head, newest first.
  Result<Page<Commit>> ListBranchCommits(const std::string& resource_id,
                                         const std::string& branch_id, const PageRequest& page);
  Result<std::vector<ProjectUsage>> ListProjectUsages(const std::string& resource_id,
                                                      const std::string& commit_id);

  // Change set of a commit: element id and its new JSON (nullopt: deleted).
  struct ChangeView {
    Change change;
    std::optional<Json> payload;
  };
  Result<Page<ChangeView>> ListChanges(const std::string& resource_id,
                                       const std::string& commit_id, const PageRequest& page);
  Result<ChangeView> GetChange(const std::string& resource_id, const std::string& commit_id,
                               const std::string& change_id);

  // ---- elements at a commit
  Result<Page<Json>> ListElements(const std::string& resource_id, const std::string& commit_id,
                                  const PageRequest& page);
  Result<Json> GetElement(const std::string& resource_id, const std::string& commit_id,
                          const std::string& element_id);
  // The ProjectUsage element of the commit through which `element_id` comes
  // into it: the first of the commit's usages whose used commit holds the
  // element, directly or through usages of its own (at most
  // kMaxUsageCommitsSearched commits are looked at). NotFound when the
  // element is the project's own at that commit, or no usage brings it.
  Result<Json> GetProjectUsage(const std::string& resource_id, const std::string& commit_id,
                               const std::string& element_id);
  static constexpr size_t kMaxUsageCommitsSearched = 1000;
  // The elements of a commit (the head of the default branch when `commit_id`
  // is none; an empty page when the project has no commit yet) that match
  // `query`, in ListElements' order, each with only its selected properties.
  // Reads only the attribute-index entries IndexEntriesFor names, when it
  // names any; otherwise every element (repository_query.cc). At most
  // options.max_query_reads elements are read per call.
  Result<QueryPage> QueryElements(const std::string& resource_id,
                                  const std::optional<std::string>& commit_id,
                                  const ElementQuery& query, const PageRequest& page);
  // Queries kept in a project: `body` is the API's JSON of the query, which the
  // repository stores as given (the api layer checks it, on the way in and out).
  Result<StoredQuery> CreateQuery(const std::string& resource_id, const std::string& name,
                                  const std::string& body);
  Result<StoredQuery> GetQuery(const std::string& resource_id, const std::string& query_id);
  Result<Page<StoredQuery>> ListQueries(const std::string& resource_id, const PageRequest& page);
  Result<StoredQuery> UpdateQuery(const std::string& resource_id, const std::string& query_id,
                                  const std::string& name, const std::string& body);
  Status DeleteQuery(const std::string& resource_id, const std::string& query_id);

  Result<Page<Json>> ListRoots(const std::string& resource_id, const std::string& commit_id,
                               const PageRequest& page);
  Result<Page<Json>> ListRelationships(const std::string& resource_id,
                                       const std::string& commit_id,
                                       const std::string& element_id,
                                       RelationshipDirection direction, const PageRequest& page);
  Result<Page<DataDifference>> Diff(const std::string& resource_id,
                                    const std::string& base_commit_id,
                                    const std::string& compare_commit_id,
                                    const PageRequest& page);

  // ---- history export and import (synchronization; repository_sync.cc)
  // Commits of the resource that are not ancestors-or-self of a `have`
  // commit, walking back from its branch heads; parents first.
  // With `want`, the walk starts from those commits instead of every branch head.
  Result<std::vector<Commit>> CommitsNotIn(const std::string& resource_id,
                                           const std::vector<std::string>& have,
                                           const std::vector<std::string>& want = {});
  // The newest ancestor-or-self of `head` that carries a tag named `tag`.
  Result<std::optional<Commit>> NewestTagged(const std::string& resource_id,
                                             const std::string& head, const std::string& tag);
  Result<uint64_t> CountCommits(const std::string& resource_id);
  // The whole store's commits, resources and size (GET /metrics).
  Result<StoreFigures> Figures();
  // Rows and bytes of content-addressed data; reads every row's header (about
  // 0.5 s for a 500 MB store with a warm cache), so callers keep the answer.
  Result<ContentCounts> CountContent();
  // Commits of the resource that no other commit here has as a parent: with
  // the branch heads, what a target tells a source it has, so commits that
  // arrived before an interrupted run could move the heads are not sent again.
  Result<std::vector<std::string>> Tips(const std::string& resource_id);
  // A resource's refs as a source's catalogue describes them, from one
  // snapshot: branches with the hash of each head, tags, the projects it
  // uses and its commit count.
  struct SyncRefs {
    std::vector<Branch> branches;
    std::vector<std::optional<Hash>> head_hashes;  // per branch; nullopt when it has no head
    std::vector<Tag> tags;
    std::vector<std::string> used_projects;
    uint64_t commit_count = 0;
  };
  Result<SyncRefs> RefsForSync(const std::string& resource_id);

  // Reads what a pack carries of each of `commits`, in order: its change set
  // (request order) and, through `text`, the canonical JSON of any element
  // version. Snapshots are renewed every 64 commits (stored history is
  // immutable), so a long stream neither opens a transaction per record nor
  // pins one snapshot — and with it the write-ahead log — for its whole length.
  using VersionText = std::function<Result<std::string>(const Hash&)>;
  using CommitContentVisitor =
      std::function<Status(const Commit&, const std::vector<Change>&, const VersionText& text)>;
  Status VisitCommitContents(const std::vector<Commit>& commits, const CommitContentVisitor& visit);

  struct ImportedCommit {
    Commit commit;                // id, parents, author, created, name, description, hash as received
    std::vector<Change> changes;  // element ids and versions (change ids are derived again)
    std::map<Hash, std::string> versions;  // texts of versions not yet stored here
  };
  // Verifies one received commit of a synchronized resource and stores it,
  // with its change-feed event, in one transaction. A commit already present
  // with the same hash is a no-op. Corruption when a version's text does not
  // match its hash or the recomputed commit hash differs; InvalidArgument when
  // a parent is missing. Nothing is stored on failure.
  Status ImportCommit(const std::string& resource_id, const ImportedCommit& imported);
  // The same for consecutive commits of one stream, in one write transaction
  // (group commit: one log write and one fsync for the batch). Each commit is
  // verified before the transaction commits, so all become visible at once or,
  // after a crash, none. When commit i is refused, commits 0..i-1 are stored
  // (they verified) and the refusal is returned with `imported` = i.
  struct BatchImport {
    size_t imported = 0;  // commits of the batch now stored (or already present)
    Status status;
  };
  BatchImport ImportCommits(const std::string& resource_id, const std::vector<ImportedCommit>& batch);

  // A dry run of imports (bundle verification before anything is applied):
  // the same checks as ImportCommit, in one write transaction that is rolled
  // back when the trial dies, so nothing stays. It holds the store's single
  // writer for its lifetime. Not thread-safe.
  class ImportTrial {
   public:
    // Inserts a not-yet-existing copy for the trial; false when the resource
    // exists already or clashes (the real run reports that).
    Result<bool> AddResource(const Resource& r);
    Status ImportCommit(const std::string& resource_id, const ImportedCommit& imported);

   private:
    friend class Repository;
    ImportTrial(Repository& repo, std::unique_ptr<WriteTransaction> txn)
        : repo_(repo), txn_(std::move(txn)) {}
    Repository& repo_;
    std::unique_ptr<WriteTransaction> txn_;
    TrieNodeCache txn_nodes_{kTxnNodeCacheEntries};
  };
  Result<std::unique_ptr<ImportTrial>> BeginImportTrial();

  // Creates the read-only local copy of a synchronized resource with the
  // source's ids (Resource ID, Project ID, default branch) and `origin`.
  // The source's metadata must pass the local rules (names, ids,
  // descriptions without control characters); InvalidArgument otherwise.
  Result<Resource> CreateMirror(const Resource& source, const std::string& category_id,
                                const std::string& origin,
                                const std::string& default_branch_name = "main");
  // Sets name, description and category of a copy to the source's (and the
  // configured target category). Emits rename/move events when they change.
  // The same rules as CreateMirror apply to the name and description.
  Result<Resource> UpdateMirrorMetadata(const std::string& resource_id, const std::string& name,
                                        const std::optional<std::string>& description,
                                        const std::string& category_id, const std::string& origin);
  // A commit read from another server's SysML v2 API (an import into a copy
  // made with CreateMirror): stored with the source's id, parents and time,
  // its hash computed here, with its commit.created event, on no branch
  // (MirrorRefs points branches at it). Its changes pass the checks of a
  // commit (PrepareWrites, project usages). False when the resource holds a
  // commit with that id already; Conflict when another resource does;
  // InvalidArgument when a parent is not stored yet.
  struct ForeignCommit {
    std::string id;
    std::vector<std::string> parents;
    int64_t created = 0;
    std::optional<std::string> name;
    std::optional<std::string> description;
    std::string author;
    std::vector<ElementChange> changes;
  };
  Result<bool> ImportForeignCommit(const std::string& resource_id, const ForeignCommit& commit);
  // Makes the copy's branches and tags those of the source: heads move to the
  // given commits (which must have been imported), missing refs are created
  // with the source's ids, refs the source no longer has are removed.
  Status MirrorRefs(const std::string& resource_id, const std::vector<Branch>& branches,
                    const std::vector<Tag>& tags);

  // ---- administration (the datamanager tool; repository_admin.cc)
  // Called inside an administration call's write transaction with the
  // resources it is about to change; an error refuses the whole call.
  using AdminVeto = std::function<Status(ReadTransaction&, const std::vector<Resource>&)>;

  // Deletes the resources with their whole history, in one transaction.
  // Conflict, naming the users, when a resource not in `ids` uses one of them
  // (ProjectUsage), unless `force`. NotFound (nothing deleted) for an unknown id.
  Status DeleteResources(const std::vector<std::string>& ids, bool force,
                         const AdminVeto& veto = nullptr);

  struct BranchDeletion {
    std::vector<Branch> branches;  // deleted, the named ones first
    uint64_t commits_deleted = 0;
  };
  // Deletes branches of a resource, with the branches forked from them when
  // `include_children`, and the commits that no remaining branch, tag or
  // other resource's ProjectUsage reaches. A branch is a child of B when its
  // first-parent line holds one of B's own commits: those on B's first-parent
  // line, newer than B and not on the default branch (docs/datamanager.md).
  // Conflict for the default branch; NotFound for an unknown branch.
  Result<BranchDeletion> DeleteBranches(const std::string& resource_id,
                                        const std::vector<std::string>& branch_ids,
                                        bool include_children);

  struct ReadOnlyRemoval {
    std::vector<Resource> resources;    // whose flag was removed
    std::vector<Category> categories;   // whose flag was removed
  };
  // Removes the read-only flag from the resources, from every resource in the
  // categories and their sub-categories, and from those categories, in one
  // transaction. NotFound (nothing changed) for an unknown id. `veto` sees
  // the flagged resources about to be unflagged.
  Result<ReadOnlyRemoval> RemoveReadOnlyFlag(const std::vector<std::string>& resource_ids,
                                             const std::vector<std::string>& category_ids,
                                             const AdminVeto& veto);

  // ---- change feed
  // Events after `since`, waiting up to `wait` for the first one.
  Result<std::vector<Event>> Changes(int64_t since, size_t limit, std::chrono::milliseconds wait);
  Result<int64_t> LastEventSeq();
  // Where the feed stands, as a token that changes with every event: the last
  // event's sequence number and time ("0" for none). A store restored from a
  // backup that reaches the same number again with other events has another
  // token. Catalogue answers carry it, so an idle run can ask "anything new?".
  Result<std::string> FeedPosition();
  // Wakes waiters after each event written by this process (long polls that
  // do not block a thread subscribe to it).
  ChangeFeed& change_feed() { return feed_; }
  // How often a waiter re-reads the log for events written by other
  // processes (datamanager), which the feed cannot announce.
  static constexpr std::chrono::milliseconds kChangeRecheck{500};

  Store& store() { return store_; }
  Clock& clock() { return clock_; }

 private:
  Result<Resource> LoadResource(ReadTransaction& txn, const std::string& id);
  Result<Commit> LoadCommit(ReadTransaction& txn, const std::string& resource_id,
                            const std::string& commit_id);
  Status CheckWritable(const Resource& r, std::string_view what);
  // Appends a change-feed event inside `txn`.
  Status Emit(WriteTransaction& txn, const std::string& type,
              const std::optional<std::string>& resource_id, Json data);
  Result<StoredQuery> LoadQuery(ReadTransaction& txn, const std::string& resource_id,
                                const std::string& query_id);
  // Builds the attribute index of commits stored before it existed (Bootstrap).
  Status BuildMissingAttributeIndexes();
  Status Finish(WriteTransaction& txn);
  // ImportCommit inside `txn`: true when the commit was stored, false when it
  // was already there.
  // `txn_nodes` is the transaction's own node cache (StoreNodeSource).
  // What MirrorRefs would change, judged in `txn` (a read first; the writer
  // only when something changes).
  struct RefPlan {
    Resource resource;
    std::vector<Branch> created, deleted;
    std::vector<std::pair<Branch, std::optional<std::string>>> moved;  // branch, head it moves from
    std::vector<Tag> new_tags;
    std::vector<std::string> dropped_tags;
    bool empty() const {
      return created.empty() && deleted.empty() && moved.empty() && new_tags.empty() &&
             dropped_tags.empty();
    }
  };
  Result<RefPlan> PlanMirrorRefs(ReadTransaction& txn, const std::string& resource_id,
                                 const std::vector<Branch>& branches, const std::vector<Tag>& tags);
  Result<bool> ImportCommitIn(WriteTransaction& txn, TrieNodeCache& txn_nodes,
                              const std::string& resource_id, const ImportedCommit& imported);
  // Decoded trie nodes a write transaction keeps of what it read and wrote:
  // consecutive imported commits build on each other's nodes.
  static constexpr size_t kTxnNodeCacheEntries = 16'384;
  StateCaches WriteCaches(TrieNodeCache& txn_nodes) { return {&node_cache_, &txn_nodes, &facts_cache_}; }
  Result<Page<Json>> LoadElements(ReadTransaction& txn, const StateRoots& roots,
                                  Page<std::string> ids);
  // Stores a commit whose state is already built: its new element versions,
  // its change list and the project usages in effect (the first parent's,
  // updated by `writes`). Returns the commit's seq.
  // Checks and canonicalizes a commit's (or a merge resolution's) element
  // changes; `what` names the list in messages ("change", "resolution").
  Result<std::vector<ElementWrite>> PrepareWrites(const std::vector<ElementChange>& changes,
                                                  std::string_view what);
  // Every ProjectUsage written must name a project and commit stored here.
  Status CheckUsedProjects(ReadTransaction& txn, const std::vector<ElementWrite>& writes);
  // Builds a commit on `parents` (the first is the state `writes` apply to:
  // the branch head) and stores it as the new head of `branch`, with its
  // commit.created event.
  struct NewCommit {
    std::optional<std::string> name;
    std::optional<std::string> description;
    std::string author;
    std::string id;                  // empty: a new UUID
    std::optional<int64_t> created;  // default: now
  };
  Result<Commit> CommitToBranch(WriteTransaction& txn, const Resource& r, const Branch& branch,
                                const std::vector<Commit>& parents,
                                const std::vector<ElementWrite>& writes, const NewCommit& info);
  // The part of CommitToBranch that builds and stores the commit, on no branch.
  Result<Commit> StoreNewCommit(WriteTransaction& txn, const Resource& r,
                                const std::vector<Commit>& parents,
                                const std::vector<ElementWrite>& writes, const NewCommit& info);
  // The newest common ancestor of two commits (nullopt: none).
  Result<std::optional<Commit>> MergeBase(ReadTransaction& txn, const Commit& a, const Commit& b);
  Result<int64_t> StoreCommit(WriteTransaction& txn, const Commit& c,
                              const std::vector<ElementWrite>& writes,
                              const std::optional<int64_t>& first_parent_seq);
  // The local rules for names, ids and descriptions, applied to what a
  // source or bundle sends (InvalidArgument naming the resource and the rule).
  static Status ValidateMirroredResource(const Resource& r);
  static Status ValidateMirroredRefs(const std::string& resource_id,
                                     const std::vector<Branch>& branches,
                                     const std::vector<Tag>& tags);
  Status ValidateCategoryName(const std::string& name);
  Status ValidateResourceName(const std::string& name);

  Store& store_;
  Clock& clock_;
  RepositoryOptions options_;
  TrieNodeCache node_cache_;
  FactsCache facts_cache_;
  ChangeFeed feed_;
};

StateRoots RootsOf(const Commit& c);

// Checks the name of a category, resource, branch, tag or query (`what`):
// not empty, at most 256 bytes, no control characters or outer spaces.
Status ValidateName(const std::string& name, std::string_view what);
// Checks a description: at most 64 KiB, no control characters but tab and
// line breaks.
Status ValidateDescription(const std::optional<std::string>& description, std::string_view what);
// Whether a resource is the copy an import made (its origin names the source
// API and project: {"import": {"from", "projectId"}}); see sync/sysml_import.h.
bool IsImportedCopy(const Resource& r);

}  // namespace tandem
