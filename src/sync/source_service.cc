#include "sync/source_service.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "common/canonical_json.h"
#include "common/clock.h"

namespace tandem {

Status AddDependencyEntries(Catalogue& catalogue, const CatalogueFetch& fetch) {
  std::map<std::string, CatalogueEntry> by_id;
  for (auto& e : catalogue.entries) by_id.emplace(e.resource.id, std::move(e));
  std::vector<std::string> wanted;
  for (int round = 0; round < 100; ++round) {
    wanted.clear();
    for (const auto& [id, e] : by_id) {
      for (const auto& used : e.used_projects) {
        if (!by_id.count(used) &&
            std::find(wanted.begin(), wanted.end(), used) == wanted.end()) {
          wanted.push_back(used);
        }
      }
    }
    if (wanted.empty()) break;
    // Dependencies come whole: a tag on the user says nothing about which
    // commits of a used project it needs.
    ASSIGN_OR_RETURN(Catalogue more, fetch(wanted));
    for (auto& e : more.entries) {
      // Only what was asked for: a source cannot slip in other resources.
      if (std::find(wanted.begin(), wanted.end(), e.resource.id) == wanted.end()) continue;
      e.selected_by = {"dependency"};
      by_id.emplace(e.resource.id, std::move(e));
    }
    // A used project the source lacks gets no entry; importing a commit that
    // needs it then fails with a message saying which project it waits for.
    if (more.entries.empty()) break;
  }
  // Depth-first order: every resource after the projects it uses.
  std::vector<CatalogueEntry> ordered;
  std::set<std::string> placed, visiting;
  std::function<void(const std::string&)> place = [&](const std::string& id) {
    auto it = by_id.find(id);
    if (it == by_id.end() || placed.count(id) || !visiting.insert(id).second) return;
    for (const auto& used : it->second.used_projects) place(used);
    placed.insert(id);
    ordered.push_back(it->second);
  };
  for (const auto& [id, e] : by_id) place(id);
  catalogue.entries = std::move(ordered);
  return Status::Ok();
}

namespace {

// The origin chain this server reports for `r`: its stored chain plus itself.
std::vector<std::string> OriginChain(const Resource& r, const std::string& self) {
  std::vector<std::string> chain;
  if (!r.origin.empty()) {
    // A synchronized copy: its stored chain names the servers before this one.
    Json origin = ParseJsonOrDiscarded(r.origin);
    if (origin.is_object() && origin.contains("chain") && origin["chain"].is_array()) {
      for (const auto& s : origin["chain"]) {
        if (s.is_string()) chain.push_back(s.get<std::string>());
      }
    }
  }
  chain.push_back(self);
  return chain;
}

}  // namespace

Result<CatalogueEntry> SourceService::Describe(const Resource& r,
                                               const std::optional<std::string>& tag,
                                               const std::string& self) {
  CatalogueEntry e;
  e.resource = r;
  e.origin = OriginChain(r, self);
  ASSIGN_OR_RETURN(Repository::SyncRefs refs, repo_.RefsForSync(r.id));
  if (tag) {
    for (const auto& b : refs.branches) {
      std::optional<std::string> cut;
      if (b.head) {
        ASSIGN_OR_RETURN(auto tagged, repo_.NewestTagged(r.id, *b.head, *tag));
        if (tagged) cut = tagged->id;
      }
      e.tag_cuts.push_back(cut);
    }
  }
  e.branches = std::move(refs.branches);
  e.head_hashes = std::move(refs.head_hashes);
  e.tags = std::move(refs.tags);
  e.used_projects = std::move(refs.used_projects);
  e.commit_count = refs.commit_count;
  return e;
}

Result<Catalogue> SourceService::BuildCatalogue(const CatalogueRequest& request) {
  Catalogue out;
  // Read first: a change made while the catalogue is built comes after it,
  // so an answer is never trusted past a change it may not show.
  ASSIGN_OR_RETURN(out.position, repo_.FeedPosition());
  if (request.since && *request.since == out.position) {
    out.unchanged = true;
    return out;
  }
  ASSIGN_OR_RETURN(const std::string self, repo_.ServerId());
  std::map<std::string, std::vector<std::string>> selected;  // resource id -> selected_by
  for (const auto& id : request.resources) {
    auto r = repo_.GetResource(id);
    if (r.status().code() == StatusCode::kNotFound) {
      out.missing_resources.push_back(id);
      continue;
    }
    if (!r.ok()) return r.status();
    selected[id].push_back("resource");
  }
  ASSIGN_OR_RETURN(auto categories, repo_.ListCategories());
  std::map<std::string, std::vector<std::string>> children;
  std::set<std::string> known;
  for (const auto& c : categories) {
    known.insert(c.id);
    if (c.parent_id) children[*c.parent_id].push_back(c.id);
  }
  for (const auto& id : request.categories) {
    if (!known.count(id)) {
      out.missing_categories.push_back(id);
      continue;
    }
    // The category and all of its sub-categories.
    std::vector<std::string> pending{id};
    while (!pending.empty()) {
      std::string cat = pending.back();
      pending.pop_back();
      for (const auto& child : children[cat]) pending.push_back(child);
      PageRequest page{std::nullopt, std::nullopt, 1000};
      while (true) {
        ASSIGN_OR_RETURN(auto list, repo_.ListResources(ResourceFilter{cat}, page));
        for (const auto& r : list.items) selected[r.id].push_back(id);
        if (!list.more_after) break;
        page.after = list.items.back().id;
      }
    }
  }
  for (auto& [id, by] : selected) {
    ASSIGN_OR_RETURN(Resource r, repo_.GetResource(id));
    ASSIGN_OR_RETURN(CatalogueEntry e, Describe(r, request.tag, self));
    e.selected_by = std::move(by);
    out.entries.push_back(std::move(e));
  }
  return out;
}

Status SourceService::WritePack(const std::string& resource_id,
                                const std::vector<std::string>& have,
                                const std::vector<std::string>& want, const ByteSink& sink) {
  ASSIGN_OR_RETURN(auto commits, repo_.CommitsNotIn(resource_id, have, want));
  ZstdCompressor z(sink);
  std::set<Hash> sent;
  uint64_t versions = 0;
  RETURN_IF_ERROR(repo_.VisitCommitContents(commits, [&](const Commit& c,
                                                         const std::vector<Change>& changes,
                                                         const Repository::VersionText& text) {
    Json change_list = Json::array();
    for (const auto& ch : changes) {
      change_list.push_back({{"element", ch.element_id},
                             {"version", ch.version ? Json(ToHex(*ch.version)) : Json(nullptr)}});
      if (!ch.version || !sent.insert(*ch.version).second) continue;
      ASSIGN_OR_RETURN(std::string json, text(*ch.version));
      Json record = {{"t", "version"}, {"hash", ToHex(*ch.version)}, {"json", std::move(json)}};
      RETURN_IF_ERROR(z.Write(record.dump() + "\n"));
      ++versions;
    }
    Json record = {{"t", "commit"},
                   {"id", c.id},
                   {"parents", c.parents},
                   {"author", c.author},
                   {"created", FormatTimestamp(c.created)},
                   {"name", c.name ? Json(*c.name) : Json(nullptr)},
                   {"description", c.description ? Json(*c.description) : Json(nullptr)},
                   {"hash", ToHex(c.hash)},
                   {"changes", change_list}};
    return z.Write(record.dump() + "\n");
  }));
  Json end = {{"t", "end"}, {"commits", commits.size()}, {"versions", versions}};
  RETURN_IF_ERROR(z.Write(end.dump() + "\n"));
  return z.Finish();
}

}  // namespace tandem
