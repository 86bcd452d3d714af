// --verify: recomputes every hash of the stored history — each commit's hash
// over its parents' hashes and its state, each trie node's hash and entry
// counts, each element version's SHA-256 — in one read snapshot, and reports
// every mismatch with the project and commit it affects. Each element version
// must also be canonical JSON nested no deeper than server.max-json-depth.
#include <map>
#include <set>

#include "common/canonical_json.h"
#include "common/log_safe.h"
#include "repo/commit_hash.h"
#include "store/trie_walker.h"
#include "datamanager/command_context.h"

namespace tandem::datamanager {
namespace {

constexpr uint64_t kProgressEvery = 500;
constexpr size_t kHashBytes = std::tuple_size_v<Hash>;

class Verifier {
 public:
  Verifier(CommandContext& ctx, ReadTransaction& txn) : ctx_(ctx), txn_(txn) {}

  Status VerifyResource(const Resource& r, uint64_t& done, uint64_t total) {
    std::string who = "project '" + r.name + "' (" + r.id + ")";
    std::map<std::string, Hash> hashes;  // stored hash of each commit seen so far
    PageRequest page{std::nullopt, std::nullopt, 1000};
    while (true) {
      ASSIGN_OR_RETURN(auto commits, txn_.ListCommits(r.id, page, false));
      for (const auto& c : commits.items) {
        VerifyCommit(who, c);
        hashes[c.id] = c.hash;
        ++commits_;
        if (++done % kProgressEvery == 0) ctx_.Progress("verifying commits", done, total);
      }
      if (!commits.more_after || commits.items.empty()) break;
      page.after = commits.items.back().id;
    }
    PageRequest all{std::nullopt, std::nullopt, 100'000};
    ASSIGN_OR_RETURN(auto branches, txn_.ListBranches(r.id, all));
    for (const auto& b : branches.items) {
      if (b.head && !hashes.count(*b.head)) {
        Report(who + " branch '" + b.name + "' (" + b.id + "): its head commit " + *b.head +
               " is missing");
      }
    }
    ASSIGN_OR_RETURN(auto tags, txn_.ListTags(r.id, all));
    for (const auto& t : tags.items) {
      if (!hashes.count(t.commit_id)) {
        Report(who + " tag '" + t.name + "' (" + t.id + "): its commit " + t.commit_id +
               " is missing");
      }
    }
    return Status::Ok();
  }

  // Each distinct element version once, after every commit named it.
  void VerifyVersions() {
    for (const auto& [version, where] : versions_) {
      auto text = txn_.GetElementVersion(version);
      if (!text.ok()) {
        Report(where + ": " + text.status().message());
        continue;
      }
      // What a server refuses to import it must not hold either: a record
      // nested too deep (or not canonical) cannot be served.
      auto parsed = ParseCanonicalJson(*text, "element version " + ToHex(version),
                                       ctx_.max_json_depth);
      if (!parsed.ok()) {
        Report(where + ": " + parsed.status().message() + " (server.max-json-depth)");
      }
    }
  }

  std::string Summary(uint64_t projects) const {
    return "verified " + std::to_string(projects) + " project(s), " + std::to_string(commits_) +
           " commit(s), " + std::to_string(walker_.visited()) + " trie node(s), " +
           std::to_string(versions_.size()) + " element version(s): " +
           std::to_string(problems_) + " problem(s)";
  }
  uint64_t problems() const { return problems_; }

 private:
  void VerifyCommit(const std::string& who, const Commit& c) {
    std::string where = who + " commit " + c.id;
    std::vector<Hash> parent_hashes;
    bool parents_ok = true;
    for (const auto& pid : c.parents) {
      auto p = txn_.GetCommit(pid);
      if (!p.ok() || !*p) {
        Report(where + ": its parent " + pid + " is missing");
        parents_ok = false;
        continue;
      }
      parent_hashes.push_back((*p)->hash);
    }
    if (parents_ok) {
      auto recomputed = ComputeCommitHash(c, parent_hashes);
      if (!recomputed.ok()) {
        Report(where + ": its hash cannot be recomputed: " + recomputed.status().message());
      } else if (*recomputed != c.hash) {
        Report(where + ": stored hash " + ToHex(c.hash) + " but its content hashes to " +
               ToHex(*recomputed));
      }
    }
    auto on_entry = [&](const TrieEntry& e) {
      // An elements-trie value is the version hash followed by the element id.
      if (e.value.size() < kHashBytes) return;
      Hash v;
      std::copy(e.value.begin(), e.value.begin() + kHashBytes, v.begin());
      versions_.emplace(v, where + " element " + e.value.substr(kHashBytes));
    };
    struct Trie {
      const char* name;
      const Hash& root;
      bool elements;
    };
    for (const Trie& t : {Trie{"elements", c.state_root, true}, Trie{"roots", c.roots_root, false},
                          Trie{"relationships", c.edges_root, false},
                          Trie{"attributes", c.attrs_root, false}}) {
      if (t.root == Hash{}) continue;  // an attribute index the server builds at its next start
      Status st = walker_.Walk(txn_, t.root, nullptr,
                               t.elements ? TrieWalker::EntryVisitor(on_entry) : nullptr);
      if (!st.ok()) {
        Report(where + ": " + t.name + " trie (root " + ToHex(t.root) + "): " + st.message());
      }
    }
    if (auto n = walker_.Entries(c.state_root); n && *n != c.element_count) {
      Report(where + ": it records " + std::to_string(c.element_count) +
             " elements but its elements trie holds " + std::to_string(*n));
    }
    PageRequest page{std::nullopt, std::nullopt, 1000};
    while (true) {
      auto changes = txn_.ListChanges(c.seq, page);
      if (!changes.ok()) {
        Report(where + ": its change set cannot be read: " + changes.status().message());
        return;
      }
      for (const auto& ch : changes->items) {
        if (ch.version) versions_.emplace(*ch.version, where + " change of element " + ch.element_id);
      }
      if (!changes->more_after || changes->items.empty()) break;
      page.after = changes->items.back().change_id;
    }
  }

  void Report(const std::string& problem) {
    // A damaged node shared by many commits is reported once per distinct message.
    if (!reported_.insert(problem).second) return;
    ++problems_;
    ctx_.out << "CORRUPT " << TerminalSafe(problem) << "\n";
  }

  CommandContext& ctx_;
  ReadTransaction& txn_;
  TrieWalker walker_;
  std::map<Hash, std::string> versions_;  // version -> where it was first named
  std::set<std::string> reported_;
  uint64_t commits_ = 0;
  uint64_t problems_ = 0;
};

}  // namespace

Result<std::string> Verify(CommandContext& ctx) {
  ASSIGN_OR_RETURN(auto wanted, ctx.invocation.List("resourceID"));
  ASSIGN_OR_RETURN(auto ids, ParseIds(wanted, "--resourceID"));
  ASSIGN_OR_RETURN(auto txn, ctx.store.BeginRead());
  std::vector<Resource> resources;
  if (ids.empty()) {
    PageRequest page{std::nullopt, std::nullopt, 1000};
    while (true) {
      ASSIGN_OR_RETURN(auto p, txn->ListResources(ResourceFilter{}, page));
      for (auto& r : p.items) resources.push_back(std::move(r));
      if (!p.more_after || p.items.empty()) break;
      page.after = resources.back().id;
    }
  } else {
    for (const auto& id : ids) {
      ASSIGN_OR_RETURN(auto r, txn->GetResource(id));
      if (!r) return Status::NotFound("project " + id + " does not exist");
      resources.push_back(std::move(*r));
    }
  }
  uint64_t total = 0;
  for (const auto& r : resources) {
    ASSIGN_OR_RETURN(uint64_t n, txn->CountCommits(r.id));
    total += n;
  }
  Verifier verifier(ctx, *txn);
  uint64_t done = 0;
  for (const auto& r : resources) RETURN_IF_ERROR(verifier.VerifyResource(r, done, total));
  if (total > 0) ctx.Progress("verifying commits", done, total);
  verifier.VerifyVersions();
  std::string summary = verifier.Summary(resources.size());
  if (verifier.problems() > 0) return Status::Corruption(summary);
  ctx.out << summary << "\n";
  return summary;
}

}  // namespace tandem::datamanager
