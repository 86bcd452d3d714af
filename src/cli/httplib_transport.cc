#include "cli/httplib_transport.h"

#include <utility>

#include "tls/keystore.h"

namespace tandem {

HttplibTransport::HttplibTransport(ServerUrl url, TransportOptions options) : url_(std::move(url)) {
  HttpClientOptions client;
  client.connect_timeout = options.connect_timeout;
  client.idle_timeout = options.read_timeout;
  client.max_response_bytes = options.max_response_bytes;
  client.peer = "the server";
  client.idle_setting = "the client's read time-out";
  if (!options.ca_cert_file.empty()) {
    auto cas = LoadCaCertificates(options.ca_cert_file, "--cacert");
    if (cas.ok()) {
      client.tls.extra_cas = std::move(cas).value();
    } else {
      setup_ = cas.status();
    }
  }
  client_ = std::make_unique<HttpClient>(url_, std::move(client));
}

HttplibTransport::~HttplibTransport() = default;

Result<ClientResponse> HttplibTransport::Send(const ClientRequest& request) {
  RETURN_IF_ERROR(setup_);
  auto response = client_->Send(request);
  if (!response.ok() && response.status().code() == StatusCode::kUnauthenticated) {
    return Status::Unauthenticated(response.status().message() +
                                   "; pass --cacert FILE if it is signed by a private CA");
  }
  return response;
}

}  // namespace tandem
