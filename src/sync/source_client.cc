#include "sync/source_client.h"

#include <httplib.h>

#include "common/ids.h"
#include "common/percent_encoding.h"

namespace tandem {
namespace {

class HttpTransport final : public SyncTransport {
 public:
  explicit HttpTransport(const SourceEndpoint& source) : client_(source.url) {
    client_.set_basic_auth(source.username, source.password);
    client_.set_connection_timeout(10, 0);
    client_.set_read_timeout(120, 0);
    client_.set_write_timeout(60, 0);
  }
  Result<TransportReply> Get(const std::string& path) override {
    return Convert(client_.Get(path));
  }
  Result<TransportReply> Post(const std::string& path, const std::string& json) override {
    return Convert(client_.Post(path, json, "application/json"));
  }
  Result<TransportReply> GetStream(const std::string& path, const ByteSink& sink) override {
    int status = 0;
    std::string error_body;
    auto r = client_.Get(
        path, [&](const httplib::Response& res) {
          status = res.status;
          return true;
        },
        [&](const char* data, size_t n) {
          if (status != 200) {
            if (error_body.size() < 65536) error_body.append(data, n);
            return true;
          }
          return sink(std::string_view(data, n));
        });
    if (!r && status == 0) return Unreachable(r.error());
    return TransportReply{status, error_body};
  }

 private:
  static Status Unreachable(httplib::Error e) {
    return Status::Unavailable("cannot reach the source (" + httplib::to_string(e) + ")");
  }
  static Result<TransportReply> Convert(const httplib::Result& r) {
    if (!r) return Unreachable(r.error());
    return TransportReply{r->status, r->body};
  }
  httplib::Client client_;
};

std::string DescribeBody(const std::string& body) {
  auto j = Json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("description") && j["description"].is_string()) {
    return j["description"].get<std::string>();
  }
  return body.substr(0, 200);
}

}  // namespace

Status ValidateSourceUrl(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) {
    return Status::InvalidArgument("source url must start with http:// (TLS comes in a later release), got '" + url + "'");
  }
  std::string rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || rest.find('/') != std::string::npos ||
      rest.find('@') != std::string::npos) {
    return Status::InvalidArgument("source url must be http://HOST:PORT with the source's port, got '" + url + "'");
  }
  std::string port = rest.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) == 0 || std::stoi(port) > 65535) {
    return Status::InvalidArgument("source url has no valid port: '" + url + "'");
  }
  return Status::Ok();
}

TransportFactory HttpTransportFactory() {
  return [](const SourceEndpoint& source) -> std::unique_ptr<SyncTransport> {
    return std::make_unique<HttpTransport>(source);
  };
}

Status SourceClient::ErrorFor(const TransportReply& reply, const std::string& what) {
  std::string detail = DescribeBody(reply.body);
  std::string prefix = what + " at " + url_ + ": ";
  switch (reply.status) {
    case 401:
      return Status::Unauthenticated(prefix + "the source refused the credentials (" + detail +
                                     "); check the user name and password");
    case 403:
      return Status::PermissionDenied(prefix + "the source account lacks read access (" + detail + ")");
    case 404:
      return Status::NotFound(prefix + detail);
    default:
      return Status::Unavailable(prefix + "HTTP " + std::to_string(reply.status) + ": " + detail);
  }
}

Result<SourceInfo> SourceClient::Connect() {
  ASSIGN_OR_RETURN(TransportReply reply, transport_->Get("/sync/v1/info"));
  if (reply.status == 404) {
    return Status::InvalidArgument("the server at " + url_ + " does not speak tandem-sync (no /sync/v1)");
  }
  if (reply.status != 200) return ErrorFor(reply, "connecting");
  auto j = Json::parse(reply.body, nullptr, false);
  if (!j.is_object() || j.value("protocol", "") != kSyncProtocolName || !j.contains("major") ||
      !j["major"].is_number_integer() || !j.contains("serverId") || !j["serverId"].is_string() ||
      !IsUuid(j["serverId"].get<std::string>())) {
    return Status::InvalidArgument("the server at " + url_ + " answered /sync/v1/info with something else");
  }
  SourceInfo info{j["serverId"], j["major"], j.value("minor", 0), j.value("version", "")};
  if (info.major != kSyncProtocolMajor) {
    return Status::InvalidArgument("the source speaks tandem-sync " + std::to_string(info.major) +
                                   ".x and this server " + std::to_string(kSyncProtocolMajor) +
                                   ".x; synchronization needs the same major version");
  }
  return info;
}

Result<Catalogue> SourceClient::FetchCatalogue(const CatalogueRequest& request) {
  Json body = {{"resources", request.resources}, {"categories", request.categories}};
  if (request.tag) body["tag"] = *request.tag;
  ASSIGN_OR_RETURN(TransportReply reply, transport_->Post("/sync/v1/catalogue", body.dump()));
  if (reply.status != 200) return ErrorFor(reply, "reading the catalogue");
  auto j = Json::parse(reply.body, nullptr, false);
  if (!j.is_object() || !j.contains("resources") || !j["resources"].is_array()) {
    return Status::Corruption("the source's catalogue is malformed");
  }
  Catalogue out;
  for (const auto& e : j["resources"]) {
    auto entry = CatalogueEntryFromJson(e);
    if (!entry.ok()) return Status::Corruption(entry.status().message());
    out.entries.push_back(std::move(entry).value());
  }
  if (j.contains("missing") && j["missing"].is_object()) {
    for (const auto& id : j["missing"].value("resources", Json::array())) {
      if (id.is_string()) out.missing_resources.push_back(id);
    }
    for (const auto& id : j["missing"].value("categories", Json::array())) {
      if (id.is_string()) out.missing_categories.push_back(id);
    }
  }
  return out;
}

Status SourceClient::FetchPack(const std::string& resource_id, const std::vector<std::string>& have,
                               const std::vector<std::string>& want, const ByteSink& sink) {
  auto joined = [](const std::vector<std::string>& ids) {
    std::string list;
    for (const auto& id : ids) list += (list.empty() ? "" : ",") + id;
    return list;
  };
  std::string path = "/sync/v1/resources/" + PercentEncode(resource_id) + "/pack?have=" +
                     PercentEncode(joined(have));
  if (!want.empty()) path += "&want=" + PercentEncode(joined(want));
  ASSIGN_OR_RETURN(TransportReply reply, transport_->GetStream(path, sink));
  if (reply.status != 200) return ErrorFor(reply, "fetching history of project " + resource_id);
  return Status::Ok();
}

}  // namespace tandem
