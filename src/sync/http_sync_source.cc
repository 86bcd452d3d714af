#include "sync/http_sync_source.h"

#include "common/log_safe.h"
#include "sync/sync_codec.h"

namespace tandem {
namespace {

// What a message may quote of a source's error answer: the description of a
// Tandem Error body (SysML v2 Error record), cut short and without control
// characters. Anything else is not echoed: a configuration may point at any
// host:port, and its answer must not come back to whoever configured it.
std::string QuotedDescription(const std::string& body) {
  auto j = ParseJsonOrDiscarded(body, kMaxAnswerDepth);
  if (j.is_object() && JsonString(j, "@type") == "Error" && j.contains("description") &&
      j["description"].is_string()) {
    return LogSafe(j["description"].get<std::string>().substr(0, 200));
  }
  return "not a Tandem error answer; its content is not shown";
}

class HttpSyncSource final : public SyncSource {
 public:
  HttpSyncSource(const SourceEndpoint& endpoint, const SyncClientOptions& options)
      : url_(endpoint.url) {
    refused_ = ValidateSourceUrl(endpoint.url);
    if (!refused_.ok()) return;
    ServerUrl url = ParseServerUrl(endpoint.url, "source url").value();
    if (!url.is_https() && options.tls.require_tls) {
      refused_ = Status::InvalidArgument(
          "this server synchronizes only over TLS (esi.server.sync.tls-enabled or twc.client.tls "
          "= true), so the source url must be https://HOST:PORT with the source's HTTPS port, "
          "not " + endpoint.url);
      return;
    }
    HttpClientOptions base = SourceHttpOptions(options, "the source");
    // Packs are long transfers: bounded by the idle time-out and the
    // cancellation, not by an overall deadline.
    packs_ = std::make_unique<HttpClient>(url, base);
    base.deadline = options.request_timeout;
    calls_ = std::make_unique<HttpClient>(url, base);
    calls_->SetBasicAuth(endpoint.username, endpoint.password);
    packs_->SetBasicAuth(endpoint.username, endpoint.password);
  }

  Result<SourceInfo> Info(const Cancellation& cancel) override {
    ASSIGN_OR_RETURN(ClientResponse reply, Call({"GET", kInfoPath, "", "", {}, nullptr}, cancel));
    if (reply.status == 404) {
      return Status::InvalidArgument("the server at " + url_ + " does not speak tandem-sync (no /sync/v1)");
    }
    if (reply.status != 200) return ErrorFor(reply, "connecting");
    auto info = InfoFromAnswer(reply.body);
    if (!info.ok()) return Status::InvalidArgument("the server at " + url_ + ": " + info.status().message());
    RETURN_IF_ERROR(CheckSourceInfo(*info));
    return info;
  }

  Result<Catalogue> FetchCatalogue(const CatalogueRequest& request, const Cancellation& cancel) override {
    ClientRequest req{"POST", kCataloguePath, CatalogueRequestToJson(request).dump(), "application/json", {}, nullptr};
    ASSIGN_OR_RETURN(ClientResponse reply, Call(req, cancel));
    if (reply.status != 200) return ErrorFor(reply, "reading the catalogue");
    auto catalogue = CatalogueFromAnswer(reply.body);
    if (!catalogue.ok()) return Status::Corruption("the source at " + url_ + ": " + catalogue.status().message());
    return catalogue;
  }

  Status FetchPack(const PackRequest& request, const ByteSink& sink, const Cancellation& cancel) override {
    RETURN_IF_ERROR(refused_);
    ClientRequest req{"GET", PackTarget(request), "", "", {}, sink};
    ASSIGN_OR_RETURN(ClientResponse reply, packs_->Send(req, cancel));
    if (reply.status != 200) return ErrorFor(reply, "fetching history of project " + request.resource_id);
    return Status::Ok();
  }

  Result<ChangePage> Changes(int64_t since, std::chrono::seconds wait, const Cancellation& cancel) override {
    ASSIGN_OR_RETURN(ClientResponse reply, Call({"GET", ChangesTarget(since, wait), "", "", {}, nullptr}, cancel));
    if (reply.status != 200) return ErrorFor(reply, "following the change feed");
    auto page = ChangePageFromAnswer(reply.body);
    if (!page.ok()) return Status::Corruption("the source at " + url_ + ": " + page.status().message());
    return page;
  }

