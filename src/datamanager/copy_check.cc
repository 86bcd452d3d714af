#include "datamanager/copy_check.h"

#include <algorithm>

namespace tandem::datamanager {

Result<ArchiveCopies> FetchArchiveCopies(const Environment& env, const std::string& url,
                                         const std::vector<std::string>& ids) {
  Status valid = ValidateSourceUrl(url);
  if (!valid.ok()) return valid.WithContext("--require-copy-at");
  auto user = env.get_env("TANDEM_USER");
  auto password = env.get_env("TANDEM_PASSWORD");
  if (!user || user->empty() || !password || password->empty()) {
    return Status::InvalidArgument(
        "--require-copy-at needs an account of the archive server that can read its resources: "
        "set TANDEM_USER and TANDEM_PASSWORD in the environment (never on the command line)");
  }
  ArchiveCopies out;
  out.url = url;
  if (!out.url.empty() && out.url.back() == '/') out.url.pop_back();
  std::unique_ptr<SyncSource> archive = env.sources({out.url, *user, *password});
  auto info = archive->Info(Cancellation::Never());
  if (!info.ok()) return info.status().WithContext("asking the archive for its copies");
  out.server_id = info->server_id;
  CatalogueRequest request;
  request.resources = ids;
  ASSIGN_OR_RETURN(Catalogue catalogue, archive->FetchCatalogue(request, Cancellation::Never()));
  for (auto& e : catalogue.entries) {
    std::string id = e.resource.id;
    out.by_id.emplace(std::move(id), std::move(e));
  }
  return out;
}

Status CheckCopies(ReadTransaction& txn, const std::string& own_server_id,
                   const std::vector<Resource>& resources, const ArchiveCopies& copies) {
  if (copies.server_id == own_server_id) {
    return Status::Conflict("refusing to delete: " + copies.url +
                            " is this server itself, not an archive holding copies");
  }
  std::vector<std::string> problems;
  for (const auto& r : resources) {
    std::string who = "project '" + r.name + "' (" + r.id + ")";
    auto it = copies.by_id.find(r.id);
    if (it == copies.by_id.end()) {
      problems.push_back(who + ": " + copies.url + " holds no copy of it");
      continue;
    }
    const CatalogueEntry& copy = it->second;
    if (copy.resource.project_id != r.project_id) {
      problems.push_back(who + ": the resource with this id at " + copies.url +
                         " has another Project ID (" + copy.resource.project_id + ")");
      continue;
    }
    // A copy's chain names the servers it came through, ending with the archive.
    bool from_here = copy.origin.size() >= 2 && copy.origin.back() == copies.server_id &&
                     std::find(copy.origin.begin(), copy.origin.end() - 1, own_server_id) !=
                         copy.origin.end() - 1;
    if (!from_here) {
      problems.push_back(who + ": the resource with this id at " + copies.url +
                         " is not a copy synchronized from this server");
      continue;
    }
    PageRequest all{std::nullopt, std::nullopt, 100'000};
    ASSIGN_OR_RETURN(auto branches, txn.ListBranches(r.id, all));
    for (const auto& b : branches.items) {
      if (!b.head) continue;
      ASSIGN_OR_RETURN(auto head, txn.GetCommit(*b.head));
      if (!head) return Status::Corruption(who + ": branch '" + b.name + "' names a missing head");
      std::string branch = who + " branch '" + b.name + "' (" + b.id + ")";
      size_t i = 0;
      while (i < copy.branches.size() && copy.branches[i].id != b.id) ++i;
      if (i == copy.branches.size()) {
        problems.push_back(branch + ": the copy has no such branch");
      } else if (!copy.head_hashes[i]) {
        problems.push_back(branch + ": the copy's branch has no commit yet; here the head is " +
                           ToHex(head->hash));
      } else if (*copy.head_hashes[i] != head->hash) {
        problems.push_back(branch + ": the copy's head hash is " + ToHex(*copy.head_hashes[i]) +
                           " but here it is " + ToHex(head->hash) +
                           " (the copy is behind or differs)");
      }
    }
  }
  if (problems.empty()) return Status::Ok();
  std::string message = "refusing to delete: the copy at " + copies.url + " is not complete:";
  for (const auto& p : problems) message += "\n  " + p;
  message += "\nsynchronize the archive's configuration again (wait until its run is 'ok'), "
             "then repeat the delete";
  return Status::Conflict(message);
}

}  // namespace tandem::datamanager
