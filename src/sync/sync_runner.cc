#include "sync/sync_runner.h"

#include <algorithm>
#include <map>
#include <set>

#include "sync/import_pipeline.h"
#include "sync/pack_reader.h"

namespace tandem {

Json RunReportToJson(const RunReport& report) {
  Json out = {{"started", FormatTimestamp(report.started)},
              {"finished", FormatTimestamp(report.finished)},
              {"outcome", report.outcome},
              {"commits", report.commits},
              {"bytes", report.bytes},
              {"resources", report.resources}};
  if (!report.error.empty()) out["error"] = report.error;
  if (!report.focused_on.empty()) out["focusedOn"] = report.focused_on;
  return out;
}

Json SyncRunner::Row(const CatalogueEntry& e, const std::string& state, const std::string& message,
                     const Resource* clash) {
  Json row{{"sourceId", e.resource.id},
           {"targetId", e.resource.id},
           {"name", e.resource.name},
           {"projectId", e.resource.project_id},
           {"selectedBy", e.selected_by},
           {"state", state},
           {"message", message.empty() ? Json(nullptr) : Json(message)}};
  if (clash) row["conflictWith"] = {{"resourceId", clash->id}, {"name", clash->name}};
  return row;
}

void SyncRunner::KeepSelected(Catalogue& catalogue) {
  std::set<std::string> ids;
  std::vector<CatalogueEntry> kept;
  for (auto& e : catalogue.entries) {
    bool by_id = std::find(spec_.resources.begin(), spec_.resources.end(), e.resource.id) !=
                 spec_.resources.end();
    bool by_category = std::any_of(e.selected_by.begin(), e.selected_by.end(), [&](const std::string& s) {
      return std::find(spec_.categories.begin(), spec_.categories.end(), s) != spec_.categories.end();
    });
    if ((by_id || by_category) && ids.insert(e.resource.id).second) kept.push_back(std::move(e));
  }
  catalogue.entries = std::move(kept);
}

void SyncRunner::KeepFocused(Catalogue& catalogue) {
  std::set<std::string> ids;
  std::vector<CatalogueEntry> kept;
  for (auto& e : catalogue.entries) {
    if (!focus_.count(e.resource.id) || !ids.insert(e.resource.id).second) continue;
    // Asked by id, the source says "selected by resource": keep what the
    // configuration selected it by, as the last run recorded.
    auto before = previous_.find(e.resource.id);
    if (before != previous_.end() && before->contains("selectedBy") &&
        (*before)["selectedBy"].is_array()) {
      e.selected_by.clear();
      for (const auto& by : (*before)["selectedBy"]) {
        if (by.is_string()) e.selected_by.push_back(by.get<std::string>());
      }
    }
    kept.push_back(std::move(e));
  }
  catalogue.entries = std::move(kept);
}

RunReport SyncRunner::Run(SyncSource& source, const Cancellation& cancel) {
  RunReport report;
  report.started = clock_.NowMicros();
  progress_.Reset(report.started);
  auto finish_error = [&](const Status& st) {
    report.outcome = cancel.cancelled() ? "cancelled" : "error";
    report.error = cancel.cancelled() ? "the run was stopped" : st.message();
    report.error_code = st.code();
    report.commits = commits_;
    report.bytes = bytes_;
    report.finished = clock_.NowMicros();
    return report;
  };
  // A focused run keeps the memo as it is (its source position is older than
  // the change that focused it, so the next whole run asks again); a whole
  // run leaves a new one only if it ends "ok".
  std::shared_ptr<const CatalogueMemo> memo = std::move(memo_);
  if (!focus_.empty()) memo_ = memo;
  auto info = source.Info(cancel);
  if (!info.ok()) return finish_error(info.status());
  if (memo && memo->source_server_id != info->server_id) memo.reset();
  // This server's feed position before any copy is looked at: a change here
  // after it (datamanager deleting a copy this run has already checked, or
  // this run's own imports) makes the next run check the copies again.
  auto here = repo_.FeedPosition();
  std::optional<std::string> tag;
  if (spec_.trigger == TriggerType::kTag) tag = spec_.trigger_tag;
  // Focus only on resources an earlier run recorded (so they were selected).
  for (auto it = focus_.begin(); it != focus_.end();) {
    it = previous_.contains(*it) ? std::next(it) : focus_.erase(it);
  }
  std::optional<std::string> since;  // sent with a whole run's request when there is a memo
  auto fetch = [&]() -> Result<Catalogue> {
    if (!focus_.empty()) {
      auto focused = source.FetchCatalogue(
          {std::vector<std::string>(focus_.begin(), focus_.end()), {}, tag, std::nullopt}, cancel);
      if (!focused.ok() || focused->missing_resources.empty()) return focused;
      focus_.clear();  // a focused resource is gone at the source: look at all
      memo_.reset();
    }
    if (memo) since = memo->source_position;
    return source.FetchCatalogue({spec_.resources, spec_.categories, tag, since}, cancel);
  };
  auto catalogue = fetch();
  if (!catalogue.ok()) return finish_error(catalogue.status());
  if (catalogue->unchanged) {
    if (!since) {
      return finish_error(Status::Corruption(
          "the source answered 'unchanged' to a catalogue request that named no earlier answer"));
    }
    // Nothing happened at the source since the memo's catalogue. If nothing
    // happened here either, every copy is as the last run left it.
    if (here.ok() && *here == memo->local_position) {
      for (const auto& [id, row] : previous_.items()) report.resources.push_back(row);
      report.outcome = "ok";
      report.finished = clock_.NowMicros();
      memo_ = std::move(memo);
      return report;
    }
    // Something changed here (another configuration's run, datamanager):
    // check each copy against the remembered catalogue.
    Catalogue remembered = memo->catalogue;
    remembered.position = memo->source_position;
    *catalogue = std::move(remembered);
  } else {
    if (focus_.empty()) {
      KeepSelected(*catalogue);
    } else {
      KeepFocused(*catalogue);
    }
    // Projects the selected ones use come along, before the ones that use them.
    Status deps = AddDependencies(source, *catalogue, cancel);
    if (!deps.ok()) return finish_error(deps);
  }
  progress_.resources_total = catalogue->entries.size();
  for (const auto& e : catalogue->entries) {
    // What the copy lacks, as far as counts tell (tags may cut it shorter).
    auto have = repo_.CountCommits(e.resource.id);
    uint64_t local = have.ok() ? *have : 0;
    if (e.commit_count > local) progress_.commits_total += e.commit_count - local;
  }

  bool all_synced = true;
  std::set<std::string> seen;
  std::map<std::string, std::string> failed;  // resource id -> its state, for users of it
  for (const auto& entry : catalogue->entries) {
    if (cancel.cancelled()) return finish_error(Status::Unavailable("cancelled"));
    seen.insert(entry.resource.id);
    Json row;
    std::string blocked;
    for (const auto& used : entry.used_projects) {
      if (failed.count(used)) blocked = used;
    }
    row = SyncResource(source, *info, entry, cancel);
    if (cancel.cancelled()) return finish_error(Status::Unavailable("cancelled"));
    if (!blocked.empty() && row["state"] != "synced") {
      row["message"] = row["message"].is_string() ? row["message"].get<std::string>() : std::string();
      row["message"] = row["message"].get<std::string>() + " (dependency " + blocked + " is " +
                       failed[blocked] + ")";
    }
    if (row["state"] != "synced") failed[entry.resource.id] = row["state"];
    all_synced = all_synced && row["state"] == "synced";
    report.resources.push_back(std::move(row));
    ++progress_.resources_done;
  }
  // Resources of the last run that the catalogue no longer offers: their
  // copies stay; say why they are no longer synchronized. (A focused run
  // looked at its resources only; the others keep their rows.)
  for (const auto& [id, row] : previous_.items()) {
    if (seen.count(id) || !focus_.empty()) continue;
    Json kept = row;
    bool by_id = std::find(spec_.resources.begin(), spec_.resources.end(), id) != spec_.resources.end();
    if (by_id) {
      kept["state"] = "error";
      kept["message"] = "the resource no longer exists at the source; the copy here is kept";
      all_synced = false;
    } else {
      kept["state"] = "excluded";
      kept["message"] = "the resource left the selected categories at the source; the copy here is "
                        "kept but no longer synchronized";
    }
    report.resources.push_back(std::move(kept));
  }
  for (const auto& id : catalogue->missing_resources) {
    if (previous_.contains(id)) continue;
    report.resources.push_back(Json{{"sourceId", id}, {"targetId", nullptr}, {"name", nullptr},
                                    {"state", "error"},
                                    {"message", "the source has no resource " + id}});
    all_synced = false;
  }
  for (const auto& id : catalogue->missing_categories) {
    report.resources.push_back(Json{{"sourceId", nullptr}, {"categoryId", id}, {"state", "error"},
                                    {"message", "the source has no category " + id}});
    all_synced = false;
  }
  report.commits = commits_;
  report.bytes = bytes_;
  report.focused_on.assign(focus_.begin(), focus_.end());
  report.outcome = all_synced ? "ok" : "partial";
  if (focus_.empty() && all_synced && !catalogue->position.empty() && here.ok()) {
    memo_ = std::make_shared<const CatalogueMemo>(
        CatalogueMemo{info->server_id, catalogue->position, *here, std::move(*catalogue)});
  }
  report.finished = clock_.NowMicros();
  return report;
}

Status SyncRunner::AddDependencies(SyncSource& source, Catalogue& catalogue,
                                   const Cancellation& cancel) {
  return AddDependencyEntries(catalogue, [&](const std::vector<std::string>& wanted) {
    return source.FetchCatalogue({wanted, {}, std::nullopt, std::nullopt}, cancel);
  });
}

Json SyncRunner::SyncResource(SyncSource& source, const SourceInfo& info,
                              const CatalogueEntry& entry, const Cancellation& cancel) {
  const Resource& src = entry.resource;
  auto own = repo_.ServerId();
  if (!own.ok()) return Row(entry, "error", own.status().message());
  if (std::find(entry.origin.begin(), entry.origin.end(), *own) != entry.origin.end()) {
    return Row(entry, "conflict",
               "cycle: project '" + src.name + "' originates from this server; synchronizing it "
               "back here is refused");
  }
  Json origin = {{"server", spec_.source_url},
                 {"serverId", info.server_id},
                 {"configuration", config_id_},
                 {"configurationName", spec_.name},
                 {"chain", entry.origin}};
  std::string origin_text = origin.dump();

  auto local = repo_.GetResource(src.id);
  if (local.status().code() == StatusCode::kNotFound) {
    // Uniqueness by Resource ID (absent here), Project ID and name.
    auto by_pid = repo_.FindResourceByProjectId(src.project_id);
    if (!by_pid.ok()) return Row(entry, "error", by_pid.status().message());
    if (*by_pid) {
      return Row(entry, "conflict",
                 "Project ID '" + src.project_id + "' is already used here by project '" +
                     (*by_pid)->name + "' (" + (*by_pid)->id + "); source project '" + src.name +
                     "' (" + src.id + ") is not copied until that is resolved",
                 &**by_pid);
    }
    auto by_name = repo_.FindResourceByName(spec_.target_category_id, src.name);
    if (!by_name.ok()) return Row(entry, "error", by_name.status().message());
    if (*by_name) {
      return Row(entry, "conflict",
                 "the target category already holds a project named '" + src.name + "' (" +
                     (*by_name)->id + "); source project " + src.id +
                     " is not copied until that is resolved",
                 &**by_name);
    }
    auto created = repo_.CreateMirror(src, spec_.target_category_id, origin_text);
    if (!created.ok()) return Row(entry, "error", created.status().message());
    local = std::move(created);
  } else if (!local.ok()) {
    return Row(entry, "error", local.status().message());
  } else {
    if (local->origin.empty()) {
      return Row(entry, "conflict",
                 "a local project '" + local->name + "' has the same Resource ID " + src.id +
                     "; it is not overwritten",
                 &*local);
    }
    auto stored = ParseJsonOrDiscarded(local->origin);
    if (!stored.is_object() || JsonString(stored, "serverId") != info.server_id) {
      return Row(entry, "conflict",
                 "project " + src.id + " here is a copy from another source; it is not overwritten");
    }
    if (copy_check_) {
      if (Status allowed = copy_check_(*local); !allowed.ok()) {
        return Row(entry, "conflict", allowed.message());
      }
    }
    if (!local->read_only) {
      return Row(entry, "detached",
                 "the read-only flag of this copy was removed; synchronization no longer writes to it");
    }
  }

  // The source owns the metadata; the configuration owns the category.
  std::string message;
  auto meta = repo_.UpdateMirrorMetadata(src.id, src.name, src.description,
                                         spec_.target_category_id, origin_text);
  if (meta.status().code() == StatusCode::kConflict) {
    message = "rename at the source clashes here: " + meta.status().message() +
              "; the copy keeps its old name meanwhile";
  } else if (!meta.ok()) {
    return Row(entry, "error", meta.status().message());
  }

  // With the tag trigger, each branch is copied up to its newest tagged commit
  // and no further; branches with no tagged commit wait.
  std::vector<Branch> wanted_branches;
  std::vector<std::string> want;
  for (size_t i = 0; i < entry.branches.size(); ++i) {
    Branch b = entry.branches[i];
    if (!entry.tag_cuts.empty()) {
      b.head = entry.tag_cuts[i];
      if (!b.head && b.id != src.default_branch_id) continue;
    }
    if (b.head) want.push_back(*b.head);
    wanted_branches.push_back(std::move(b));
  }
  if (entry.tag_cuts.empty()) want.clear();  // all heads: the source walks from its own

  // Pull what the copy lacks, unless every head already matches.
  auto branches = repo_.ListBranches(src.id, {std::nullopt, std::nullopt, 100'000});
  if (!branches.ok()) return Row(entry, "error", branches.status().message());
  std::vector<std::string> have;
  for (const auto& b : branches->items) {
    if (b.head) have.push_back(*b.head);
  }
  bool up_to_date = true;
  for (const auto& b : wanted_branches) {
    auto it = std::find_if(branches->items.begin(), branches->items.end(),
                           [&](const Branch& l) { return l.id == b.id; });
    if (it == branches->items.end() || it->head != b.head) up_to_date = false;
  }
  if (!up_to_date && !entry.tag_cuts.empty() && want.empty()) up_to_date = true;
  if (!up_to_date) {
    auto tips = repo_.Tips(src.id);
    if (!tips.ok()) return Row(entry, "error", tips.status().message());
    for (auto& t : *tips) {
      if (std::find(have.begin(), have.end(), t) == have.end()) have.push_back(std::move(t));
    }
    ImportPipeline pipeline(repo_, src.id, cancel,
                            [this](uint64_t n) { progress_.commits_done += n; });
    PackReader reader(
        [&pipeline](Repository::ImportedCommit&& in) { return pipeline.Push(std::move(in)); },
        pack_limits_);
    Status fed;  // the reader's verdict on the bytes received
    Status fetched = source.FetchPack({src.id, have, want}, [&](std::string_view bytes) {
      if (cancel.cancelled()) return false;
      progress_.bytes_done += bytes.size();
      fed = reader.Feed(bytes);
      return fed.ok();
    }, cancel);
    Status read = fed.ok() ? reader.Finish() : fed;
    // A refused commit is the reason the stream stopped, whatever else it says.
    Status imported = pipeline.Close();
    if (!imported.ok()) read = imported;
    commits_ += pipeline.commits_imported();
    bytes_ += reader.bytes_received();
    if (!read.ok()) {
      // Only an interrupted stream is "behind" (the next run resumes); bad data
      // or a missing dependency needs attention. When the reader refused the
      // bytes, its reason is the one to report, not the stream's end.
      std::string state = read.code() == StatusCode::kUnavailable ? "behind" : "error";
      return Row(entry, state, (fetched.ok() || !fed.ok() ? read : fetched).message());
    }
    if (!fetched.ok()) return Row(entry, "behind", fetched.message());
  }
  Status refs = repo_.MirrorRefs(src.id, wanted_branches, entry.tags);
  if (!refs.ok()) return Row(entry, "error", refs.message());

  Json row = Row(entry, message.empty() ? "synced" : "conflict", message);
  Json heads = Json::array();
  for (const auto& source_branch : entry.branches) {
    auto synced = std::find_if(wanted_branches.begin(), wanted_branches.end(),
                               [&](const Branch& b) { return b.id == source_branch.id; });
    std::optional<std::string> synced_head;
    if (synced != wanted_branches.end()) synced_head = synced->head;
    heads.push_back({{"branch", source_branch.name},
                     {"branchId", source_branch.id},
                     {"sourceHead", source_branch.head ? Json(*source_branch.head) : Json(nullptr)},
                     {"syncedHead", synced_head ? Json(*synced_head) : Json(nullptr)}});
  }
  row["heads"] = heads;
  return row;
}

}  // namespace tandem
