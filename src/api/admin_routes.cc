// Routes of Tandem's administration API under /api/v1: categories, resources
// with Tandem's own metadata, commits with author and hash, users, login,
// health, server identity and the change feed.
#include <strings.h>

#include <charconv>

#include "api/admin_json.h"
#include "api/api_server.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/json_fields.h"

namespace tandem {
namespace {

constexpr char kUserName[] = "([A-Za-z0-9._@-]+)";

std::string P(const std::string& tail) { return "/api/v1" + tail; }

Result<int64_t> ParseInt(const std::optional<std::string>& v, const char* name, int64_t min,
                         int64_t max, int64_t fallback) {
  if (!v) return fallback;
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || ptr != v->data() + v->size() || n < min || n > max) {
    return Status::InvalidArgument(std::string(name) + " must be a whole number from " +
                                   std::to_string(min) + " to " + std::to_string(max) + ", got '" +
                                   *v + "'");
  }
  return n;
}

void RegisterCategories(ApiServer& api) {
  Repository& repo = api.repo();
  api.Add(Method::kGet, P("/categories"), Role::kReader, [&repo](Call&) -> Result<Reply> {
    ASSIGN_OR_RETURN(auto list, repo.ListCategories());
    Json items = Json::array();
    for (const auto& c : list) items.push_back(CategoryRecord(c));
    return JsonReply(200, items);
  });
  api.Add(Method::kPost, P("/categories"), Role::kAdmin, [&repo](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(Json body, call.Body());
    ASSIGN_OR_RETURN(auto f, JsonFields::Of(body, "category"));
    RETURN_IF_ERROR(f.OnlyAllowed({"name", "parentId", "description"}));
    CategorySpec spec;
    ASSIGN_OR_RETURN(spec.name, f.RequiredString("name"));
    ASSIGN_OR_RETURN(spec.parent_id, f.OptionalString("parentId"));
    ASSIGN_OR_RETURN(auto description, f.OptionalString("description"));
    spec.description = description.value_or("");
    ASSIGN_OR_RETURN(Category c, repo.CreateCategory(spec));
    return JsonReply(201, CategoryRecord(c));
  });
  api.Add(Method::kGet, P("/categories/") + ApiServer::kPathParam, Role::kReader,
          [&repo](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "categoryId"));
            ASSIGN_OR_RETURN(Category c, repo.GetCategory(id));
            return JsonReply(200, CategoryRecord(c));
          });
  api.Add(Method::kPatch, P("/categories/") + ApiServer::kPathParam, Role::kAdmin,
          [&repo](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "categoryId"));
            ASSIGN_OR_RETURN(Json body, call.Body());
            ASSIGN_OR_RETURN(auto f, JsonFields::Of(body, "category patch"));
            RETURN_IF_ERROR(f.OnlyAllowed({"name", "parentId", "description"}));
            CategoryPatch patch;
            ASSIGN_OR_RETURN(patch.name, f.OptionalString("name"));
            ASSIGN_OR_RETURN(patch.parent_id, f.OptionalString("parentId"));
            ASSIGN_OR_RETURN(patch.description, f.OptionalString("description"));
            ASSIGN_OR_RETURN(Category c, repo.UpdateCategory(id, patch));
            return JsonReply(200, CategoryRecord(c));
          });
  api.Add(Method::kDelete, P("/categories/") + ApiServer::kPathParam, Role::kAdmin,
          [&repo](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "categoryId"));
            RETURN_IF_ERROR(repo.DeleteCategory(id));
            return EmptyReply();
          });
}

