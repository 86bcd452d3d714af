#include "sync/sysml_import.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <set>
#include <thread>
#include <unordered_map>

#include "common/cancellation.h"
#include "common/hash.h"
#include "common/ids.h"
#include "common/log_safe.h"
#include "net/http_client.h"

namespace tandem {

namespace {

constexpr size_t kJsonDepth =
    64;  // the source's records; elements are checked again by the repository

// A commit as the source lists it: what Repository::ForeignCommit needs but
// its changes and author, which the run fills in.
using SourceCommit = Repository::ForeignCommit;

// The source's message from a well-formed Error body, cut short and made
// fit for one line; never raw bytes of a foreign answer.
std::string SourceDetail(const std::string& body) {
  Json j = ParseJsonOrDiscarded(body, 8);
  if (!j.is_object() || !j.contains("description") || !j["description"].is_string()) return "";
  return ": " + LogSafe(j["description"].get<std::string>(), 300);
}

Status Refused(int status, const std::string& what, const std::string& body) {
  std::string detail = SourceDetail(body);
  std::string answered = " (HTTP " + std::to_string(status) + ")" + detail;
  if (status == 401) {
    return Status::Unauthenticated("the import source refused the account for " + what + answered +
                                   "; check --user and TANDEM_IMPORT_PASSWORD");
  }
  if (status == 403) {
    return Status::PermissionDenied("the import source's account may not read " + what + answered);
  }
  if (status == 404) return Status::NotFound("the import source has no " + what + answered);
  return Status::Unavailable("the import source answered " + what + answered);
}

// {"@id": UUID} -> the id, lowercase; `what` names the field in messages.
Result<std::string> RefId(const Json& ref, const std::string& what) {
  if (!ref.is_object() || !ref.contains("@id") || !ref["@id"].is_string() ||
      !IsUuid(ref["@id"].get<std::string>())) {
    return Status::InvalidArgument(what + " is not a reference {\"@id\": UUID}");
  }
  return NormalizeUuid(ref["@id"].get<std::string>());
}

Result<std::string> RecordId(const Json& record, const std::string& what) {
  if (!record.is_object()) return Status::InvalidArgument(what + " is not a JSON object");
  return RefId(record, what);
}

Result<std::optional<std::string>> OptionalText(const Json& record, const char* key,
                                                const std::string& what) {
  if (!record.contains(key) || record[key].is_null()) return std::optional<std::string>();
  if (!record[key].is_string())
    return Status::InvalidArgument(what + ": '" + key + "' is not a string");
  return std::optional<std::string>(record[key].get<std::string>());
}

// The commit a branch or tag names: the first of `keys` that is set.
Result<std::optional<std::string>> RefTarget(const Json& record,
                                             std::initializer_list<const char*> keys,
                                             const std::string& what) {
  for (const char* key : keys) {
    if (!record.contains(key) || record[key].is_null()) continue;
    ASSIGN_OR_RETURN(std::string id, RefId(record[key], what + " '" + key + "'"));
    return std::optional<std::string>(id);
  }
  return std::optional<std::string>();
}

Result<SourceCommit> ParseCommit(const Json& record) {
  ASSIGN_OR_RETURN(std::string id, RecordId(record, "a commit of the source"));
  const std::string what = "commit " + id + " of the source";
  SourceCommit c;
  c.id = id;
  if (record.contains("@type") && record["@type"] != "Commit") {
    return Status::InvalidArgument(what + " has @type " + LogSafe(record["@type"].dump(), 60) +
                                   ", not Commit");
  }
  // previousCommit: a list (API 1.0), one reference (earlier drafts) or null.
  if (record.contains("previousCommit") && !record["previousCommit"].is_null()) {
    const Json& prev = record["previousCommit"];
    std::vector<Json> refs =
        prev.is_array() ? prev.get<std::vector<Json>>() : std::vector<Json>{prev};
    if (refs.size() > 16)
      return Status::InvalidArgument(what + " names more than 16 previous commits");
    for (const auto& ref : refs) {
      ASSIGN_OR_RETURN(std::string p, RefId(ref, what + ": previousCommit"));
      if (p == id || std::find(c.parents.begin(), c.parents.end(), p) != c.parents.end()) {
        return Status::InvalidArgument(what + " names previous commit " + p + " twice or itself");
      }
      c.parents.push_back(p);
    }
  }
  ASSIGN_OR_RETURN(auto created, OptionalText(record, "created", what));
  if (created) {
    auto micros = ParseTimestamp(*created);
    if (!micros) return Status::InvalidArgument(what + ": 'created' is not an RFC 3339 time");
    c.created = *micros;
  }
  ASSIGN_OR_RETURN(c.name, OptionalText(record, "name", what));
  ASSIGN_OR_RETURN(c.description, OptionalText(record, "description", what));
  return c;
}

// Parents first; among commits ready at once, the source's listing order.
Result<std::vector<SourceCommit>> ParentsFirst(std::vector<SourceCommit> commits) {
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < commits.size(); ++i) {
    if (!index.emplace(commits[i].id, i).second) {
      return Status::InvalidArgument("the source lists commit " + commits[i].id + " twice");
    }
  }
  std::vector<size_t> waiting(commits.size(), 0);
  std::vector<std::vector<size_t>> children(commits.size());
  for (size_t i = 0; i < commits.size(); ++i) {
    for (const auto& p : commits[i].parents) {
      auto it = index.find(p);
      if (it == index.end()) {
        return Status::InvalidArgument("commit " + commits[i].id + " names previous commit " + p +
                                       ", which the source does not list");
      }
      children[it->second].push_back(i);
      ++waiting[i];
    }
  }
  std::deque<size_t> ready;
  for (size_t i = 0; i < commits.size(); ++i) {
    if (waiting[i] == 0) ready.push_back(i);
  }
  std::vector<SourceCommit> out;
  out.reserve(commits.size());
  while (!ready.empty()) {
    size_t i = ready.front();
    ready.pop_front();
    for (size_t child : children[i]) {
      if (--waiting[child] == 0) ready.push_back(child);
    }
    out.push_back(std::move(commits[i]));
  }
  if (out.size() != commits.size()) {
    return Status::InvalidArgument(
        "the source's commits name each other as previous commits in a cycle");
  }
  return out;
}

// GETs on the source's SysML v2 API, through one HttpClient.
class SourceApi {
 public:
  SourceApi(const ImportService::ApiBase& base, const ImportSource& source,
            const ImportServiceOptions& o, const Cancellation& cancel)
      : base_(base),
        cancel_(cancel),
        client_(base.origin, ClientOptions(o.client)),
        page_size_(o.page_size) {
    if (!source.username.empty()) client_.SetBasicAuth(source.username, source.password);
  }

