// Routes of synchronization: the source side (/sync/v1, docs/sync-protocol.md)
// that targets pull from, and the target side's remote resource
// configurations (/api/v1/remote-configs, docs/synchronization.md); their
// scope checks are declared with RemoteConfigScoped() (route_policy.h).
#include <charconv>

#include "api/api_server.h"
#include "api/route_helpers.h"
#include "common/ids.h"
#include "sync/protocol.h"
#include "tandem_version.h"

namespace tandem {

Result<std::vector<std::string>> IdArray(const Json& body, const char* key) {
  std::vector<std::string> out;
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_array())
    return Status::InvalidArgument(std::string("'") + key + "' must be a list of ids");
  for (const auto& v : *it) {
    if (!v.is_string() || !IsUuid(v.get<std::string>())) {
      return Status::InvalidArgument(std::string("'") + key + "' must hold UUIDs");
    }
    out.push_back(NormalizeUuid(v.get<std::string>()));
  }
  return out;
}

// A comma-separated list of commit ids from the query (have=, want=).
Result<std::vector<std::string>> CommitList(const Call& call, const char* name) {
  std::vector<std::string> out;
  auto list = call.Query(name);
  if (!list || list->empty()) return out;
  size_t pos = 0;
  while (true) {
    size_t comma = list->find(',', pos);
    std::string item = list->substr(pos, comma == std::string::npos ? comma : comma - pos);
    if (!IsUuid(item))
      return Status::InvalidArgument(std::string(name) + ": '" + item + "' is not a UUID");
    out.push_back(NormalizeUuid(item));
    if (out.size() > 10'000)
      return Status::InvalidArgument(std::string(name) + ": too many commits");
    if (comma == std::string::npos) return out;
    pos = comma + 1;
  }
}

namespace {

constexpr char kId[] = "([^/]+)";

void RegisterSource(ApiServer& api) {
  Repository& repo = api.repo();
  SourceService& source = api.source();
  api.Add(Method::kGet, "/sync/v1/info", Role::kReader, [&repo](Call&) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, repo.ServerId());
    return JsonReply(200, {{"protocol", kSyncProtocolName},
                           {"major", kSyncProtocolMajor},
                           {"minor", kSyncProtocolMinor},
                           {"serverId", id},
                           {"version", TANDEM_VERSION}});
  });
  api.Add(Method::kPost, "/sync/v1/catalogue", Role::kReader,
          [&source](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(Json body, call.Body());
            if (!body.is_object())
              return Status::InvalidArgument("catalogue request must be an object");
            CatalogueRequest request;
            ASSIGN_OR_RETURN(request.resources, IdArray(body, "resources"));
            ASSIGN_OR_RETURN(request.categories, IdArray(body, "categories"));
            if (body.contains("tag") && !body["tag"].is_null()) {
              if (!body["tag"].is_string() || body["tag"].get<std::string>().empty()) {
                return Status::InvalidArgument("'tag' must be a non-empty string");
              }
              request.tag = body["tag"].get<std::string>();
            }
            ASSIGN_OR_RETURN(Catalogue catalogue, source.BuildCatalogue(request));
            Json entries = Json::array();
            for (const auto& e : catalogue.entries) entries.push_back(CatalogueEntryToJson(e));
            return JsonReply(200, {{"resources", entries},
                                   {"missing",
                                    {{"resources", catalogue.missing_resources},
                                     {"categories", catalogue.missing_categories}}}});
          });
  api.Add(Method::kGet, std::string("/sync/v1/resources/") + kId + "/pack", Role::kReader,
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
  api.Add(Method::kGet, base + "/" + kId, RemoteConfigScoped(), [engine](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "configId"));
    ASSIGN_OR_RETURN(Json c, engine->Get(id));
    return JsonReply(200, c);
  });
  api.Add(Method::kPatch, base + "/" + kId, RemoteConfigScoped(), [engine](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "configId"));
    ASSIGN_OR_RETURN(Json body, call.Body());
    ASSIGN_OR_RETURN(Json c, engine->Update(id, body));
    return JsonReply(200, c);
  });
  api.Add(Method::kDelete, base + "/" + kId, RemoteConfigScoped(), [engine](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "configId"));
    RETURN_IF_ERROR(engine->Delete(id));
    return EmptyReply();
  });
  api.Add(Method::kGet, base + "/" + kId + "/status", RemoteConfigScoped(),
          [engine](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "configId"));
            ASSIGN_OR_RETURN(Json st, engine->GetStatus(id));
            return JsonReply(200, st);
          });
  api.Add(Method::kGet, base + "/" + kId + "/runs", RemoteConfigScoped(),
          [engine](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "configId"));
            ASSIGN_OR_RETURN(Json runs, engine->Runs(id, 100));
            return JsonReply(200, runs);
          });
  api.Add(Method::kPost, base + "/" + kId + "/sync", RemoteConfigScoped(),
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

}  // namespace

void RegisterSyncRoutes(ApiServer& api) {
  RegisterSource(api);
  RegisterRemoteConfigs(api);
}

}  // namespace tandem