void RegisterResources(ApiServer& api) {
  Repository& repo = api.repo();
  api.Add(Method::kGet, P("/resources"), Role::kReader, [&repo](Call& call) -> Result<Reply> {
    ResourceFilter filter;
    ASSIGN_OR_RETURN(filter.category_id, call.QueryId("categoryId"));
    ASSIGN_OR_RETURN(PageRequest page, call.Page());
    ASSIGN_OR_RETURN(auto list, repo.ListResources(filter, page));
    Json items = Json::array();
    for (const auto& r : list.items) items.push_back(ResourceRecord(r));
    std::string first = list.items.empty() ? "" : list.items.front().id;
    std::string last = list.items.empty() ? "" : list.items.back().id;
    return call.PageReply(std::move(items), first, last, list.more_after, list.more_before);
  });
  api.Add(Method::kPost, P("/resources"), Role::kWriter, [&repo](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(Json body, call.Body());
    ASSIGN_OR_RETURN(auto f, JsonFields::Of(body, "resource"));
    RETURN_IF_ERROR(f.OnlyAllowed({"name", "categoryId", "projectId", "description"}));
    ResourceSpec spec;
    ASSIGN_OR_RETURN(spec.name, f.RequiredString("name"));
    ASSIGN_OR_RETURN(spec.category_id, f.OptionalString("categoryId"));
    ASSIGN_OR_RETURN(spec.project_id, f.OptionalString("projectId"));
    ASSIGN_OR_RETURN(spec.description, f.OptionalString("description"));
    ASSIGN_OR_RETURN(Resource r, repo.CreateResource(spec));
    return JsonReply(201, ResourceRecord(r));
  });
  api.Add(Method::kGet, P("/resources/") + ApiServer::kPathParam, Role::kReader,
          [&repo](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "resourceId"));
            ASSIGN_OR_RETURN(Resource r, repo.GetResource(id));
            return JsonReply(200, ResourceRecord(r));
          });
  api.Add(Method::kPatch, P("/resources/") + ApiServer::kPathParam, Role::kWriter,
          [&repo](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "resourceId"));
            ASSIGN_OR_RETURN(Json body, call.Body());
            ASSIGN_OR_RETURN(auto f, JsonFields::Of(body, "resource patch"));
            RETURN_IF_ERROR(f.OnlyAllowed({"name", "categoryId", "description", "readOnly"}));
            ResourcePatch patch;
            ASSIGN_OR_RETURN(patch.name, f.OptionalString("name"));
            ASSIGN_OR_RETURN(patch.category_id, f.OptionalString("categoryId"));
            ASSIGN_OR_RETURN(patch.description, f.NullableString("description"));
            ASSIGN_OR_RETURN(patch.read_only, f.OptionalBool("readOnly"));
            if (patch.read_only) RETURN_IF_ERROR(MaySetReadOnly(call.who()));
            ASSIGN_OR_RETURN(Resource r, repo.UpdateResource(id, patch));
            return JsonReply(200, ResourceRecord(r));
          });
  api.Add(Method::kDelete, P("/resources/") + ApiServer::kPathParam, Role::kAdmin,
          [&repo](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "resourceId"));
            RETURN_IF_ERROR(repo.DeleteResource(id));
            return EmptyReply();
          });
  api.Add(Method::kGet, P("/resources/") + ApiServer::kPathParam + "/commits", Role::kReader,
          [&repo](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "resourceId"));
            ASSIGN_OR_RETURN(auto branch, call.QueryId("branchId"));
            ASSIGN_OR_RETURN(PageRequest page, call.Page());
            Page<Commit> list;
            if (branch) {
              ASSIGN_OR_RETURN(list, repo.ListBranchCommits(id, *branch, page));
            } else {
              ASSIGN_OR_RETURN(list, repo.ListCommits(id, page, /*newest_first=*/true));
            }
            Json items = Json::array();
            for (const auto& c : list.items) {
              ASSIGN_OR_RETURN(CommitView v, repo.GetCommitView(id, c.id));
              items.push_back(CommitRecord(v));
            }
            std::string first = list.items.empty() ? "" : list.items.front().id;
            std::string last = list.items.empty() ? "" : list.items.back().id;
            return call.PageReply(std::move(items), first, last, list.more_after, list.more_before);
          });
  api.Add(Method::kGet, P("/resources/") + ApiServer::kPathParam + "/commits/" + ApiServer::kPathParam, Role::kReader,
          [&repo](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "resourceId"));
            ASSIGN_OR_RETURN(std::string cid, call.IdParam(2, "commitId"));
            ASSIGN_OR_RETURN(CommitView v, repo.GetCommitView(id, cid));
            ASSIGN_OR_RETURN(auto usages, repo.ListProjectUsages(id, cid));
            Json record = CommitRecord(v);
            record["projectUsages"] = Json::array();
            for (const auto& u : usages) {
              record["projectUsages"].push_back({{"elementId", u.element_id},
                                                 {"usedProject", u.used_project},
                                                 {"usedCommit", u.used_commit}});
            }
            return JsonReply(200, record);
          });
}