  // GET `path` (under the API base) -> its JSON.
  Result<Json> Get(const std::string& path, const std::string& what) {
    ASSIGN_OR_RETURN(ClientResponse r, Send(base_.path + path));
    if (r.status != 200) return Refused(r.status, what, r.body);
    return ParseJson(r.body, "the import source's answer for " + what, kJsonDepth);
  }

  // Every item of a listing, page by page along Link rel="next"; at most `max_items`.
  Status ForEach(const std::string& path, const std::string& what, size_t max_items,
                 const std::function<Status(const Json&)>& each) {
    std::string target = base_.path + path + (path.find('?') == std::string::npos ? "?" : "&") +
                         "page%5Bsize%5D=" + std::to_string(page_size_);
    std::set<std::string> seen;
    size_t items = 0;
    while (true) {
      if (!seen.insert(target).second) {
        return Status::InvalidArgument("the import source's pages of " + what +
                                       " lead back to a page already read");
      }
      ASSIGN_OR_RETURN(ClientResponse r, Send(target));
      if (r.status != 200) return Refused(r.status, what, r.body);
      ASSIGN_OR_RETURN(Json page,
                       ParseJson(r.body, "the import source's answer for " + what, kJsonDepth));
      if (!page.is_array())
        return Status::InvalidArgument("the import source's answer for " + what + " is not a list");
      for (const auto& item : page) {
        if (++items > max_items) {
          return Status::InvalidArgument("the import source lists more than " +
                                         std::to_string(max_items) + " " + what +
                                         ", more than this server imports");
        }
        RETURN_IF_ERROR(each(item));
      }
      ASSIGN_OR_RETURN(std::optional<std::string> next, NextPage(r, what));
      if (!next || page.empty()) return Status::Ok();
      target = *next;
    }
  }

