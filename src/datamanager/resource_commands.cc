// -lr, -dr, -drb and -gc: listing resources, deleting resources and branches
// with their history, and freeing the space nothing references any more.
#include <iomanip>
#include <map>
#include <sstream>

#include "common/canonical_json.h"
#include "common/clock.h"
#include "common/log_safe.h"
#include "datamanager/command_context.h"
#include "datamanager/copy_check.h"

namespace tandem::datamanager {
namespace {

std::string Bytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  std::ostringstream s;
  if (u == 0) {
    s << n << " B";
  } else {
    s << std::fixed << std::setprecision(1) << v << " " << units[u];
  }
  return s.str();
}

std::string DescribeFreed(const GarbageReport& g) {
  return "freed " + std::to_string(g.freed.element_versions) + " element versions (" +
         Bytes(g.freed.element_version_bytes) + ") and " + std::to_string(g.freed.trie_nodes) +
         " trie nodes (" + Bytes(g.freed.trie_node_bytes) + "); the store held " +
         std::to_string(g.before.element_versions) + " element versions (" +
         Bytes(g.before.element_version_bytes) + ") and " + std::to_string(g.before.trie_nodes) +
         " trie nodes (" + Bytes(g.before.trie_node_bytes) + ")";
}

// "category/sub-category" path of a category, below the root.
std::string CategoryPath(const std::map<std::string, Category>& categories, const std::string& id) {
  std::string path;
  std::string at = id;
  for (int depth = 0; depth < 256; ++depth) {
    auto it = categories.find(at);
    if (it == categories.end()) return path.empty() ? id : path;
    if (!it->second.parent_id) return path.empty() ? "/" : path;
    path = "/" + it->second.name + path;
    at = *it->second.parent_id;
  }
  return path;
}

Json OriginJson(const std::string& origin) {
  if (origin.empty()) return nullptr;
  Json j = ParseJsonOrDiscarded(origin);
  if (!j.is_object()) return Json{{"unreadable", origin}};
  return Json{{"server", j.value("server", "")},
              {"serverId", j.value("serverId", "")},
              {"configuration", j.value("configuration", "")},
              {"configurationName", j.value("configurationName", "")}};
}

std::string OriginText(const Json& origin) {
  if (origin.is_null()) return "local";
  if (origin.contains("unreadable")) return "unreadable origin";
  return "copy from " + origin.value("server", "?") + " (" + origin.value("configurationName", "?") +
         ")";
}

// Cells are escaped (TerminalSafe): names and Project IDs may have come from
// a source, and ESC, CR or LF in them must neither drive the terminal nor
// fake rows.
void PrintTable(std::ostream& out, std::vector<std::vector<std::string>> rows) {
  for (auto& row : rows) {
    for (auto& cell : row) cell = TerminalSafe(cell);
  }
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

// After a deletion (already committed): prints what was deleted, then frees
// what nothing references any more.
Result<std::string> ReportAndFree(CommandContext& ctx, const std::string& deleted) {
  ctx.out << deleted << "\n";
  auto freed = CollectGarbageWithReport(ctx);
  if (!freed.ok()) {
    return freed.status().WithContext(deleted + "; but freeing their space failed (run "
                                      "'datamanager --collect-garbage' to retry)");
  }
  return deleted + "; " + *freed;
}

}  // namespace

Result<std::string> CollectGarbageWithReport(CommandContext& ctx) {
  GcOptions options;
  options.progress = [&](uint64_t done, uint64_t total) {
    ctx.Progress("marking what remaining commits use", done, total);
  };
  auto report = CollectGarbage(ctx.store, options);
  if (!report.ok()) return report.status();
  std::string text = DescribeFreed(*report);
  ctx.out << text << "\n";
  return text;
}

Result<std::string> ListResources(CommandContext& ctx) {
  ASSIGN_OR_RETURN(auto txn, ctx.store.BeginRead());
  ASSIGN_OR_RETURN(auto category_list, txn->ListCategories());
  std::map<std::string, Category> categories;
  for (auto& c : category_list) categories.emplace(c.id, std::move(c));
  Json list = Json::array();
  PageRequest page{std::nullopt, std::nullopt, 1000};
  while (true) {
    ASSIGN_OR_RETURN(auto resources, txn->ListResources(ResourceFilter{}, page));
    for (const auto& r : resources.items) {
      ASSIGN_OR_RETURN(ResourceStorage size, txn->GetResourceStorage(r.id));
      ASSIGN_OR_RETURN(auto newest, txn->ListCommits(r.id, PageRequest{std::nullopt, std::nullopt, 1},
                                                     /*newest_first=*/true));
      Json last = nullptr;
      if (!newest.items.empty()) {
        const Commit& c = newest.items.front();
        last = {{"id", c.id}, {"created", FormatTimestamp(c.created)}, {"hash", ToHex(c.hash)}};
      }
      list.push_back({{"id", r.id},
                      {"projectId", r.project_id},
                      {"name", r.name},
                      {"categoryId", r.category_id},
                      {"category", CategoryPath(categories, r.category_id)},
                      {"readOnly", r.read_only},
                      {"origin", OriginJson(r.origin)},
                      {"size", {{"commits", size.commits},
                                {"elementVersions", size.element_versions},
                                {"bytes", size.element_version_bytes}}},
                      {"lastCommit", last}});
    }
    if (!resources.more_after || resources.items.empty()) break;
    page.after = resources.items.back().id;
  }
  if (ctx.invocation.Has("json")) {
    ctx.out << list.dump(2) << "\n";
  } else {
    std::vector<std::vector<std::string>> rows = {
        {"ID", "PROJECT ID", "NAME", "CATEGORY", "READ-ONLY", "ORIGIN", "SIZE", "LAST COMMIT"}};
    for (const auto& r : list) {
      std::string size = Bytes(r["size"]["bytes"]) + " in " +
                         std::to_string(r["size"]["commits"].get<uint64_t>()) + " commits";
      std::string last = r["lastCommit"].is_null()
                             ? "none"
                             : r["lastCommit"]["created"].get<std::string>() + " " +
                                   r["lastCommit"]["id"].get<std::string>();
      rows.push_back({r["id"], r["projectId"], r["name"], r["category"],
                      r["readOnly"].get<bool>() ? "yes" : "no", OriginText(r["origin"]), size, last});
    }
    PrintTable(ctx.out, rows);
  }
  return "listed " + std::to_string(list.size()) + " resources";
}

Result<std::string> DeleteResources(CommandContext& ctx) {
  if (ctx.invocation.positional.empty()) {
    return Status::InvalidArgument("--delete-resource needs at least one resource id");
  }
  ASSIGN_OR_RETURN(auto ids, ParseIds(ctx.invocation.positional, "--delete-resource"));
  Repository::AdminVeto veto;
  std::optional<ArchiveCopies> copies;
  std::string own_id;
  if (auto url = ctx.invocation.Value("require-copy-at")) {
    ASSIGN_OR_RETURN(copies, FetchArchiveCopies(ctx.env, *url, ids));
    ASSIGN_OR_RETURN(own_id, ctx.repo.ServerId());
    // Compared inside the deleting transaction: a commit that lands here after
    // the archive answered makes its copy behind, and the delete is refused.
    veto = [&](ReadTransaction& txn, const std::vector<Resource>& doomed) {
      return CheckCopies(txn, own_id, doomed, *copies);
    };
  }
  std::vector<std::string> names;
  for (const auto& id : ids) {
    auto r = ctx.repo.GetResource(id);
    if (r.ok()) names.push_back("'" + r->name + "' (" + id + ")");
  }
  RETURN_IF_ERROR(ctx.repo.DeleteResources(ids, ctx.invocation.Has("force"), veto));
  std::string deleted = "deleted " + std::to_string(ids.size()) + " resource(s): ";
  for (size_t i = 0; i < names.size(); ++i) deleted += (i ? ", " : "") + names[i];
  if (copies) deleted += "; each has a complete copy at " + copies->url;
  return ReportAndFree(ctx, deleted);
}

Result<std::string> DeleteBranches(CommandContext& ctx) {
  ASSIGN_OR_RETURN(auto resource, ctx.invocation.List("resourceID"));
  ASSIGN_OR_RETURN(auto branches, ctx.invocation.List("branchID"));
  if (resource.size() != 1) {
    return Status::InvalidArgument("--delete-branch needs exactly one --resourceID=ID");
  }
  if (branches.empty()) {
    return Status::InvalidArgument("--delete-branch needs --branchID=ID[,ID...]");
  }
  ASSIGN_OR_RETURN(auto rid, ParseIds(resource, "--resourceID"));
  ASSIGN_OR_RETURN(auto bids, ParseIds(branches, "--branchID"));
  ASSIGN_OR_RETURN(auto deletion,
                   ctx.repo.DeleteBranches(rid.front(), bids,
                                           ctx.invocation.Has("includeChildBranch")));
  std::string text = "deleted " + std::to_string(deletion.branches.size()) + " branch(es) of " +
                     rid.front() + ":";
  for (const auto& b : deletion.branches) text += " '" + b.name + "' (" + b.id + ")";
  text += ", and " + std::to_string(deletion.commits_deleted) +
          " commit(s) no remaining branch or tag reaches";
  return ReportAndFree(ctx, text);
}

}  // namespace tandem::datamanager