// "scopes": category ids that must exist here (for the sync-manager role).
Result<std::optional<std::vector<std::string>>> ParseScopes(Repository& repo, const Json& body) {
  using R = std::optional<std::vector<std::string>>;
  if (!body.contains("scopes")) return R();
  if (!body["scopes"].is_array()) return Status::InvalidArgument("'scopes' must be a list of category ids");
  std::vector<std::string> out;
  for (const auto& v : body["scopes"]) {
    if (!v.is_string() || !IsUuid(v.get<std::string>())) {
      return Status::InvalidArgument("'scopes' must hold category ids (UUIDs)");
    }
    std::string id = NormalizeUuid(v.get<std::string>());
    ASSIGN_OR_RETURN(Category c, repo.GetCategory(id));
    out.push_back(c.id);
  }
  return R(std::move(out));
}

void RegisterUsersAndLogin(ApiServer& api) {
  Authenticator& auth = api.auth();
  Repository& repo = api.repo();
  api.Add(Method::kGet, P("/users"), Role::kAdmin, [&auth](Call&) -> Result<Reply> {
    ASSIGN_OR_RETURN(auto users, auth.ListUsers());
    Json items = Json::array();
    for (const auto& u : users) items.push_back(UserRecord(u));
    return JsonReply(200, items);
  });
  auto parse_role = [](const std::optional<std::string>& name) -> Result<std::optional<Role>> {
    if (!name) return std::optional<Role>();
    auto role = ParseRole(*name);
    if (!role) {
      return Status::InvalidArgument("role must be admin, writer, reader or sync-manager, got '" +
                                     *name + "'");
    }
    return std::optional<Role>(*role);
  };
  api.Add(Method::kPost, P("/users"), Role::kAdmin,
          [&auth, &repo, parse_role](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(Json body, call.Body());
            ASSIGN_OR_RETURN(auto f, JsonFields::Of(body, "user"));
            RETURN_IF_ERROR(f.OnlyAllowed({"name", "password", "role", "scopes"}));
            ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
            ASSIGN_OR_RETURN(std::string password, f.RequiredString("password"));
            ASSIGN_OR_RETURN(std::string role_name, f.RequiredString("role"));
            ASSIGN_OR_RETURN(auto role, parse_role(role_name));
            ASSIGN_OR_RETURN(auto scopes, ParseScopes(repo, body));
            ASSIGN_OR_RETURN(User u, auth.CreateUser(name, password, *role, scopes.value_or(
                                                                               std::vector<std::string>{})));
            return JsonReply(201, UserRecord(u));
          });
  // Any user may change their own password; only an admin may change others or roles.
  api.Add(
      Method::kPatch, P("/users/") + kUserName, Role::kReader,
      [&auth, &repo, parse_role](Call& call) -> Result<Reply> {
        std::string name = call.Param(1);
        ASSIGN_OR_RETURN(Json body, call.Body());
        ASSIGN_OR_RETURN(auto f, JsonFields::Of(body, "user patch"));
        RETURN_IF_ERROR(f.OnlyAllowed({"password", "role", "scopes", "currentPassword"}));
        ASSIGN_OR_RETURN(auto password, f.OptionalString("password"));
        ASSIGN_OR_RETURN(auto role_name, f.OptionalString("role"));
        ASSIGN_OR_RETURN(auto role, parse_role(role_name));
        // Scopes are permissions like the role: only an admin changes them.
        RETURN_IF_ERROR(
            MayChangeUser(call.who(), name, role.has_value() || body.contains("scopes")));
        ASSIGN_OR_RETURN(auto scopes, ParseScopes(repo, body));
        if (NeedsCurrentPassword(call.who())) {
          // A stolen token alone must not be enough to take the account over.
          ASSIGN_OR_RETURN(auto current, f.OptionalString("currentPassword"));
          if (!current) {
            return Status::InvalidArgument("changing your own password needs 'currentPassword'");
          }
          auto checked = auth.CheckPassword(name, *current, call.client());
          if (checked.status().code() == StatusCode::kRateLimited) return checked.status();
          if (!checked.ok()) return Status::PermissionDenied("'currentPassword' is wrong");
        }
        ASSIGN_OR_RETURN(User u, auth.UpdateUser(name, password, role, scopes));
        return JsonReply(200, UserRecord(u));
      });
  api.Add(Method::kDelete, P("/users/") + kUserName, Role::kAdmin,
          [&auth](Call& call) -> Result<Reply> {
            RETURN_IF_ERROR(auth.DeleteUser(call.Param(1)));
            return EmptyReply();
          });
  // Ends the bearer token the request carries (the web administration's Log out);
  // with other credentials there is no session to end.
  api.Add(Method::kPost, P("/logout"), Role::kReader, [&auth](Call& call) -> Result<Reply> {
    std::string header = call.Header("Authorization");
    if (header.size() > 7 && strncasecmp(header.c_str(), "Bearer ", 7) == 0) {
      RETURN_IF_ERROR(auth.RevokeToken(header.substr(7)));
    }
    return EmptyReply();
  });
  api.Add(Method::kPost, P("/login"), std::nullopt, [&auth](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(Json body, call.Body());
    ASSIGN_OR_RETURN(auto f, JsonFields::Of(body, "login"));
    RETURN_IF_ERROR(f.OnlyAllowed({"username", "password"}));
    ASSIGN_OR_RETURN(std::string user, f.RequiredString("username"));
    ASSIGN_OR_RETURN(std::string password, f.RequiredString("password"));
    ASSIGN_OR_RETURN(Principal who, auth.CheckPassword(user, password, call.client()));
    ASSIGN_OR_RETURN(IssuedToken t, auth.IssueToken(who));
    return JsonReply(200, {{"token", t.token},
                           {"tokenType", "Bearer"},
                           {"expires", FormatTimestamp(t.expires)},
                           {"user", who.user},
                           {"role", RoleName(who.role)}});
  });
}