 private:
  static HttpClientOptions ClientOptions(const SyncClientOptions& o) {
    HttpClientOptions h = SourceHttpOptions(o, "the import source");
    h.deadline = o.request_timeout;
    return h;
  }

  Result<ClientResponse> Send(const std::string& target) {
    if (cancel_.cancelled()) return Status::Unavailable("the import was cancelled");
    ClientRequest req;
    req.method = "GET";
    req.target = target;
    req.headers.push_back({"Accept", "application/json"});
    return client_.Send(req, cancel_);
  }

  // The rel="next" target of a Link header: an absolute path, or a URL of the
  // source's own origin; either must stay under the API base.
  Result<std::optional<std::string>> NextPage(const ClientResponse& r, const std::string& what) {
    auto link = r.Header("Link");
    if (!link) return std::optional<std::string>();
    std::string_view rest = *link;
    while (true) {
      size_t open = rest.find('<');
      if (open == std::string_view::npos) return std::optional<std::string>();
      size_t close = rest.find('>', open);
      if (close == std::string_view::npos) return std::optional<std::string>();
      std::string url(rest.substr(open + 1, close - open - 1));
      size_t end = rest.find('<', close);
      std::string_view params =
          rest.substr(close + 1, end == std::string_view::npos ? rest.size() : end - close - 1);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
      if (params.find("rel=\"next\"") == std::string_view::npos &&
          params.find("rel=next") == std::string_view::npos) {
        continue;
      }
      std::string target = url;
      if (!url.starts_with("/")) {
        auto parsed = ImportService::ParseApiBase(url);
        if (!parsed.ok() || parsed->origin.scheme != base_.origin.scheme ||
            parsed->origin.host != base_.origin.host || parsed->origin.port != base_.origin.port) {
          return Status::InvalidArgument("the import source's next page of " + what +
                                         " is on another server; it is not followed");
        }
        size_t path_at = url.find('/', url.find("://") + 3);
        target = path_at == std::string::npos ? "/" : url.substr(path_at);
      }
      if (!target.starts_with(base_.path + "/projects/") ||
          target.find_first_of(" \t\r\n#") != std::string::npos ||
          target.find("..") != std::string::npos) {
        return Status::InvalidArgument("the import source's next page of " + what + " (" +
                                       LogSafe(target, 120) +
                                       ") is outside its SysML v2 API; it is not followed");
      }
      return std::optional<std::string>(target);
    }
  }

  const ImportService::ApiBase& base_;
  const Cancellation& cancel_;
  HttpClient client_;
  size_t page_size_;
};

}  // namespace

struct ImportService::Job {
  std::string id;
  ImportSource source;  // the password is cleared when the run ends
  ApiBase base;
  std::string target_category_id;
  std::string started_by;
  int64_t started = 0;
  Cancellation cancel;
  std::thread thread;
  // Status, under mu_.
  std::string state = "running";  // running, succeeded, failed, cancelled
  std::string phase = "listing";  // listing, commits, verifying, refs, done
  std::optional<int64_t> finished;
  size_t commits_total = 0, commits_present = 0, commits_imported = 0, changes = 0;
  size_t branches = 0, tags = 0, verified = 0;
  std::string error;
};

ImportService::ImportService(Repository& repo, Clock& clock, ImportServiceOptions options)
    : repo_(repo), clock_(clock), options_(std::move(options)) {
  spdlog::default_logger_raw();  // made before any run's thread logs (see SyncEngine's constructor)
}

ImportService::~ImportService() { Stop(); }

