// HttplibTransport: the production Transport of the CLI, over the shared
// HttpClient (net/http_client.h: verified TLS, time-outs, answer limits, no
// redirects). With TransportOptions::ca_cert_file, the server certificate may
// also be signed by a CA of that PEM bundle (besides the system's CAs).
// The connection is kept alive across requests. Not thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "cli/transport.h"
#include "net/http_client.h"
#include "net/http_url.h"

namespace tandem {

struct TransportOptions {
  std::string ca_cert_file;  // PEM bundle of extra CAs to trust; "" = the system's CAs only
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds read_timeout{300};
  uint64_t max_response_bytes = 256ull << 20;  // buffered answers (lists, records)
};

class HttplibTransport : public Transport {
 public:
  HttplibTransport(ServerUrl url, TransportOptions options);
  ~HttplibTransport() override;

  Result<ClientResponse> Send(const ClientRequest& request) override;

 private:
  ServerUrl url_;
  Status setup_;
  std::unique_ptr<HttpClient> client_;
};

}  // namespace tandem