// The listeners with, for HTTPS, the certificate's subject and end of validity.
Json ListenerRecords(const std::vector<ApiServer::Listener>& listeners) {
  Json out = Json::array();
  int64_t now = SystemClock::Instance().NowMicros();
  for (const auto& l : listeners) {
    Json record = {{"scheme", l.scheme}, {"address", l.host}, {"port", l.port}};
    if (l.certificate) {
      int64_t left = l.certificate->not_after_micros - now;
      record["certificate"] = {{"subject", l.certificate->subject},
                               {"expires", FormatTimestamp(l.certificate->not_after_micros)},
                               {"daysLeft", left / (86'400LL * 1'000'000)}};
    }
    out.push_back(std::move(record));
  }
  return out;
}

void RegisterServer(ApiServer& api) {
  Repository& repo = api.repo();
  api.Add(Method::kGet, P("/health"), std::nullopt, [](Call&) -> Result<Reply> {
    return JsonReply(200, {{"status", "ok"}});
  });
  ApiServer* server = &api;
  api.Add(Method::kGet, P("/server"), Role::kReader, [&repo, server](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, repo.ServerId());
    ASSIGN_OR_RETURN(std::string root, repo.RootCategoryId());
    ASSIGN_OR_RETURN(StoreFigures store, repo.Figures());
    return JsonReply(200, {{"serverId", id},
                           {"version", call.options().version},
                           {"rootCategoryId", root},
                           {"started", FormatTimestamp(server->started_micros())},
                           {"listeners", ListenerRecords(server->listeners())},
                           {"store",
                            {{"bytes", store.store_bytes},
                             {"commits", store.commits},
                             {"resources", store.resources}}}});
  });
  api.Add(Method::kGet, P("/changes"), Role::kReader, [&repo](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(int64_t since, ParseInt(call.Query("since"), "since", 0,
                                             std::numeric_limits<int64_t>::max(), 0));
    ASSIGN_OR_RETURN(int64_t wait,
                     ParseInt(call.Query("wait"), "wait", 0, call.options().max_wait.count(), 0));
    ASSIGN_OR_RETURN(int64_t limit, ParseInt(call.Query("limit"), "limit", 1, 1000, 1000));
    // A long poll holds no worker while it waits: with nothing to answer the
    // handler asks to run again once the feed moves on (read its generation
    // before the log, so an event in between wakes it) or at the deadline.
    uint64_t generation = repo.change_feed().generation();
    ASSIGN_OR_RETURN(auto events, repo.Changes(since, static_cast<size_t>(limit),
                                               std::chrono::milliseconds(0)));
    auto deadline = call.received() + std::chrono::seconds(wait);
    if (events.empty() && std::chrono::steady_clock::now() < deadline) {
      return WaitForChange(generation, deadline);
    }
    Json items = Json::array();
    for (const auto& e : events) items.push_back(EventRecord(e));
    int64_t last = events.empty() ? since : events.back().seq;
    ASSIGN_OR_RETURN(int64_t head, repo.LastEventSeq());
    return JsonReply(200, {{"events", items}, {"lastSeq", last}, {"headSeq", head}});
  });
}

}  // namespace

void RegisterAdminRoutes(ApiServer& api) {
  RegisterCategories(api);
  RegisterResources(api);
  RegisterUsersAndLogin(api);
  RegisterServer(api);
}

}  // namespace tandem
