// RoutePolicy: who may call a route. Every route declares its policy where it
// is registered (ApiServer::Add), and Authorize() below is the one place that
// decides, before any handler runs: public routes need nothing; the others need
// an authenticated principal with at least the route's role and, for remote
// configurations, a target category within a sync-manager's scopes. The few
// rules that depend on a request's fields (readOnly, changing a user) are the
// functions at the end of this header, so every permission rule lives in
// route_policy.cc. docs/security.md lists the resulting matrix.
//
// Value types and free functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "api/http_request.h"
#include "auth/role.h"
#include "common/status.h"

namespace tandem {

class ApiServer;
class Repository;

// Which categories a route touches, for the sync-manager's scope check.
enum class RouteScope {
  kNone,
  // The remote configuration named by the first path capture, and the
  // "targetCategoryId" of the JSON body when there is one.
  kRemoteConfig,
  // The "targetCategory" query parameter (where a bundle's copies go).
  kTargetCategoryQuery,
};

struct RoutePolicy {
  std::optional<Role> min_role;  // nullopt: public, no authentication
  RouteScope scope = RouteScope::kNone;
};

// Admins, and sync-managers whose scopes cover the configuration's category.
inline RoutePolicy RemoteConfigScoped() {
  return RoutePolicy{Role::kSyncManager, RouteScope::kRemoteConfig};
}

// Admins, and sync-managers whose scopes cover the targetCategory parameter.
inline RoutePolicy TargetCategoryScoped() {
  return RoutePolicy{Role::kSyncManager, RouteScope::kTargetCategoryQuery};
}

// "public", "reader", "sync-manager (scoped)", ...: for messages and tests.
std::string DescribePolicy(const RoutePolicy& policy);

// The route-level decision for an authenticated principal: PermissionDenied
// naming what is missing; NotFound for a remote configuration that does not
// exist; InvalidArgument for a malformed configuration id.
Status Authorize(ApiServer& api, const RoutePolicy& policy, const Principal& who,
                 const HttpRequest& req);

// True if `who` may manage remote configurations targeting `category_id`
// (admins always; sync-managers within a scope category or below it).
Status CheckCategoryScope(Repository& repo, const Principal& who, const std::string& category_id);

// Field-level rules, called by the handlers that read those fields.
// Only an admin may set or clear a resource's readOnly flag.
Status MaySetReadOnly(const Principal& who);
// An admin may change any user and roles; anyone else only their own password.
Status MayChangeUser(const Principal& who, const std::string& user, bool changes_role);
// Whether a non-admin must prove the current password to change their own.
bool NeedsCurrentPassword(const Principal& who);

}  // namespace tandem
