// Routes of synchronization: the source side (/sync/v1, docs/sync-protocol.md)
// that targets pull from, and the target side's remote resource
// configurations (/api/v1/remote-configs, docs/synchronization.md); their
// scope checks are declared with RemoteConfigScoped() (route_policy.h).
#include <charconv>

#include "api/api_server.h"
#include "api/route_helpers.h"
#include "common/ids.h"
#include "common/json_fields.h"
#include "sync/protocol.h"
#include "sync/sync_codec.h"
#include "tandem_version.h"

namespace tandem {

Result<std::vector<std::string>> IdArray(const Json& body, const char* key) {
  return UuidList(body, key);
}

// The have= or want= list of a pack request.
Result<std::vector<std::string>> CommitList(const Call& call, const char* name) {
  auto list = call.Query(name);
  return CommitIdList(list ? *list : std::string(), name);
}

namespace {

void RegisterSource(ApiServer& api) {
  Repository& repo = api.repo();
  SourceService& source = api.source();
  api.Add(Method::kGet, kInfoPath, Role::kReader, [&repo](Call&) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, repo.ServerId());
    return JsonReply(200, InfoToJson({id, kSyncProtocolMajor, kSyncProtocolMinor, TANDEM_VERSION}));
  });
  api.Add(Method::kPost, kCataloguePath, Role::kReader,
          [&source](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(Json body, call.Body());
            ASSIGN_OR_RETURN(CatalogueRequest request, CatalogueRequestFromJson(body));
            ASSIGN_OR_RETURN(Catalogue catalogue, source.BuildCatalogue(request));
            return JsonReply(200, CatalogueToJson(catalogue));
          });
  api.Add(Method::kGet, std::string("/sync/v1/resources/") + ApiServer::kPathParam + "/pack", Role::kReader,
          [&source, &repo](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "resourceId"));
            ASSIGN_OR_RETURN(Resource r, repo.GetResource(id));  // 404 before streaming
            ASSIGN_OR_RETURN(auto have, CommitList(call, "have"));
            ASSIGN_OR_RETURN(auto want, CommitList(call, "want"));
            Reply reply;
            reply.content_type = kPackContentType;
            reply.stream = [&source, rid = r.id, have,
                            want](const std::function<bool(std::string_view)>& write) {
              return source.WritePack(rid, have, want, write);
            };
            return reply;
          });
}

void RegisterRemoteConfigs(ApiServer& api) {
  SyncEngine* engine = api.engine();
  if (!engine) return;
  ApiServer* server = &api;
  const std::string base = "/api/v1/remote-configs";
  api.Add(Method::kGet, base, RemoteConfigScoped(), [engine, server](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(Json list, engine->List());
    Json visible = Json::array();
    for (auto& c : list) {
      std::string category = c.value("targetCategoryId", "");
      if (CheckCategoryScope(server->repo(), call.who(), category).ok()) visible.push_back(c);
    }
    return JsonReply(200, visible);
  });
  api.Add(Method::kPost, base, RemoteConfigScoped(), [engine](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(Json body, call.Body());
    if (!body.is_object() || !body.contains("targetCategoryId")) {
      return Status::InvalidArgument("remote configuration: field 'targetCategoryId' is required");
    }
    ASSIGN_OR_RETURN(Json created, engine->Create(body));
    return JsonReply(201, created);
  });
  api.Add(Method::kGet, base + "/" + ApiServer::kPathParam, RemoteConfigScoped(), [engine](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "configId"));
    ASSIGN_OR_RETURN(Json c, engine->Get(id));
    return JsonReply(200, c);
  });
  api.Add(Method::kPatch, base + "/" + ApiServer::kPathParam, RemoteConfigScoped(), [engine](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "configId"));
    ASSIGN_OR_RETURN(Json body, call.Body());
    ASSIGN_OR_RETURN(Json c, engine->Update(id, body));
    return JsonReply(200, c);
  });
  api.Add(Method::kDelete, base + "/" + ApiServer::kPathParam, RemoteConfigScoped(), [engine](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "configId"));
    RETURN_IF_ERROR(engine->Delete(id));
    return EmptyReply();
  });
  api.Add(Method::kGet, base + "/" + ApiServer::kPathParam + "/status", RemoteConfigScoped(),
          [engine](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "configId"));
            ASSIGN_OR_RETURN(Json st, engine->GetStatus(id));
            return JsonReply(200, st);
          });
  api.Add(Method::kGet, base + "/" + ApiServer::kPathParam + "/runs", RemoteConfigScoped(),
          [engine](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "configId"));
            ASSIGN_OR_RETURN(Json runs, engine->Runs(id, 100));
            return JsonReply(200, runs);
          });
  api.Add(Method::kPost, base + "/" + ApiServer::kPathParam + "/sync", RemoteConfigScoped(),
          [engine](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "configId"));
            auto wait = call.Query("wait");
            if (wait && *wait != "true" && *wait != "false") {
              return Status::InvalidArgument("wait must be true or false");
            }
            bool waiting = wait && *wait == "true";
            ASSIGN_OR_RETURN(Json out, engine->RequestRun(id, waiting, std::chrono::seconds(600)));
            return JsonReply(waiting ? 200 : 202, out);
          });
}

Json SourceTreeRecord(const SourceTree& tree) {
  Json categories = Json::array();
  for (const auto& c : tree.categories) {
    categories.push_back({{"id", c.id},
                          {"name", c.name},
                          {"parentId", c.parent_id ? Json(*c.parent_id) : Json(nullptr)},
                          {"description", c.description}});
  }
  Json resources = Json::array();
  for (const auto& r : tree.resources) {
    resources.push_back({{"id", r.id},
                         {"projectId", r.project_id},
                         {"name", r.name},
                         {"categoryId", r.category_id},
                         {"readOnly", r.read_only}});
  }
  return {{"source", {{"serverId", tree.info.server_id}, {"version", tree.info.version}}},
          {"categories", std::move(categories)},
          {"resources", std::move(resources)}};
}

// What a source offers, before a configuration exists (the wizard's first
// two steps). Any sync-manager may ask: it needs the source's credentials,
// and the answer says nothing about this server.
void RegisterSourceBrowsing(ApiServer& api) {
  SyncEngine* engine = api.engine();
  if (!engine) return;
  api.Add(Method::kPost, "/api/v1/remote-sources/browse", Role::kSyncManager,
          [engine](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(Json body, call.Body());
            ASSIGN_OR_RETURN(auto f, JsonFields::Of(body, "source"));
            RETURN_IF_ERROR(f.OnlyAllowed({"url", "username", "password"}));
            SourceEndpoint endpoint;
            ASSIGN_OR_RETURN(endpoint.url, f.RequiredString("url"));
            ASSIGN_OR_RETURN(endpoint.username, f.RequiredString("username"));
            ASSIGN_OR_RETURN(endpoint.password, f.RequiredString("password"));
            ASSIGN_OR_RETURN(SourceTree tree, engine->BrowseSource(endpoint));
            return JsonReply(200, SourceTreeRecord(tree));
          });
}

}  // namespace

void RegisterSyncRoutes(ApiServer& api) {
  RegisterSource(api);
  RegisterRemoteConfigs(api);
  RegisterSourceBrowsing(api);
}

}  // namespace tandem