Result<ImportService::ApiBase> ImportService::ParseApiBase(const std::string& url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return Status::InvalidArgument("import URL '" + LogSafe(url, 120) +
                                   "' is not http[s]://host[:port][/path of the SysML v2 API]");
  }
  size_t path_at = url.find('/', scheme_end + 3);
  ApiBase base;
  ASSIGN_OR_RETURN(base.origin, ParseServerUrl(url.substr(0, path_at), "import URL"));
  if (path_at != std::string::npos) base.path = url.substr(path_at);
  while (base.path.ends_with("/")) base.path.pop_back();
  for (char ch : base.path) {
    bool ok = std::isalnum(static_cast<unsigned char>(ch)) ||
              std::string_view("/-._~").find(ch) != std::string_view::npos;
    if (!ok) {
      return Status::InvalidArgument("import URL '" + LogSafe(url, 120) +
                                     "': its path may hold only letters, digits and / - . _ ~");
    }
  }
  if (base.path.find("..") != std::string::npos) {
    return Status::InvalidArgument("import URL '" + LogSafe(url, 120) +
                                   "': its path may not contain '..'");
  }
  return base;
}

Result<Json> ImportService::Start(const ImportSource& source, const std::string& target_category_id,
                                  const std::string& started_by) {
  ASSIGN_OR_RETURN(ApiBase base, ParseApiBase(source.url));
  if (options_.client.tls.require_tls && base.origin.scheme != "https") {
    return Status::InvalidArgument("import URL " + LogSafe(source.url, 120) +
                                   " is http://; this server only connects to https:// sources "
                                   "(server.tls settings)");
  }
  if (!IsUuid(source.project_id)) {
    return Status::InvalidArgument("project '" + LogSafe(source.project_id, 60) +
                                   "' is not a UUID");
  }
  if (!IsUuid(target_category_id)) {
    return Status::InvalidArgument("targetCategoryId '" + LogSafe(target_category_id, 60) +
                                   "' is not a UUID");
  }
  ASSIGN_OR_RETURN(auto category, repo_.GetCategory(NormalizeUuid(target_category_id)));
  auto job = std::make_unique<Job>();
  job->id = NewUuid();
  job->source = source;
  job->source.project_id = NormalizeUuid(source.project_id);
  job->base = base;
  job->target_category_id = category.id;
  job->started_by = started_by;
  job->started = clock_.NowMicros();
  MutexLock lock(mu_);
  if (stopped_)
    return Status::Unavailable("the server is stopping; start the import again after it restarts");
  size_t running = 0;
  for (const auto& j : jobs_) {
    if (j->state != "running") continue;
    ++running;
    if (j->source.project_id == job->source.project_id) {
      return Status::Conflict("project " + j->source.project_id +
                              " is being imported now (import " + j->id +
                              "); wait for it or cancel it");
    }
  }
  if (running >= options_.max_running) {
    return Status::Unavailable(std::to_string(running) +
                               " imports are running, as many as this server runs at once; "
                               "start this one when one has ended");
  }
  Job& j = *job;
  jobs_.push_back(std::move(job));
  // Keep the newest finished ones.
  while (jobs_.size() > options_.kept_jobs) {
    auto oldest = std::find_if(jobs_.begin(), jobs_.end(),
                               [](const auto& x) { return x->state != "running"; });
    if (oldest == jobs_.end()) break;
    if ((*oldest)->thread.joinable()) (*oldest)->thread.join();  // it has ended: its state is final
    jobs_.erase(oldest);
  }
  j.thread = std::thread([this, &j] { Run(j); });
  return StatusOf(j);
}

Json ImportService::StatusOf(const Job& j) const {
  Json s = {{"id", j.id},
            {"state", j.state},
            {"phase", j.phase},
            {"from", j.source.url},
            {"projectId", j.source.project_id},
            {"username", j.source.username.empty() ? Json(nullptr) : Json(j.source.username)},
            {"targetCategoryId", j.target_category_id},
            {"startedBy", j.started_by},
            {"started", FormatTimestamp(j.started)},
            {"finished", j.finished ? Json(FormatTimestamp(*j.finished)) : Json(nullptr)},
            {"commits",
             {{"total", j.commits_total},
              {"present", j.commits_present},
              {"imported", j.commits_imported}}},
            {"changes", j.changes},
            {"branches", j.branches},
            {"tags", j.tags},
            {"verifiedCommits", j.verified},
            {"error", j.error.empty() ? Json(nullptr) : Json(j.error)}};
  return s;
}

