// Routes of the OMG Systems Modeling API 1.0 under /sysml/v2: projects,
// branches, tags, commits and their changes, elements at a commit, roots,
// relationships, the ProjectUsage an element comes through, diffs, merges,
// queries and the metamodel's data types.
#include "api/api_server.h"
#include "api/sysml_json.h"
#include "api/sysml_meta.h"
#include "api/sysml_query.h"
#include "common/json_fields.h"

namespace tandem {
namespace {

std::string P(const std::string& tail) { return "/sysml/v2" + tail; }

// Turns a page of records into a reply whose cursors are the records' "@id".
template <typename T, typename ToJson>
Reply ListReply(const Call& call, const Page<T>& page, ToJson to_json) {
  Json items = Json::array();
  for (const auto& item : page.items) items.push_back(to_json(item));
  std::string first = items.empty() ? "" : items.front().value("@id", "");
  std::string last = items.empty() ? "" : items.back().value("@id", "");
  return call.PageReply(std::move(items), first, last, page.more_after, page.more_before);
}

Result<RelationshipDirection> ParseDirection(const std::optional<std::string>& v) {
  if (!v || *v == "both") return RelationshipDirection::kBoth;
  if (*v == "in") return RelationshipDirection::kIn;
  if (*v == "out") return RelationshipDirection::kOut;
  return Status::InvalidArgument("direction must be in, out or both, got '" + *v + "'");
}

Status CheckExcludeUsed(const Call& call) {
  auto v = call.Query("excludeUsed");
  if (v && *v != "true" && *v != "false") {
    return Status::InvalidArgument("excludeUsed must be true or false, got '" + *v + "'");
  }
  return Status::Ok();
}

void RegisterProjects(ApiServer& api) {
  Repository& repo = api.repo();
  api.Add(Method::kGet, P("/projects"), Role::kReader, [&repo](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(PageRequest page, call.Page());
    ASSIGN_OR_RETURN(auto list, repo.ListResources({}, page));
    return ListReply(call, list, ProjectJson);
  });
  api.Add(Method::kPost, P("/projects"), Role::kWriter, [&repo](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(Json body, call.Body());
    ASSIGN_OR_RETURN(auto f, JsonFields::Of(body, "project request"));
    RETURN_IF_ERROR(f.OnlyAllowed({"@type", "alias", "defaultBranch", "description", "name"}));
    RETURN_IF_ERROR(f.TypeIs("Project"));
    if (f.Has("defaultBranch")) {
      return Status::InvalidArgument(
          "project request: 'defaultBranch' cannot be chosen; a new "
          "project gets the branch 'main'");
    }
    ResourceSpec spec;
    ASSIGN_OR_RETURN(spec.name, f.RequiredString("name"));
    ASSIGN_OR_RETURN(spec.description, f.OptionalString("description"));
    ASSIGN_OR_RETURN(Resource r, repo.CreateResource(spec));
    return JsonReply(call.options().post_status, ProjectJson(r));
  });
  api.Add(Method::kGet, P("/projects/") + ApiServer::kPathParam, Role::kReader, [&repo](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
    ASSIGN_OR_RETURN(Resource r, repo.GetResource(id));
    return JsonReply(200, ProjectJson(r));
  });
  api.Add(Method::kPut, P("/projects/") + ApiServer::kPathParam, Role::kWriter, [&repo](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
    ASSIGN_OR_RETURN(Json body, call.Body());
    ASSIGN_OR_RETURN(auto f, JsonFields::Of(body, "project request"));
    RETURN_IF_ERROR(f.OnlyAllowed({"@type", "alias", "defaultBranch", "description", "name"}));
    RETURN_IF_ERROR(f.TypeIs("Project"));
    ResourcePatch patch;
    ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
    patch.name = name;
    ASSIGN_OR_RETURN(patch.description, f.NullableString("description"));
    ASSIGN_OR_RETURN(auto branch, f.OptionalReference("defaultBranch"));
    ASSIGN_OR_RETURN(Resource current, repo.GetResource(id));
    if (branch && *branch != current.default_branch_id) {
      return Status::InvalidArgument("project request: changing 'defaultBranch' is not supported");
    }
    ASSIGN_OR_RETURN(Resource r, repo.UpdateResource(id, patch));
    return JsonReply(200, ProjectJson(r));
  });
  api.Add(Method::kDelete, P("/projects/") + ApiServer::kPathParam, Role::kAdmin,
          [&repo](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
            ASSIGN_OR_RETURN(Resource r, repo.GetResource(id));
            RETURN_IF_ERROR(repo.DeleteResource(id));
            return JsonReply(200, ProjectJson(r));
          });
}

void RegisterBranchesAndTags(ApiServer& api) {
  Repository& repo = api.repo();
  const std::string branches = P("/projects/") + ApiServer::kPathParam + "/branches";
  api.Add(Method::kGet, branches, Role::kReader, [&repo](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
    ASSIGN_OR_RETURN(PageRequest page, call.Page());
    ASSIGN_OR_RETURN(auto list, repo.ListBranches(id, page));
    return ListReply(call, list, BranchJson);
  });
  api.Add(Method::kPost, branches, Role::kWriter, [&repo](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
    ASSIGN_OR_RETURN(Json body, call.Body());
    ASSIGN_OR_RETURN(auto f, JsonFields::Of(body, "branch request"));
    RETURN_IF_ERROR(f.OnlyAllowed({"@type", "alias", "description", "head", "name"}));
    RETURN_IF_ERROR(f.TypeIs("Branch"));
    ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
    ASSIGN_OR_RETURN(std::string head, f.RequiredReference("head"));
    ASSIGN_OR_RETURN(Branch b, repo.CreateBranch(id, name, head));
    return JsonReply(call.options().post_status, BranchJson(b));
  });
  api.Add(Method::kGet, branches + "/" + ApiServer::kPathParam, Role::kReader, [&repo](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
    ASSIGN_OR_RETURN(std::string bid, call.IdParam(2, "branchId"));
    ASSIGN_OR_RETURN(Branch b, repo.GetBranch(id, bid));
    return JsonReply(200, BranchJson(b));
  });
  api.Add(Method::kDelete, branches + "/" + ApiServer::kPathParam, Role::kWriter,
          [&repo](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
            ASSIGN_OR_RETURN(std::string bid, call.IdParam(2, "branchId"));
            ASSIGN_OR_RETURN(Branch b, repo.GetBranch(id, bid));
            RETURN_IF_ERROR(repo.DeleteBranch(id, bid));
            return JsonReply(200, BranchJson(b));
          });
  api.Add(Method::kPost, branches + "/" + ApiServer::kPathParam + "/merge", Role::kWriter,
          [&repo](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
            MergeRequest req;
            ASSIGN_OR_RETURN(req.branch_id, call.IdParam(2, "branchId"));
            auto sources = call.Query("sourceCommitId");
            if (!sources)
              return Status::InvalidArgument("sourceCommitId is required: the commit to merge");
            if (sources->find(',') != std::string::npos) {
              return Status::NotImplemented(
                  "merging several source commits at once (sourceCommitId=" + *sources +
                  ") is not implemented by this Tandem release; merge them one at a time");
            }
            ASSIGN_OR_RETURN(auto source, call.QueryId("sourceCommitId"));
            req.source_commit_id = *source;
            req.description = call.Query("description");
            if (!call.RawBody().empty()) {
              ASSIGN_OR_RETURN(Json body, call.Body());
              ASSIGN_OR_RETURN(req.resolutions, ParseMergeResolutions(body));
            }
            ASSIGN_OR_RETURN(MergeOutcome merged, repo.Merge(id, req, call.who().user));
            if (!merged.conflicts.empty()) {
              Json ids = Json::array();
              for (const auto& e : merged.conflicts) ids.push_back(DataIdentityJson(e));
              return JsonReply(409, std::move(ids));
            }
            return JsonReply(merged.created ? call.options().post_status : 200,
                             CommitJson(*merged.commit));
          });

  const std::string tags = P("/projects/") + ApiServer::kPathParam + "/tags";
  api.Add(Method::kGet, tags, Role::kReader, [&repo](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
    ASSIGN_OR_RETURN(PageRequest page, call.Page());
    ASSIGN_OR_RETURN(auto list, repo.ListTags(id, page));
    return ListReply(call, list, TagJson);
  });
  api.Add(Method::kPost, tags, Role::kWriter, [&repo](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
    ASSIGN_OR_RETURN(Json body, call.Body());
    ASSIGN_OR_RETURN(auto f, JsonFields::Of(body, "tag request"));
    RETURN_IF_ERROR(f.OnlyAllowed({"@type", "alias", "description", "name", "taggedCommit"}));
    RETURN_IF_ERROR(f.TypeIs("Tag"));
    ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
    ASSIGN_OR_RETURN(std::string commit, f.RequiredReference("taggedCommit"));
    ASSIGN_OR_RETURN(auto description, f.OptionalString("description"));
    ASSIGN_OR_RETURN(Tag t, repo.CreateTag(id, name, commit, description));
    return JsonReply(call.options().post_status, TagJson(t));
  });
  api.Add(Method::kGet, tags + "/" + ApiServer::kPathParam, Role::kReader, [&repo](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
    ASSIGN_OR_RETURN(std::string tid, call.IdParam(2, "tagId"));
    ASSIGN_OR_RETURN(Tag t, repo.GetTag(id, tid));
    return JsonReply(200, TagJson(t));
  });
  api.Add(Method::kDelete, tags + "/" + ApiServer::kPathParam, Role::kWriter, [&repo](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
    ASSIGN_OR_RETURN(std::string tid, call.IdParam(2, "tagId"));
    ASSIGN_OR_RETURN(Tag t, repo.GetTag(id, tid));
    RETURN_IF_ERROR(repo.DeleteTag(id, tid));
    return JsonReply(200, TagJson(t));
  });
}

void RegisterCommits(ApiServer& api) {
  Repository& repo = api.repo();
  const std::string commits = P("/projects/") + ApiServer::kPathParam + "/commits";
  const std::string commit = commits + "/" + ApiServer::kPathParam;
  api.Add(Method::kGet, commits, Role::kReader, [&repo](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
    ASSIGN_OR_RETURN(PageRequest page, call.Page());
    ASSIGN_OR_RETURN(auto list, repo.ListCommits(id, page, /*newest_first=*/false));
    return ListReply(call, list, CommitJson);
  });
  api.Add(Method::kPost, commits, Role::kWriter, [&repo](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
    ASSIGN_OR_RETURN(Json body, call.Body());
    ASSIGN_OR_RETURN(CommitRequest req, ParseCommitRequest(body));
    ASSIGN_OR_RETURN(req.branch_id, call.QueryId("branchId"));
    ASSIGN_OR_RETURN(Commit c, repo.CreateCommit(id, req, call.who().user));
    return JsonReply(call.options().post_status, CommitJson(c));
  });
  api.Add(Method::kGet, commit, Role::kReader, [&repo](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
    ASSIGN_OR_RETURN(std::string cid, call.IdParam(2, "commitId"));
    ASSIGN_OR_RETURN(Commit c, repo.GetCommit(id, cid));
    return JsonReply(200, CommitJson(c));
  });
  auto change_json = [](const Repository::ChangeView& v) {
    return DataVersionJson(v.change.change_id, v.change.element_id, v.payload);
  };
  api.Add(Method::kGet, commit + "/changes", Role::kReader,
          [&repo, change_json](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
            ASSIGN_OR_RETURN(std::string cid, call.IdParam(2, "commitId"));
            ASSIGN_OR_RETURN(PageRequest page, call.Page());
            ASSIGN_OR_RETURN(auto list, repo.ListChanges(id, cid, page));
            return ListReply(call, list, change_json);
          });
  api.Add(Method::kGet, commit + "/changes/" + ApiServer::kPathParam, Role::kReader,
          [&repo, change_json](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
            ASSIGN_OR_RETURN(std::string cid, call.IdParam(2, "commitId"));
            ASSIGN_OR_RETURN(std::string chid, call.IdParam(3, "changeId"));
            ASSIGN_OR_RETURN(auto v, repo.GetChange(id, cid, chid));
            return JsonReply(200, change_json(v));
          });
}

void RegisterElements(ApiServer& api) {
  Repository& repo = api.repo();
  const std::string commit = P("/projects/") + ApiServer::kPathParam + "/commits/" + ApiServer::kPathParam;
  auto identity = [](const Json& e) { return e; };
  api.Add(Method::kGet, commit + "/elements", Role::kReader,
          [&repo, identity](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
            ASSIGN_OR_RETURN(std::string cid, call.IdParam(2, "commitId"));
            RETURN_IF_ERROR(CheckExcludeUsed(call));
            ASSIGN_OR_RETURN(PageRequest page, call.Page());
            ASSIGN_OR_RETURN(auto list, repo.ListElements(id, cid, page));
            return ListReply(call, list, identity);
          });
  api.Add(Method::kGet, commit + "/elements/" + ApiServer::kPathParam, Role::kReader,
          [&repo](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
            ASSIGN_OR_RETURN(std::string cid, call.IdParam(2, "commitId"));
            ASSIGN_OR_RETURN(std::string eid, call.IdParam(3, "elementId"));
            RETURN_IF_ERROR(CheckExcludeUsed(call));
            ASSIGN_OR_RETURN(Json e, repo.GetElement(id, cid, eid));
            return JsonReply(200, std::move(e));
          });
  api.Add(Method::kGet, commit + "/elements/" + ApiServer::kPathParam + "/projectUsage",
          Role::kReader, [&repo](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
            ASSIGN_OR_RETURN(std::string cid, call.IdParam(2, "commitId"));
            ASSIGN_OR_RETURN(std::string eid, call.IdParam(3, "elementId"));
            ASSIGN_OR_RETURN(Json usage, repo.GetProjectUsage(id, cid, eid));
            return JsonReply(200, std::move(usage));
          });
  api.Add(Method::kGet, commit + "/elements/" + ApiServer::kPathParam + "/relationships", Role::kReader,
          [&repo, identity](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
            ASSIGN_OR_RETURN(std::string cid, call.IdParam(2, "commitId"));
            ASSIGN_OR_RETURN(std::string eid, call.IdParam(3, "relatedElementId"));
            RETURN_IF_ERROR(CheckExcludeUsed(call));
            ASSIGN_OR_RETURN(auto dir, ParseDirection(call.Query("direction")));
            ASSIGN_OR_RETURN(PageRequest page, call.Page());
            ASSIGN_OR_RETURN(auto list, repo.ListRelationships(id, cid, eid, dir, page));
            return ListReply(call, list, identity);
          });
  api.Add(Method::kGet, commit + "/roots", Role::kReader,
          [&repo, identity](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
            ASSIGN_OR_RETURN(std::string cid, call.IdParam(2, "commitId"));
            RETURN_IF_ERROR(CheckExcludeUsed(call));
            ASSIGN_OR_RETURN(PageRequest page, call.Page());
            ASSIGN_OR_RETURN(auto list, repo.ListRoots(id, cid, page));
            return ListReply(call, list, identity);
          });
  api.Add(Method::kGet, commit + "/diff", Role::kReader, [&repo](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
    ASSIGN_OR_RETURN(std::string compare, call.IdParam(2, "compareCommitId"));
    ASSIGN_OR_RETURN(auto base, call.QueryId("baseCommitId"));
    if (!base) return Status::InvalidArgument("query parameter baseCommitId is required");
    ASSIGN_OR_RETURN(PageRequest page, call.Page());
    ASSIGN_OR_RETURN(auto list, repo.Diff(id, *base, compare, page));
    Json items = Json::array();
    for (const auto& d : list.items) items.push_back(DataDifferenceJson(*base, compare, d));
    // Diff pages are keyed by element id, which DataDifference records don't carry at top level.
    std::string first = list.items.empty() ? "" : list.items.front().element_id;
    std::string last = list.items.empty() ? "" : list.items.back().element_id;
    return call.PageReply(std::move(items), first, last, list.more_after, false);
  });
}

// The Query service: queries kept in a project, and running a query (kept or
// given in the body) on a commit's elements.
void RegisterQueries(ApiServer& api) {
  Repository& repo = api.repo();
  const std::string project = P("/projects/") + ApiServer::kPathParam;
  const std::string queries = project + "/queries";
  const std::string query = queries + "/" + ApiServer::kPathParam;
  auto record = [](const StoredQuery& q) {
    auto json = QueryJson(q);
    // A stored query that no longer parses is listed by id and name only.
    return json.ok() ? *json : Json{{"@id", q.id}, {"@type", "Query"}, {"name", q.name}};
  };
  auto run = [&repo](Call& call, const std::string& id,
                     const ParsedQuery& parsed) -> Result<Reply> {
    ASSIGN_OR_RETURN(auto commit, call.QueryId("commitId"));
    ASSIGN_OR_RETURN(PageRequest page, call.Page());
    ElementQuery query = parsed.query;
    query.texts_when_indexed = true;  // whole elements the index selects go out as stored
    ASSIGN_OR_RETURN(QueryPage list, repo.QueryElements(id, commit, query, page));
    std::vector<std::string> ids = list.text_ids;
    if (list.texts.empty()) {
      for (const auto& e : list.items) ids.push_back(e.value("@id", ""));
    }
    std::string first = ids.empty() ? "" : ids.front();
    std::string last = ids.empty() ? "" : ids.back();
    if (list.stopped_at) {
      // A short page that read all it may: the link in the direction read
      // resumes after the last element read, which need not be a result.
      bool backward = page.before.has_value();
      if (ids.empty() || backward) first = *list.stopped_at;
      if (ids.empty() || !backward) last = *list.stopped_at;
    }
    Reply reply =
        call.PageReply(Json(std::move(list.items)), first, last, list.more_after, list.more_before);
    if (!list.texts.empty()) {
      std::string body = "[";
      for (size_t i = 0; i < list.texts.size(); ++i) body += (i ? "," : "") + list.texts[i];
      reply.text = body + "]";
    }
    return reply;
  };
  api.Add(Method::kGet, queries, Role::kReader, [&repo, record](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
    ASSIGN_OR_RETURN(PageRequest page, call.Page());
    ASSIGN_OR_RETURN(auto list, repo.ListQueries(id, page));
    return ListReply(call, list, record);
  });
  api.Add(Method::kPost, queries, Role::kWriter, [&repo](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
    ASSIGN_OR_RETURN(Json body, call.Body());
    ASSIGN_OR_RETURN(ParsedQuery parsed, ParseQueryRequest(body, std::nullopt, id));
    if (!parsed.name) return Status::InvalidArgument("query: 'name' is required to keep a query");
    ASSIGN_OR_RETURN(StoredQuery q, repo.CreateQuery(id, *parsed.name, StoredQueryBody(parsed)));
    ASSIGN_OR_RETURN(Json json, QueryJson(q));
    return JsonReply(call.options().post_status, std::move(json));
  });
  api.Add(Method::kGet, query, Role::kReader, [&repo](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
    ASSIGN_OR_RETURN(std::string qid, call.IdParam(2, "queryId"));
    ASSIGN_OR_RETURN(StoredQuery q, repo.GetQuery(id, qid));
    ASSIGN_OR_RETURN(Json json, QueryJson(q));
    return JsonReply(200, std::move(json));
  });
  api.Add(Method::kPut, query, Role::kWriter, [&repo](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
    ASSIGN_OR_RETURN(std::string qid, call.IdParam(2, "queryId"));
    ASSIGN_OR_RETURN(Json body, call.Body());
    ASSIGN_OR_RETURN(ParsedQuery parsed, ParseQueryRequest(body, qid, id));
    if (!parsed.name) return Status::InvalidArgument("query: 'name' is required to keep a query");
    ASSIGN_OR_RETURN(StoredQuery q,
                     repo.UpdateQuery(id, qid, *parsed.name, StoredQueryBody(parsed)));
    ASSIGN_OR_RETURN(Json json, QueryJson(q));
    return JsonReply(200, std::move(json));
  });
  api.Add(Method::kDelete, query, Role::kWriter, [&repo, record](Call& call) -> Result<Reply> {
    ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
    ASSIGN_OR_RETURN(std::string qid, call.IdParam(2, "queryId"));
    ASSIGN_OR_RETURN(StoredQuery q, repo.GetQuery(id, qid));
    RETURN_IF_ERROR(repo.DeleteQuery(id, qid));
    return JsonReply(200, record(q));
  });
  api.Add(Method::kGet, query + "/results", Role::kReader,
          [&repo, run](Call& call) -> Result<Reply> {
            ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
            ASSIGN_OR_RETURN(std::string qid, call.IdParam(2, "queryId"));
            ASSIGN_OR_RETURN(StoredQuery q, repo.GetQuery(id, qid));
            ASSIGN_OR_RETURN(ParsedQuery parsed, ParseStoredQuery(q));
            return run(call, id, parsed);
          });
  // GET with a body as the specification has it, and POST for clients that
  // cannot send one with GET.
  for (Method m : {Method::kGet, Method::kPost}) {
    api.Add(m, project + "/query-results", Role::kReader, [run](Call& call) -> Result<Reply> {
      ASSIGN_OR_RETURN(std::string id, call.IdParam(1, "projectId"));
      if (call.RawBody().empty()) {
        return Status::InvalidArgument("query-results needs a Query in the request body");
      }
      ASSIGN_OR_RETURN(Json body, call.Body());
      ASSIGN_OR_RETURN(ParsedQuery parsed, ParseQueryRequest(body, std::nullopt, id));
      return run(call, id, parsed);
    });
  }
}

void RegisterMeta(ApiServer& api) {
  api.Add(Method::kGet, P("/meta/datatypes"), Role::kReader,
          [](Call&) -> Result<Reply> { return JsonReply(200, DatatypesJson()); });
  // A datatype's id is a URI ("https://www.omg.org/spec/SysML/20230201/PartUsage",
  // its slashes percent-encoded or not); its bare name is accepted too.
  api.Add(Method::kGet, P("/meta/datatypes/") + "(.+)", Role::kReader,
          [](Call& call) -> Result<Reply> {
            const std::string id = call.Param(1);
            auto schema = DatatypeJson(id);
            if (!schema) {
              return Status::NotFound("no datatype '" + id.substr(0, 200) +
                                      "'; GET /sysml/v2/meta/datatypes lists them");
            }
            return JsonReply(200, std::move(*schema));
          });
}

}  // namespace

void RegisterSysmlRoutes(ApiServer& api) {
  RegisterProjects(api);
  RegisterBranchesAndTags(api);
  RegisterCommits(api);
  RegisterElements(api);
  RegisterQueries(api);
  RegisterMeta(api);
}

}  // namespace tandem
