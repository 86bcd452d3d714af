#include "sync/bundle_creator.h"

#include <set>

#include "common/strings.h"
#include "sync/bundle_file.h"
#include "sync/protocol.h"
#include "tandem_version.h"

namespace tandem {
Result<BundlePlan> BundleCreator::Plan(const BundleRequest& request) {
  if (request.resources.empty() && request.categories.empty()) {
    return Status::InvalidArgument("a bundle needs at least one resource or category to hold");
  }
  ASSIGN_OR_RETURN(Catalogue catalogue,
                   source_.BuildCatalogue({request.resources, request.categories, std::nullopt, std::nullopt}));
  if (!catalogue.missing_resources.empty()) {
    return Status::NotFound("this server has no resource " + Join(catalogue.missing_resources, ", "));
  }
  if (!catalogue.missing_categories.empty()) {
    return Status::NotFound("this server has no category " + Join(catalogue.missing_categories, ", "));
  }
  // The projects they use come along, before the ones that use them, as in a run.
  RETURN_IF_ERROR(AddDependencyEntries(catalogue, [this](const std::vector<std::string>& wanted) {
    return source_.BuildCatalogue({wanted, {}, std::nullopt, std::nullopt});
  }));
  ASSIGN_OR_RETURN(std::string server_id, repo_.ServerId());

  BundlePlan plan;
  Json resources = Json::array();
  uint64_t total_commits = 0;
  for (const auto& entry : catalogue.entries) {
    BundlePlan::Part part;
    part.resource_id = entry.resource.id;
    if (auto it = request.since.find(entry.resource.id); it != request.since.end()) {
      part.have = it->second;
    }
    for (const auto& b : entry.branches) {
      if (b.head) part.heads.push_back(*b.head);
    }
    // Prerequisites: parents of bundled commits that the bundle leaves out,
    // i.e. what the target said it holds.
    std::vector<std::string> prerequisites;
    uint64_t commits = 0;
    if (!part.heads.empty()) {
      ASSIGN_OR_RETURN(auto missing, repo_.CommitsNotIn(part.resource_id, part.have, part.heads));
      std::set<std::string> inside;
      for (const auto& c : missing) inside.insert(c.id);
      std::set<std::string> outside;
      for (const auto& c : missing) {
        for (const auto& p : c.parents) {
          if (!inside.count(p) && outside.insert(p).second) prerequisites.push_back(p);
        }
      }
      // A head the target already holds is needed too (no commit names it as a parent).
      for (const auto& h : part.heads) {
        if (!inside.count(h) && outside.insert(h).second) prerequisites.push_back(h);
      }
      commits = missing.size();
    }
    total_commits += commits;
    resources.push_back({{"id", part.resource_id},
                         {"heads", part.heads},
                         {"prerequisites", prerequisites},
                         {"commits", commits},
                         {"entry", CatalogueEntryToJson(entry)}});
    plan.parts.push_back(std::move(part));
  }
  plan.manifest = {{"format", kBundleManifestFormat},
                   {"version", kBundleFormatVersion},
                   {"protocol", {{"name", kSyncProtocolName}, {"major", kSyncProtocolMajor}}},
                   {"sourceServerId", server_id},
                   {"sourceVersion", TANDEM_VERSION},
                   {"created", FormatTimestamp(clock_.NowMicros())},
                   {"incremental", !request.since.empty()},
                   {"commits", total_commits},
                   {"resources", resources}};
  return plan;
}

Status BundleCreator::Write(const BundlePlan& plan, const ByteSink& sink) {
  BundleWriter writer(sink);
  RETURN_IF_ERROR(writer.Start(plan.manifest));
  for (const auto& part : plan.parts) {
    RETURN_IF_ERROR(writer.BeginResource(part.resource_id));
    // A resource with no commit yet has an empty pack ("end" only); the
    // heads fix the walk, so commits made meanwhile stay out, as the manifest says.
    std::vector<std::string> want = part.heads;
    Status written = Status::Ok();
    if (want.empty()) {
      ZstdCompressor empty([&](std::string_view bytes) { return writer.Pack(bytes).ok(); });
      written = empty.Write(Json{{"t", "end"}, {"commits", 0}, {"versions", 0}}.dump() + "\n");
      if (written.ok()) written = empty.Finish();
    } else {
      written = source_.WritePack(part.resource_id, part.have, want, [&](std::string_view bytes) {
        return writer.Pack(bytes).ok();
      });
    }
    RETURN_IF_ERROR(written);
  }
  return writer.Finish();
}

Result<Json> BundleCreator::State(const std::vector<std::string>& resource_ids) {
  std::vector<std::string> ids = resource_ids;
  if (ids.empty()) {
    PageRequest page{std::nullopt, std::nullopt, 1000};
    while (true) {
      ASSIGN_OR_RETURN(auto list, repo_.ListResources(ResourceFilter{std::nullopt}, page));
      for (const auto& r : list.items) {
        if (!r.origin.empty()) ids.push_back(r.id);
      }
      if (!list.more_after) break;
      page.after = list.items.back().id;
    }
  }
  Json resources = Json::object();
  for (const auto& id : ids) {
    ASSIGN_OR_RETURN(Resource r, repo_.GetResource(id));
    // Heads and tips: what a run's pack request names as `have`.
    std::vector<std::string> have;
    ASSIGN_OR_RETURN(auto branches, repo_.ListBranches(r.id, {std::nullopt, std::nullopt, 100'000}));
    for (const auto& b : branches.items) {
      if (b.head) have.push_back(*b.head);
    }
    ASSIGN_OR_RETURN(auto tips, repo_.Tips(r.id));
    for (auto& t : tips) {
      if (std::find(have.begin(), have.end(), t) == have.end()) have.push_back(std::move(t));
    }
    resources[r.id] = have;
  }
  ASSIGN_OR_RETURN(std::string server_id, repo_.ServerId());
  return Json{{"format", kBundleStateFormat},
              {"version", kBundleFormatVersion},
              {"serverId", server_id},
              {"created", FormatTimestamp(clock_.NowMicros())},
              {"resources", resources}};
}

}  // namespace tandem