Result<Json> ImportService::Get(const std::string& id) const {
  MutexLock lock(mu_);
  for (const auto& j : jobs_) {
    if (j->id == id) return StatusOf(*j);
  }
  return Status::NotFound("import " + LogSafe(id, 60) + " is not known here (the newest " +
                          std::to_string(options_.kept_jobs) + " since the server started are)");
}

std::vector<Json> ImportService::List() const {
  MutexLock lock(mu_);
  std::vector<Json> out;
  for (auto it = jobs_.rbegin(); it != jobs_.rend(); ++it) out.push_back(StatusOf(**it));
  return out;
}

Result<Json> ImportService::Cancel(const std::string& id) {
  {
    // Under mu_: Start erases ended jobs, so one found here must not be let go
    // of before it is cancelled. Cancelling only shuts the run's socket down.
    MutexLock lock(mu_);
    auto it = std::find_if(jobs_.begin(), jobs_.end(), [&](const auto& j) { return j->id == id; });
    if (it == jobs_.end())
      return Status::NotFound("import " + LogSafe(id, 60) + " is not known here");
    (*it)->cancel.Cancel();
  }
  return Wait(id, std::chrono::seconds(10));
}

Result<Json> ImportService::Wait(const std::string& id, std::chrono::milliseconds timeout) {
  MutexLock lock(mu_);
  const Job* job = nullptr;
  for (const auto& j : jobs_) {
    if (j->id == id) job = j.get();
  }
  if (!job) return Status::NotFound("import " + LogSafe(id, 60) + " is not known here");
  clock_.WaitFor(lock.native(), ended_, timeout,
                 [&]() NO_THREAD_SAFETY_ANALYSIS { return job->state != "running"; });
  return StatusOf(*job);
}

void ImportService::Stop() {
  std::vector<Job*> running;
  {
    MutexLock lock(mu_);
    stopped_ = true;
    for (const auto& j : jobs_) running.push_back(j.get());
  }
  for (Job* j : running) j->cancel.Cancel();
  for (Job* j : running) {
    if (j->thread.joinable()) j->thread.join();
  }
}

