// Routes of imports from other SysML v2 API servers (/api/v1/imports,
// sync/sysml_import.h): start one, follow it, cancel it. Admins, and
// sync-managers for imports into a category within their scopes.
#include "api/api_server.h"
#include "common/json_fields.h"

namespace tandem {
namespace {

constexpr char kImports[] = "/api/v1/imports";

Result<ImportSource> ParseImportRequest(const Json& body, std::string* target_category_id) {
  ASSIGN_OR_RETURN(auto f, JsonFields::Of(body, "import request"));
  RETURN_IF_ERROR(
      f.OnlyAllowed({"from", "projectId", "username", "password", "targetCategoryId", "verify"}));
  ImportSource s;
  ASSIGN_OR_RETURN(s.url, f.RequiredString("from"));
  ASSIGN_OR_RETURN(s.project_id, f.RequiredString("projectId"));
  ASSIGN_OR_RETURN(auto user, f.OptionalString("username"));
  ASSIGN_OR_RETURN(auto password, f.OptionalString("password"));
  if (password && !user) {
    return Status::InvalidArgument("import request: 'password' needs a 'username'");
  }
  s.username = user.value_or("");
  s.password = password.value_or("");
  ASSIGN_OR_RETURN(*target_category_id, f.RequiredString("targetCategoryId"));
  ASSIGN_OR_RETURN(auto verify, f.OptionalBool("verify"));
  s.verify = verify.value_or(true);
  return s;
}

// The import, when the caller may see it (its target category is in scope).
Result<Json> VisibleImport(ApiServer& api, const Call& call, const std::string& id) {
  ASSIGN_OR_RETURN(Json status, api.imports().Get(id));
  RETURN_IF_ERROR(CheckCategoryScope(api.repo(), call.who(), status.value("targetCategoryId", "")));
  return status;
}

}  // namespace

void RegisterImportRoutes(ApiServer& api) {
  const RoutePolicy policy{Role::kSyncManager,
                           RouteScope::kNone};  // scope: the handlers, by category
  const std::string one = std::string(kImports) + "/" + ApiServer::kPathParam;
  api.Add(Method::kPost, kImports, policy, [&api](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(Json body, call.Body());
    std::string category;
    ASSIGN_OR_RETURN(ImportSource source, ParseImportRequest(body, &category));
    RETURN_IF_ERROR(CheckCategoryScope(api.repo(), call.who(), category));
    ASSIGN_OR_RETURN(Json status, api.imports().Start(source, category, call.who().user));
    return JsonReply(202, std::move(status));
  });
  api.Add(Method::kGet, kImports, policy, [&api](Call& call) -> Result<Reply> {
    Json visible = Json::array();
    for (auto& s : api.imports().List()) {
      if (CheckCategoryScope(api.repo(), call.who(), s.value("targetCategoryId", "")).ok()) {
        visible.push_back(std::move(s));
      }
    }
    return JsonReply(200, std::move(visible));
  });
  api.Add(Method::kGet, one, policy, [&api](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "importId"));
    ASSIGN_OR_RETURN(Json status, VisibleImport(api, call, id));
    return JsonReply(200, std::move(status));
  });
  api.Add(Method::kDelete, one, policy, [&api](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "importId"));
    RETURN_IF_ERROR(VisibleImport(api, call, id).status());
    ASSIGN_OR_RETURN(Json status, api.imports().Cancel(id));
    return JsonReply(200, std::move(status));
  });
}

}  // namespace tandem
