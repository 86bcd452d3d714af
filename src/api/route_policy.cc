#include "api/route_policy.h"

#include <algorithm>

#include "api/api_server.h"
#include "common/canonical_json.h"
#include "common/ids.h"

namespace tandem {

std::string DescribePolicy(const RoutePolicy& policy) {
  if (!policy.min_role) return "public";
  std::string out(RoleName(*policy.min_role));
  if (policy.scope != RouteScope::kNone) out += " (scoped)";
  return out;
}

Status CheckCategoryScope(Repository& repo, const Principal& who, const std::string& category_id) {
  if (who.AtLeast(Role::kAdmin)) return Status::Ok();
  if (who.role == Role::kSyncManager) {
    auto lineage = repo.CategoryLineage(category_id);
    for (const auto& id : lineage.ok() ? *lineage : std::vector<std::string>{}) {
      if (std::find(who.scopes.begin(), who.scopes.end(), id) != who.scopes.end()) {
        return Status::Ok();
      }
    }
  }
  return Status::PermissionDenied("target category " + category_id +
                                  " is outside the categories user '" + who.user +
                                  "' may manage; an admin can add it to the user's scopes");
}

Status Authorize(ApiServer& api, const RoutePolicy& policy, const Principal& who,
                 const HttpRequest& req) {
  if (!policy.min_role) return Status::Ok();
  if (!who.AtLeast(*policy.min_role)) {
    return Status::PermissionDenied("user '" + who.user + "' has role " +
                                    std::string(RoleName(who.role)) + "; this needs " +
                                    std::string(RoleName(*policy.min_role)));
  }
  if (policy.scope == RouteScope::kNone || who.AtLeast(Role::kAdmin)) return Status::Ok();
  if (policy.scope == RouteScope::kTargetCategoryQuery) {
    // A missing or malformed parameter is the handler's to report (400).
    std::string category = req.Param("targetCategory");
    if (!IsUuid(category)) return Status::Ok();
    return CheckCategoryScope(api.repo(), who, NormalizeUuid(category));
  }
  // RouteScope::kRemoteConfig for a sync-manager.
  if (req.matches.size() > 1) {
    std::string id = req.matches[1];
    if (!IsUuid(id)) return Status::InvalidArgument("configId '" + id + "' is not a UUID");
    if (!api.engine()) return Status::NotFound("this server has no remote configurations");
    ASSIGN_OR_RETURN(std::string category, api.engine()->TargetCategoryOf(NormalizeUuid(id)));
    RETURN_IF_ERROR(CheckCategoryScope(api.repo(), who, category));
  }
  if (!req.body.empty()) {
    // A malformed body is the handler's to report (400); only a well-formed
    // target category can widen what the caller touches.
    auto body = ParseJson(req.body, "request body", api.options().max_json_depth);
    if (body.ok() && body->is_object()) {
      auto it = body->find("targetCategoryId");
      if (it != body->end() && it->is_string()) {
        RETURN_IF_ERROR(CheckCategoryScope(api.repo(), who, NormalizeUuid(it->get<std::string>())));
      }
    }
  }
  return Status::Ok();
}

Status MaySetReadOnly(const Principal& who) {
  if (who.AtLeast(Role::kAdmin)) return Status::Ok();
  return Status::PermissionDenied("only an admin may change readOnly");
}

Status MayChangeUser(const Principal& who, const std::string& user, bool changes_role) {
  if (who.AtLeast(Role::kAdmin)) return Status::Ok();
  if (user != who.user || changes_role) {
    return Status::PermissionDenied("only an admin may change other users, roles or scopes");
  }
  return Status::Ok();
}

bool NeedsCurrentPassword(const Principal& who) { return !who.AtLeast(Role::kAdmin); }

}  // namespace tandem