  // The administration API's lists, which any account of the source may
  // read. Resources come page by page behind our own cursor (the last id
  // read), so a source cannot make the loop revisit a page or run unbounded.
  Result<SourceTree> Browse(const Cancellation& cancel) override {
    SourceTree tree;
    ASSIGN_OR_RETURN(tree.info, Info(cancel));
    ASSIGN_OR_RETURN(ClientResponse cats,
                     Call({"GET", "/api/v1/categories", "", "", {}, nullptr}, cancel));
    if (cats.status != 200) return ErrorFor(cats, "listing the categories");
    auto categories = CategoriesFromAnswer(cats.body);
    if (!categories.ok()) return Malformed("categories", categories.status());
    tree.categories = std::move(categories).value();
    std::string after;
    while (true) {
      ASSIGN_OR_RETURN(ClientResponse page,
                       Call({"GET", BrowseResourcesTarget(after), "", "", {}, nullptr}, cancel));
      if (page.status != 200) return ErrorFor(page, "listing the resources");
      auto resources = ResourcesFromAnswer(page.body);
      if (!resources.ok()) return Malformed("resources", resources.status());
      if (resources->size() > kBrowsePageSize) {
        return Malformed("resources", Status::Corruption("a page holds more than was asked for"));
      }
      if (tree.resources.size() + resources->size() > kMaxBrowsedItems) {
        return Malformed(
            "resources",
            Status::Corruption("more than " + std::to_string(kMaxBrowsedItems) + " resources"));
      }
      for (auto& r : *resources) tree.resources.push_back(std::move(r));
      auto link = page.Header("Link");
      bool more = link && link->find("rel=\"next\"") != std::string::npos;
      if (!more || resources->empty() || tree.resources.back().id == after) break;
      after = tree.resources.back().id;
    }
    if (Status st = CheckSourceTree(tree); !st.ok()) {
      return Malformed("categories and resources", st);
    }
    return tree;
  }

  std::string Name() const override { return url_; }

 private:
  Status Malformed(const std::string& what, const Status& st) {
    return Status::Corruption("the source at " + url_ + " sent a malformed list of " + what + ": " +
                              st.message());
  }

  Result<ClientResponse> Call(const ClientRequest& request, const Cancellation& cancel) {
    RETURN_IF_ERROR(refused_);
    return calls_->Send(request, cancel);
  }

  Status ErrorFor(const ClientResponse& reply, const std::string& what) {
    std::string detail = QuotedDescription(reply.body);
    std::string prefix = what + " at " + url_ + ": ";
    switch (reply.status) {
      case 401:
        return Status::Unauthenticated(prefix + "the source refused the credentials (" + detail +
                                       "); check the user name and password");
      case 403:
        return Status::PermissionDenied(prefix + "the source refused access (" + detail + ")");
      case 404:
        return Status::NotFound(prefix + detail);
      default:
        return Status::Unavailable(prefix + "HTTP " + std::to_string(reply.status) + ": " + detail);
    }
  }

  std::string url_;
  Status refused_;
  std::unique_ptr<HttpClient> calls_;  // info, catalogue, change feed: with a deadline
  std::unique_ptr<HttpClient> packs_;
};

}  // namespace

Status ValidateSourceUrl(const std::string& url) {
  // Checked first and never echoed: user:password@ would put a secret into
  // the message, and messages reach answers and logs.
  if (url.find('@') != std::string::npos) {
    return Status::InvalidArgument("source url must not contain a user name or password (user@host); "
                                   "credentials are given separately");
  }
  if (url.size() > 2048) return Status::InvalidArgument("source url is longer than 2048 characters");
  auto parsed = ParseServerUrl(url, "source url");
  if (!parsed.ok()) return parsed.status();
  if (!parsed->explicit_port) {
    return Status::InvalidArgument("source url must be https://HOST:PORT (or http://HOST:PORT) with "
                                   "the source's port, got '" + LogSafe(url) + "'");
  }
  return Status::Ok();
}

SourceFactory HttpSourceFactory(SyncClientOptions options) {
  return [options = std::move(options)](const SourceEndpoint& endpoint) -> std::unique_ptr<SyncSource> {
    return std::make_unique<HttpSyncSource>(endpoint, options);
  };
}

HttpClientOptions SourceHttpOptions(const SyncClientOptions& options, std::string peer) {
  HttpClientOptions h;
  h.connect_timeout = options.connect_timeout;
  h.idle_timeout = options.read_timeout;
  h.max_response_bytes = options.max_answer_bytes;
  h.tls = options.tls.material;
  h.peer = std::move(peer);
  h.idle_setting = "sync.read-timeout-seconds";
  return h;
}

}  // namespace tandem
