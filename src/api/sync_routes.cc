// Routes of synchronization: the source side (/sync/v1, docs/sync-protocol.md)
// that targets pull from, and the target side's remote resource
// configurations (/api/v1/remote-configs, docs/synchronization.md).
#include <charconv>

#include "api/api_server.h"
#include "common/ids.h"
#include "sync/protocol.h"
#include "tandem_version.h"

namespace tandem {
namespace {

constexpr char kId[] = "([^/]+)";

Result<std::vector<std::string>> IdArray(const Json& body, const char* key) {
  std::vector<std::string> out;
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_array()) return Status::InvalidArgument(std::string("'") + key + "' must be a list of ids");
  for (const auto& v : *it) {
    if (!v.is_string() || !IsUuid(v.get<std::string>())) {
      return Status::InvalidArgument(std::string("'") + key + "' must hold UUIDs");
    }
    out.push_back(NormalizeUuid(v.get<std::string>()));
  }
  return out;
}

void RegisterSource(ApiServer& api) {
  Repository& repo = api.repo();
  SourceService& source = api.source();
  api.Add(Method::kGet, "/sync/v1/info", Role::kReader, [&repo](Call&) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, repo.ServerId());
    return Reply{200,
                 {{"protocol", kSyncProtocolName},
                  {"major", kSyncProtocolMajor},
                  {"minor", kSyncProtocolMinor},
                  {"serverId", id},
                  {"version", TANDEM_VERSION}},
                 {},
                 false};
  });
  api.Add(Method::kPost, "/sync/v1/catalogue", Role::kReader, [&source](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(Json body, call.Body());
    if (!body.is_object()) return Status::InvalidArgument("catalogue request must be an object");
    CatalogueRequest request;
    ASSIGN_OR_RETURN(request.resources, IdArray(body, "resources"));
    ASSIGN_OR_RETURN(request.categories, IdArray(body, "categories"));
    ASSIGN_OR_RETURN(Catalogue catalogue, source.BuildCatalogue(request));
    Json entries = Json::array();
    for (const auto& e : catalogue.entries) entries.push_back(CatalogueEntryToJson(e));
    return Reply{200,
                 {{"resources", entries},
                  {"missing",
                   {{"resources", catalogue.missing_resources},
                    {"categories", catalogue.missing_categories}}}},
                 {},
                 false};
  });
  api.Add(Method::kGet, std::string("/sync/v1/resources/") + kId + "/pack", Role::kReader,
          [&source, &repo](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "resourceId"));
            ASSIGN_OR_RETURN(Resource r, repo.GetResource(id));  // 404 before streaming
            std::vector<std::string> have;
            if (auto list = call.Query("have"); list && !list->empty()) {
              size_t pos = 0;
              while (pos <= list->size()) {
                size_t comma = list->find(',', pos);
                std::string item = list->substr(pos, comma - pos);
                if (!IsUuid(item)) return Status::InvalidArgument("have: '" + item + "' is not a UUID");
                have.push_back(NormalizeUuid(item));
                if (have.size() > 10'000) return Status::InvalidArgument("have: too many commits");
                if (comma == std::string::npos) break;
                pos = comma + 1;
              }
            }
            Reply reply;
            reply.content_type = kPackContentType;
            reply.stream = [&source, rid = r.id, have](const std::function<bool(std::string_view)>& write) {
              return source.WritePack(rid, have, write);
            };
            return reply;
          });
}

void RegisterRemoteConfigs(ApiServer& api) {
  SyncEngine* engine = api.engine();
  if (!engine) return;
  const std::string base = "/api/v1/remote-configs";
  api.Add(Method::kGet, base, Role::kAdmin, [engine](Call&) -> Result<Reply> {
    ASSIGN_OR_RETURN(Json list, engine->List());
    return Reply{200, list, {}, false};
  });
  api.Add(Method::kPost, base, Role::kAdmin, [engine](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(Json body, call.Body());
    ASSIGN_OR_RETURN(Json created, engine->Create(body));
    return Reply{201, created, {}, false};
  });
  api.Add(Method::kGet, base + "/" + kId, Role::kAdmin, [engine](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "configId"));
    ASSIGN_OR_RETURN(Json c, engine->Get(id));
    return Reply{200, c, {}, false};
  });
  api.Add(Method::kPatch, base + "/" + kId, Role::kAdmin, [engine](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "configId"));
    ASSIGN_OR_RETURN(Json body, call.Body());
    ASSIGN_OR_RETURN(Json c, engine->Update(id, body));
    return Reply{200, c, {}, false};
  });
  api.Add(Method::kDelete, base + "/" + kId, Role::kAdmin, [engine](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "configId"));
    RETURN_IF_ERROR(engine->Delete(id));
    return Reply{204, nullptr, {}, true};
  });
  api.Add(Method::kGet, base + "/" + kId + "/status", Role::kAdmin,
          [engine](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "configId"));
            ASSIGN_OR_RETURN(Json st, engine->GetStatus(id));
            return Reply{200, st, {}, false};
          });
  api.Add(Method::kGet, base + "/" + kId + "/runs", Role::kAdmin,
          [engine](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "configId"));
            ASSIGN_OR_RETURN(Json runs, engine->Runs(id, 100));
            return Reply{200, runs, {}, false};
          });
  api.Add(Method::kPost, base + "/" + kId + "/sync", Role::kAdmin,
          [engine](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "configId"));
            auto wait = call.Query("wait");
            if (wait && *wait != "true" && *wait != "false") {
              return Status::InvalidArgument("wait must be true or false");
            }
            bool waiting = wait && *wait == "true";
            ASSIGN_OR_RETURN(Json out, engine->RequestRun(id, waiting, std::chrono::seconds(600)));
            return Reply{waiting ? 200 : 202, out, {}, false};
          });
}

}  // namespace

void RegisterSyncRoutes(ApiServer& api) {
  RegisterSource(api);
  RegisterRemoteConfigs(api);
}

}  // namespace tandem
