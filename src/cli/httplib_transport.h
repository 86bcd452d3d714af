// HttplibTransport: the production Transport, over cpp-httplib.
//
// Speaks http:// and https://. For https the server certificate is always
// verified, against the system trust store or, when TransportOptions names
// one, a PEM CA bundle; verification can not be turned off. Redirects are not
// followed (the Authorization header must not travel to another origin). The
// connection is kept alive across requests. Not thread-safe: use one per thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "cli/server_url.h"
#include "cli/transport.h"

namespace httplib {
class Client;
}  // namespace httplib

namespace tandem {

struct TransportOptions {
  std::string ca_cert_file;  // PEM bundle to trust instead of the system CAs; "" = system
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds read_timeout{300};
};

class HttplibTransport : public Transport {
 public:
  HttplibTransport(ServerUrl url, TransportOptions options);
  ~HttplibTransport() override;

  Result<HttpResponse> Send(const HttpRequest& request) override;

 private:
  ServerUrl url_;
  TransportOptions options_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace tandem
