// Routes of synchronization bundles (docs/bundle-format.md, docs/api.md): the
// source side writes a bundle (POST /api/v1/bundles, streamed), the target
// exports what it holds (GET /api/v1/bundles/state), receives a bundle in
// pieces into its data directory (/api/v1/bundles/uploads; a bundle may be
// far larger than server.max-body-bytes, up to sync.max-bundle-bytes) and
// applies it (…/uploads/{id}/apply), which needs a sync-manager in scope of
// the target category or an admin.
#include <algorithm>
#include <map>
#include <memory>

#include "api/api_server.h"
#include "api/bundle_uploads.h"
#include "api/route_helpers.h"
#include "sync/bundle_creator.h"

namespace tandem {
namespace {

Result<std::map<std::string, std::vector<std::string>>> SinceOf(const Json& body) {
  std::map<std::string, std::vector<std::string>> out;
  auto it = body.find("since");
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_object()) {
    return Status::InvalidArgument("'since' must map resource ids to the commit ids the target holds");
  }
  // Same checks as a state file's resources.
  ASSIGN_OR_RETURN(Json since, SinceFromState({{"format", kBundleStateFormat}, {"resources", *it}}));
  for (const auto& [id, commits] : since.items()) {
    out[id] = commits.get<std::vector<std::string>>();
  }
  return out;
}

}  // namespace

void RegisterBundleRoutes(ApiServer& api) {
  Repository& repo = api.repo();
  SourceService& source = api.source();
  Clock& clock = SystemClock::Instance();
  const ApiOptions& options = api.options();
  BundleLimits limits;
  limits.max_bundle_bytes = options.max_bundle_bytes;
  auto uploads = std::make_shared<BundleUploads>(
      options.bundle_dir, limits, std::min<size_t>(options.http.max_body_bytes, size_t{8} << 20), repo,
      clock, UploadSlots{options.max_open_uploads_per_user, options.max_open_uploads});
  api.AddStopHook([uploads] { uploads->Shutdown(); });
  const std::string base = "/api/v1/bundles";

  // Source side: like the /sync/v1 endpoints, any reader may take history out.
  api.Add(Method::kPost, base, Role::kReader, [&repo, &source, &clock](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(Json body, call.Body());
    if (!body.is_object()) return Status::InvalidArgument("bundle request must be an object");
    for (const auto& [key, value] : body.items()) {
      if (key != "resources" && key != "categories" && key != "since") {
        return Status::InvalidArgument("bundle request: unknown field '" + key + "'");
      }
    }
    BundleRequest request;
    ASSIGN_OR_RETURN(request.resources, IdArray(body, "resources"));
    ASSIGN_OR_RETURN(request.categories, IdArray(body, "categories"));
    ASSIGN_OR_RETURN(request.since, SinceOf(body));
    BundleCreator creator(repo, source, clock);
    ASSIGN_OR_RETURN(BundlePlan plan, creator.Plan(request));
    Reply reply;
    reply.content_type = kBundleContentType;
    reply.headers.emplace_back("Content-Disposition", "attachment; filename=\"tandem.bundle\"");
    reply.headers.emplace_back("X-Tandem-Bundle-Commits",
                               std::to_string(plan.manifest.value("commits", uint64_t{0})));
    reply.stream = [&repo, &source, &clock,
                    plan = std::move(plan)](const std::function<bool(std::string_view)>& write) {
      BundleCreator writer(repo, source, clock);
      return writer.Write(plan, write);
    };
    return reply;
  });
  api.Add(Method::kGet, base + "/state", Role::kReader, [&repo, &source, &clock](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(auto resources, CommitList(call, "resources"));
    BundleCreator creator(repo, source, clock);
    ASSIGN_OR_RETURN(Json state, creator.State(resources));
    return JsonReply(200, state);
  });

  // Target side.
  api.Add(Method::kPost, base + "/uploads", Role::kSyncManager,
          [uploads](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(Json created, uploads->Create(call.who().user));
            return JsonReply(201, created);
          });
  // An administrator sees and ends every user's uploads (to free slots).
  auto caller = [](const Call& call) {
    return UploadCaller{call.who().user, call.who().AtLeast(Role::kAdmin)};
  };
  api.Add(Method::kGet, base + "/uploads", Role::kSyncManager,
          [uploads, caller](Call& call) -> Result<Reply> {
            return JsonReply(200, uploads->List(caller(call)));
          });
  api.Add(Method::kGet, base + "/uploads/" + ApiServer::kPathParam, Role::kSyncManager,
          [uploads, caller](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "uploadId"));
            ASSIGN_OR_RETURN(Json record, uploads->Describe(id, caller(call)));
            return JsonReply(200, record);
          });
  api.Add(Method::kPut, base + "/uploads/" + ApiServer::kPathParam, Role::kSyncManager,
          [uploads](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "uploadId"));
            auto offset = call.Query("offset");
            if (!offset || offset->empty() || offset->size() > 15 ||
                offset->find_first_not_of("0123456789") != std::string::npos) {
              return Status::InvalidArgument("offset must be the number of bytes already sent");
            }
            if (call.RawBody().empty()) return Status::InvalidArgument("the piece is empty");
            ASSIGN_OR_RETURN(Json record, uploads->Append(id, call.who().user, std::stoull(*offset),
                                                          call.RawBody()));
            return JsonReply(200, record);
          });
  api.Add(Method::kDelete, base + "/uploads/" + ApiServer::kPathParam, Role::kSyncManager,
          [uploads, caller](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "uploadId"));
            RETURN_IF_ERROR(uploads->Discard(id, caller(call)));
            return EmptyReply();
          });
  api.Add(Method::kPost, base + "/uploads/" + ApiServer::kPathParam + "/apply", TargetCategoryScoped(),
          [uploads, &repo](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "uploadId"));
            ASSIGN_OR_RETURN(auto category, call.QueryId("targetCategory"));
            if (!category) {
              return Status::InvalidArgument("targetCategory (the category to hold the copies) is required");
            }
            auto wait = call.Query("wait");
            if (wait && *wait != "true" && *wait != "false") {
              return Status::InvalidArgument("wait must be true or false");
            }
            // The bundle names the copies it changes; whoever applies it must
            // be allowed to manage each of them where it lies now, not only
            // the target category (a bundle's source server id is not proof).
            Principal who = call.who();
            auto copy_check = [&repo, who](const Resource& copy) -> Status {
              Status st = CheckCategoryScope(repo, who, copy.category_id);
              if (st.ok()) return st;
              return Status::PermissionDenied("the copy '" + copy.name + "' (" + copy.id +
                                               ") lies outside your scopes and is not changed: " +
                                               st.message());
            };
            RETURN_IF_ERROR(uploads->StartApply(id, call.who().user, *category, copy_check));
            if (!wait || *wait != "true") {
              ASSIGN_OR_RETURN(Json record, uploads->Describe(id, UploadCaller{call.who().user}));
              return JsonReply(202, record);
            }
            ASSIGN_OR_RETURN(Json record, uploads->Wait(id, call.who().user, std::chrono::seconds(600)));
            return JsonReply(record["state"] == "done" ? 200 : 202, record);
          });
}

}  // namespace tandem
