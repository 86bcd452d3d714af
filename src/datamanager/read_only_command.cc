// -rrof: removing the read-only flag from offloaded resources, guarded
// against resources that a remote configuration still synchronizes.
#include <set>

#include "common/canonical_json.h"
#include "datamanager/command_context.h"
#include "sync/remote_config.h"

namespace tandem::datamanager {
namespace {

// Why an enabled configuration that is not a finished one-time run still
// writes to `r`, or "" if it does not cover it.
std::string Coverage(const RemoteConfig& config, const RemoteConfigSpec& spec, const Json& state,
                     const Resource& r, const std::vector<std::string>& category_chain) {
  for (const auto& id : spec.resources) {
    if (id == r.id) return "selects it by id";
  }
  for (const auto& c : spec.categories) {
    for (const auto& mine : category_chain) {
      if (c == mine) return "selects its category " + c;
    }
  }
  if (state.is_object() && state.contains("resources") && state["resources"].is_object() &&
      state["resources"].contains(r.id)) {
    return "synchronized it in its last run";
  }
  Json origin = ParseJsonOrDiscarded(r.origin);
  if (origin.is_object() && JsonString(origin, "configuration") == config.id) {
    return "created this copy";
  }
  return "";
}

Status RefuseSynchronized(ReadTransaction& txn, const std::vector<Resource>& resources) {
  ASSIGN_OR_RETURN(auto configs, txn.ListRemoteConfigs());
  ASSIGN_OR_RETURN(auto categories, txn.ListCategories());
  std::vector<std::string> problems;
  for (const auto& r : resources) {
    std::vector<std::string> chain;  // the resource's category and every one above it
    std::string at = r.category_id;
    for (size_t depth = 0; depth <= categories.size() && !at.empty(); ++depth) {
      chain.push_back(at);
      std::string parent;
      for (const auto& c : categories) {
        if (c.id == at && c.parent_id) parent = *c.parent_id;
      }
      at = parent;
    }
    for (const auto& config : configs) {
      std::string who = "project '" + r.name + "' (" + r.id + ")";
      auto spec = SpecFromStored(config.spec);
      if (!spec.ok()) {
        problems.push_back(who + ": remote configuration " + config.id +
                           " is unreadable, so it cannot be ruled out (" + spec.status().message() +
                           ")");
        continue;
      }
      Json state = ParseJsonOrDiscarded(config.state);
      bool finished_once = spec->once && JsonBool(state, "completed", false);
      if (!spec->enabled || finished_once) continue;
      std::string why = Coverage(config, *spec, state, r, chain);
      if (why.empty()) continue;
      problems.push_back(who + " is still synchronized by the " +
                         std::string(spec->once ? "one-time (not yet completed)" : "ongoing") +
                         " remote configuration '" + spec->name + "' (" + config.id + "), which " +
                         why);
    }
  }
  if (problems.empty()) return Status::Ok();
  std::string message =
      "refusing to remove the read-only flag: removing it from a resource that is still "
      "synchronized causes version inconsistencies:";
  for (const auto& p : problems) message += "\n  " + p;
  message +=
      "\ndelete or disable the configuration first (offloading: once its one-time run has "
      "completed), or give --force to detach the copy for good";
  return Status::Conflict(message);
}

}  // namespace

Result<std::string> RemoveReadOnlyFlag(CommandContext& ctx) {
  ASSIGN_OR_RETURN(auto resource_args, ctx.invocation.List("resourceID"));
  ASSIGN_OR_RETURN(auto category_args, ctx.invocation.List("categoryID"));
  if (resource_args.empty() && category_args.empty()) {
    return Status::InvalidArgument(
        "--remove-read-only-flag needs --resourceID=ID[,ID...] and/or --categoryID=ID[,ID...]");
  }
  ASSIGN_OR_RETURN(auto resources, ParseIds(resource_args, "--resourceID"));
  ASSIGN_OR_RETURN(auto categories, ParseIds(category_args, "--categoryID"));
  bool force = ctx.invocation.Has("force");
  std::vector<std::string> forced;
  Repository::AdminVeto veto = [&](ReadTransaction& txn, const std::vector<Resource>& flagged) {
    Status st = RefuseSynchronized(txn, flagged);
    if (st.ok() || !force) return st;
    forced.push_back(st.message());
    return Status::Ok();
  };
  ASSIGN_OR_RETURN(auto removal, ctx.repo.RemoveReadOnlyFlag(resources, categories, veto));
  if (!forced.empty()) {
    ctx.err << "datamanager: warning: --force given although:\n" << forced.front() << "\n"
            << "datamanager: synchronization treats these copies as 'detached' from now on and "
               "never writes to them again\n";
  }
  std::string text = "removed the read-only flag from " + std::to_string(removal.resources.size()) +
                     " resource(s)";
  for (const auto& r : removal.resources) text += " '" + r.name + "' (" + r.id + ")";
  text += " and " + std::to_string(removal.categories.size()) + " category(ies)";
  for (const auto& c : removal.categories) text += " '" + c.name + "' (" + c.id + ")";
  if (!forced.empty()) text += " (forced over an active remote configuration)";
  ctx.out << text << "\n";
  return text;
}

}  // namespace tandem::datamanager