void ImportService::Run(Job& job) {
  // What the run learns, reported under mu_ as it goes.
  auto report = [&](const std::function<void(Job&)>& update) {
    MutexLock lock(mu_);
    update(job);
  };
  auto run = [&]() -> Status {
    SourceApi api(job.base, job.source, options_, job.cancel);
    const std::string& pid = job.source.project_id;
    const std::string project_path = "/projects/" + pid;
    ASSIGN_OR_RETURN(Json project, api.Get(project_path, "project " + pid));
    ASSIGN_OR_RETURN(std::string listed_id, RecordId(project, "the source's project"));
    if (listed_id != pid)
      return Status::InvalidArgument("the source answered project " + listed_id + " for " + pid);
    if (!project.contains("name") || !project["name"].is_string()) {
      return Status::InvalidArgument("the source's project " + pid + " has no name");
    }
    ASSIGN_OR_RETURN(auto description,
                     OptionalText(project, "description", "the source's project"));
    ASSIGN_OR_RETURN(auto default_branch,
                     RefTarget(project, {"defaultBranch"}, "the source's project"));
    if (!default_branch)
      return Status::InvalidArgument("the source's project " + pid + " has no defaultBranch");

    std::vector<Branch> branches;
    RETURN_IF_ERROR(api.ForEach(
        project_path + "/branches", "branches", options_.max_refs, [&](const Json& b) -> Status {
          ASSIGN_OR_RETURN(std::string id, RecordId(b, "a branch of the source"));
          ASSIGN_OR_RETURN(auto name, OptionalText(b, "name", "branch " + id));
          ASSIGN_OR_RETURN(auto head, RefTarget(b, {"head", "referencedCommit"}, "branch " + id));
          ASSIGN_OR_RETURN(auto bdesc, OptionalText(b, "description", "branch " + id));
          branches.push_back(Branch{id, pid, name.value_or(""), head, bdesc, job.started});
          return Status::Ok();
        }));
    std::vector<Tag> tags;
    RETURN_IF_ERROR(api.ForEach(
        project_path + "/tags", "tags", options_.max_refs, [&](const Json& t) -> Status {
          ASSIGN_OR_RETURN(std::string id, RecordId(t, "a tag of the source"));
          ASSIGN_OR_RETURN(auto name, OptionalText(t, "name", "tag " + id));
          ASSIGN_OR_RETURN(auto tagged,
                           RefTarget(t, {"taggedCommit", "referencedCommit"}, "tag " + id));
          if (!tagged)
            return Status::InvalidArgument("tag " + id + " of the source names no commit");
          ASSIGN_OR_RETURN(auto tdesc, OptionalText(t, "description", "tag " + id));
          Tag tag;
          tag.id = id;
          tag.resource_id = pid;
          tag.name = name.value_or("");
          tag.commit_id = *tagged;
          tag.description = tdesc;
          tag.created = job.started;
          tags.push_back(std::move(tag));
          return Status::Ok();
        }));
    std::vector<SourceCommit> listed;
    RETURN_IF_ERROR(api.ForEach(project_path + "/commits", "commits", options_.max_commits,
                                [&](const Json& c) -> Status {
                                  ASSIGN_OR_RETURN(SourceCommit commit, ParseCommit(c));
                                  if (commit.created == 0) commit.created = job.started;
                                  listed.push_back(std::move(commit));
                                  return Status::Ok();
                                }));
    ASSIGN_OR_RETURN(std::vector<SourceCommit> commits, ParentsFirst(std::move(listed)));
    std::set<std::string> commit_ids;
    for (const auto& c : commits) commit_ids.insert(c.id);
    for (const auto& b : branches) {
      if (b.head && !commit_ids.count(*b.head)) {
        return Status::InvalidArgument("branch " + b.id + " of the source points at commit " +
                                       *b.head + ", which the source does not list");
      }
    }
    for (const auto& t : tags) {
      if (!commit_ids.count(t.commit_id)) {
        return Status::InvalidArgument("tag " + t.id + " of the source names commit " +
                                       t.commit_id + ", which the source does not list");
      }
    }
    const auto default_it = std::find_if(branches.begin(), branches.end(),
                                         [&](const Branch& b) { return b.id == *default_branch; });
    if (default_it == branches.end()) {
      return Status::InvalidArgument("the source's project names default branch " +
                                     *default_branch + ", which it does not list");
    }

    // The copy: made on the first import, updated on the next ones.
    Json origin = {{"import", {{"from", job.source.url}, {"projectId", pid}}}};
    auto local = repo_.GetResource(pid);
    if (local.ok()) {
      auto known = ParseJsonOrDiscarded(local->origin);
      if (!local->read_only || !IsImportedCopy(*local) ||
          JsonString(known["import"], "from") != job.source.url) {
        return Status::Conflict(
            "project " + pid + " exists here and is not a read-only import from " + job.source.url +
            "; it is not changed (delete it, or import into another server)");
      }
      RETURN_IF_ERROR(repo_
                          .UpdateMirrorMetadata(pid, project["name"].get<std::string>(),
                                                description, job.target_category_id, origin.dump())
                          .status());
    } else if (local.status().code() == StatusCode::kNotFound) {
      Resource r;
      r.id = pid;
      r.project_id = pid;
      r.name = project["name"].get<std::string>();
      r.description = description;
      r.default_branch_id = *default_branch;
      r.created = job.started;
      RETURN_IF_ERROR(
          repo_.CreateMirror(r, job.target_category_id, origin.dump(), default_it->name).status());
    } else {
      return local.status();
    }

    report([&](Job& j) {
      j.phase = "commits";
      j.commits_total = commits.size();
      j.branches = branches.size();
      j.tags = tags.size();
    });
    for (const auto& c : commits) {
      if (job.cancel.cancelled()) return Status::Unavailable("the import was cancelled");
      auto present = repo_.GetCommit(pid, c.id);
      if (present.ok()) {
        report([](Job& j) { ++j.commits_present; });
        continue;
      }
      Repository::ForeignCommit fc = c;
      fc.author = job.started_by;
      const std::string what = "the changes of commit " + c.id;
      RETURN_IF_ERROR(api.ForEach(
          project_path + "/commits/" + c.id + "/changes", what,
          repo_.options().max_changes_per_commit, [&](const Json& change) -> Status {
            if (!change.is_object() || !change.contains("identity")) {
              return Status::InvalidArgument(what + ": a change has no identity");
            }
            ASSIGN_OR_RETURN(std::string eid, RefId(change["identity"], what + ": identity"));
            Json payload = change.value("payload", Json(nullptr));
            if (!payload.is_null() && !payload.is_object()) {
              return Status::InvalidArgument(what + ": the payload of " + eid +
                                             " is not an object or null");
            }
            if (payload.is_object()) payload["@id"] = eid;
            fc.changes.push_back(ElementChange{eid, std::move(payload)});
            return Status::Ok();
          }));
      ASSIGN_OR_RETURN(bool stored, repo_.ImportForeignCommit(pid, fc));
      report([&](Job& j) {
        stored ? ++j.commits_imported : ++j.commits_present;
        j.changes += fc.changes.size();
      });
    }

    // Each commit a ref will name holds what the source has there.
    report([](Job& j) { j.phase = "verifying"; });
    std::set<std::string> to_verify;
    for (const auto& b : branches) {
      if (b.head) to_verify.insert(*b.head);
    }
    for (const auto& t : tags) to_verify.insert(t.commit_id);
    if (!job.source.verify) to_verify.clear();
    for (const auto& cid : to_verify) {
      std::unordered_map<std::string, Hash> theirs;
      const std::string what = "the elements of commit " + cid;
      RETURN_IF_ERROR(api.ForEach(project_path + "/commits/" + cid + "/elements", what,
                                  options_.max_verify_elements, [&](const Json& e) -> Status {
                                    ASSIGN_OR_RETURN(std::string eid,
                                                     RecordId(e, what + ": an element"));
                                    ASSIGN_OR_RETURN(std::string text, CanonicalJson(e));
                                    theirs[eid] = Sha256(text);
                                    return Status::Ok();
                                  }));
      size_t ours = 0;
      PageRequest page{std::nullopt, std::nullopt, 1000};
      while (true) {
        ASSIGN_OR_RETURN(auto list, repo_.ListElements(pid, cid, page));
        for (const auto& e : list.items) {
          ++ours;
          std::string eid = e.value("@id", "");
          ASSIGN_OR_RETURN(std::string text, CanonicalJson(e));
          auto it = theirs.find(eid);
          if (it == theirs.end() || it->second != Sha256(text)) {
            return Status::InvalidArgument(
                "commit " + cid +
                " imported from its change sets differs from the source's "
                "state there at element " +
                eid +
                "; the source's changes do not add up to its elements. No branch or tag was "
                "pointed at it; delete the copy here before importing again (--no-verify, "
                "\"verify\": false, takes the change sets as they are)");
          }
        }
        if (!list.more_after || list.items.empty()) break;
        page.after = list.items.back().value("@id", "");
      }
      if (ours != theirs.size()) {
        return Status::InvalidArgument("commit " + cid + " imported from its change sets holds " +
                                       std::to_string(ours) + " elements, the source's " +
                                       std::to_string(theirs.size()));
      }
      report([](Job& j) { ++j.verified; });
    }

    report([](Job& j) { j.phase = "refs"; });
    RETURN_IF_ERROR(repo_.MirrorRefs(pid, branches, tags));
    return Status::Ok();
  };
  Status status = run();
  if (!status.ok()) {
    spdlog::warn("import {} of project {} from {} ended: {}", job.id, job.source.project_id,
                 LogSafe(job.source.url), status.ToString());
  } else {
    spdlog::info("import {} of project {} from {} succeeded", job.id, job.source.project_id,
                 LogSafe(job.source.url));
  }
  MutexLock lock(mu_);
  job.state = status.ok() ? "succeeded" : job.cancel.cancelled() ? "cancelled" : "failed";
  job.phase = status.ok() ? "done" : job.phase;
  job.error = status.ok() ? "" : status.message();
  job.finished = clock_.NowMicros();
  job.source.password.clear();
  ended_.notify_all();
}

}  // namespace tandem
