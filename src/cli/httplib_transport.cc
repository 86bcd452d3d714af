#include "cli/httplib_transport.h"

#include <httplib.h>
#include <openssl/x509.h>

#include <utility>

namespace tandem {

HttplibTransport::HttplibTransport(ServerUrl url, TransportOptions options)
    : url_(std::move(url)),
      options_(std::move(options)),
      client_(std::make_unique<httplib::Client>(url_.ToString())) {
  client_->set_connection_timeout(options_.connect_timeout);
  client_->set_read_timeout(options_.read_timeout);
  client_->set_write_timeout(options_.read_timeout);
  client_->set_keep_alive(true);
  client_->set_follow_location(false);
  client_->set_url_encode(false);  // targets arrive percent-encoded
  if (url_.is_https()) {
    client_->enable_server_certificate_verification(true);
    if (!options_.ca_cert_file.empty()) client_->set_ca_cert_path(options_.ca_cert_file);
  }
}

HttplibTransport::~HttplibTransport() = default;

Result<HttpResponse> HttplibTransport::Send(const HttpRequest& request) {
  if (!client_->is_valid()) {
    return Status::Unavailable("cannot set up a client for " + url_.ToString());
  }
  httplib::Request req;
  req.method = request.method;
  req.path = request.target;
  for (const auto& [key, value] : request.headers) req.headers.emplace(key, value);
  if (!request.body.empty()) {
    req.body = request.body;
    req.headers.emplace("Content-Type",
                        request.content_type.empty() ? "application/json" : request.content_type);
  }
  int status = 0;
  std::string error_body;
  if (request.body_sink) {
    req.response_handler = [&status](const httplib::Response& r) {
      status = r.status;
      return true;
    };
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      if (status < 200 || status > 299) {
        if (error_body.size() < 65536) error_body.append(data, n);
        return true;
      }
      return request.body_sink(std::string_view(data, n));
    };
  }
  httplib::Result res = client_->send(req);
  if (!res) {
    std::string why;
    switch (res.error()) {
      case httplib::Error::Connection:
        why = "connection failed";
        break;
      case httplib::Error::ConnectionTimeout:
        why = "connection timed out";
        break;
      case httplib::Error::Read:
        why = "no response (connection closed or read timed out)";
        break;
      case httplib::Error::Write:
        why = "could not send the request";
        break;
      case httplib::Error::SSLConnection:
        why = "TLS handshake failed";
        break;
      case httplib::Error::SSLLoadingCerts:
        why = "could not load CA certificates" +
              (options_.ca_cert_file.empty() ? std::string() : " from " + options_.ca_cert_file);
        break;
      case httplib::Error::SSLServerVerification: {
        long verify = client_->get_openssl_verify_result();
        why = "the server's TLS certificate could not be verified";
        if (verify != X509_V_OK) {
          why += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
        } else {
          why += " (its name does not match " + url_.host + ")";
        }
        why += "; pass --cacert FILE if it is signed by a private CA";
        break;
      }
      default:
        why = httplib::to_string(res.error());
        break;
    }
    std::string message = "cannot reach " + url_.ToString() + ": " + why;
    // A server that failed to prove its identity is not "down": keep it apart.
    if (res.error() == httplib::Error::SSLServerVerification) {
      return Status::Unauthenticated(std::move(message));
    }
    return Status::Unavailable(std::move(message));
  }
  HttpResponse out;
  out.status = res->status;
  out.body = request.body_sink ? std::move(error_body) : std::move(res->body);
  for (const auto& [key, value] : res->headers) out.headers.emplace_back(key, value);
  return out;
}

}  // namespace tandem
