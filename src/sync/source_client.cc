#include "sync/source_client.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <atomic>

#include "common/ids.h"
#include "common/percent_encoding.h"
#include "tls/openssl_errors.h"

namespace tandem {
namespace {

// The parts of a validated source url.
struct SourceAddress {
  bool tls = false;
  std::string host;
  int port = 0;
};

// `url` passed ValidateSourceUrl; an invalid one yields port 0, which the
// transport refuses instead of connecting.
SourceAddress ParseSourceAddress(const std::string& url) {
  SourceAddress a;
  if (!ValidateSourceUrl(url).ok()) return a;
  a.tls = url.rfind("https://", 0) == 0;
  std::string rest = url.substr(a.tls ? 8 : 7);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  auto colon = rest.rfind(':');
  a.host = rest.substr(0, colon);
  if (a.host.size() > 2 && a.host.front() == '[' && a.host.back() == ']') {
    a.host = a.host.substr(1, a.host.size() - 2);
  }
  a.port = std::stoi(rest.substr(colon + 1));
  return a;
}

class HttpTransport final : public SyncTransport {
 public:
  HttpTransport(const SourceEndpoint& source, const SyncClientTls& tls)
      : address_(ParseSourceAddress(source.url)) {
    if (address_.port == 0) refused_ = ValidateSourceUrl(source.url);
    if (!address_.tls && tls.require_tls) {
      refused_ = Status::InvalidArgument(
          "this server synchronizes only over TLS (esi.server.sync.tls-enabled or twc.client.tls "
          "= true), so the source url must be https://HOST:PORT with the source's HTTPS port, "
          "not " + source.url);
    }
    if (address_.tls) {
      auto ssl = std::make_unique<httplib::SSLClient>(address_.host, address_.port);
      Status configured = ConfigureClientContext(*ssl->ssl_context(), tls.material, address_.host,
                                                 &verify_failure_);
      if (!configured.ok()) {
        refused_ = Status::InvalidArgument("cannot set up TLS to " + source.url + ": " +
                                           configured.message());
      }
      ssl->enable_server_certificate_verification(true);
      client_ = std::move(ssl);
    } else {
      client_ = std::make_unique<httplib::ClientImpl>(address_.host, address_.port);
    }
    client_->set_basic_auth(source.username, source.password);
    client_->set_connection_timeout(10, 0);
    client_->set_read_timeout(120, 0);
    client_->set_write_timeout(60, 0);
  }
  Result<TransportReply> Get(const std::string& path) override {
    RETURN_IF_ERROR(BeforeRequest());
    return Convert(client_->Get(path));
  }
  Result<TransportReply> Post(const std::string& path, const std::string& json) override {
    RETURN_IF_ERROR(BeforeRequest());
    return Convert(client_->Post(path, json, "application/json"));
  }
  Result<TransportReply> GetStream(const std::string& path, const ByteSink& sink) override {
    RETURN_IF_ERROR(BeforeRequest());
    int status = 0;
    std::string error_body;
    auto r = client_->Get(
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
  Status BeforeRequest() {
    if (!refused_.ok()) return refused_;
    // Failures of an earlier request must not be taken for this one's.
    ERR_clear_error();
    verify_failure_ = X509_V_OK;
    return Status::Ok();
  }
  Status Unreachable(httplib::Error e) {
    std::string detail = TakeOpenSslErrors();
    long failure = verify_failure_;
    if (address_.tls && failure != X509_V_OK) {
      return Status::Unavailable("TLS: the source's certificate was refused: " +
                                 DescribeVerifyFailure(failure));
    }
    if (e == httplib::Error::SSLServerVerification) {
      return Status::Unavailable("TLS: the source's certificate was refused: " +
                                 DescribeVerifyFailure(X509_V_ERR_HOSTNAME_MISMATCH));
    }
    if (e == httplib::Error::SSLConnection) {
      return Status::Unavailable(
          "TLS handshake with the source failed" + (detail.empty() ? "" : " (" + detail + ")") +
          "; check that the url's port is the source's HTTPS port and that both sides allow TLS "
          "1.2 or later; see docs/tls.md");
    }
    return Status::Unavailable("cannot reach the source (" + httplib::to_string(e) + ")");
  }
  Result<TransportReply> Convert(const httplib::Result& r) {
    if (!r) return Unreachable(r.error());
    return TransportReply{r->status, r->body};
  }

  SourceAddress address_;
  Status refused_;
  std::atomic<long> verify_failure_{X509_V_OK};
  std::unique_ptr<httplib::ClientImpl> client_;
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
  // Checked first and never echoed: user:password@ would put a secret into
  // the message, and messages reach answers and logs.
  if (url.find('@') != std::string::npos) {
    return Status::InvalidArgument("source url must not contain a user name or password (user@host); "
                                   "credentials are given separately");
  }
  bool tls = url.rfind("https://", 0) == 0;
  if (!tls && url.rfind("http://", 0) != 0) {
    return Status::InvalidArgument("source url must start with https:// or http://, got '" + url + "'");
  }
  std::string rest = url.substr(tls ? 8 : 7);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || rest.find('/') != std::string::npos) {
    return Status::InvalidArgument("source url must be https://HOST:PORT (or http://HOST:PORT) with "
                                   "the source's port, got '" + url + "'");
  }
  std::string port = rest.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) == 0 || std::stoi(port) > 65535) {
    return Status::InvalidArgument("source url has no valid port: '" + url + "'");
  }
  return Status::Ok();
}

TransportFactory HttpTransportFactory(SyncClientTls tls) {
  return [tls = std::move(tls)](const SourceEndpoint& source) -> std::unique_ptr<SyncTransport> {
    return std::make_unique<HttpTransport>(source, tls);
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
      return Status::PermissionDenied(prefix + "the source refused access (" + detail + ")");
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
  if (!j.is_object() || JsonString(j, "protocol") != kSyncProtocolName || !j.contains("major") ||
      !j["major"].is_number_integer() || !j.contains("serverId") || !j["serverId"].is_string() ||
      !IsUuid(j["serverId"].get<std::string>())) {
    return Status::InvalidArgument("the server at " + url_ + " answered /sync/v1/info with something else");
  }
  SourceInfo info{j["serverId"], j["major"], static_cast<int>(JsonInt(j, "minor", 0)), JsonString(j, "version")};
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
    for (const auto& id : JsonArray(j["missing"], "resources")) {
      if (id.is_string()) out.missing_resources.push_back(id);
    }
    for (const auto& id : JsonArray(j["missing"], "categories")) {
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
