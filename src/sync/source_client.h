// SourceClient: how a target talks to a source server's /sync/v1 endpoints,
// over a SyncTransport (HTTP in production, fakes in unit tests). Errors name
// the source and say what to check. Not thread-safe; one per run.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/canonical_json.h"
#include "common/zstd_stream.h"
#include "sync/protocol.h"
#include "sync/source_service.h"
#include "tls/tls_context.h"

namespace tandem {

struct TransportReply {
  int status = 0;
  std::string body;  // empty when streamed into a sink
};

// One authenticated connection target (a source server). Implementations
// never log or expose the password.
class SyncTransport {
 public:
  virtual ~SyncTransport() = default;
  // Unavailable when the source cannot be reached.
  virtual Result<TransportReply> Get(const std::string& path) = 0;
  virtual Result<TransportReply> Post(const std::string& path, const std::string& json) = 0;
  // Streams a 200 body into `sink`; other statuses come back with their body.
  virtual Result<TransportReply> GetStream(const std::string& path, const ByteSink& sink) = 0;
};

struct SourceEndpoint {
  std::string url;  // http://host:port or https://host:port
  std::string username;
  std::string password;
};

// Validates "http://host:port" or "https://host:port" (the port is required:
// source and target may listen on different ports, and nothing substitutes ours).
Status ValidateSourceUrl(const std::string& url);

// TLS of outgoing synchronization connections (docs/tls.md). https:// sources
// are always verified (chain and host name) against the system's CAs plus
// `material.extra_cas`; `material.identity` is the client certificate.
struct SyncClientTls {
  bool require_tls = false;  // refuse http:// sources
  TlsClientMaterial material;
};

using TransportFactory = std::function<std::unique_ptr<SyncTransport>(const SourceEndpoint&)>;
TransportFactory HttpTransportFactory(SyncClientTls tls = {});

struct SourceInfo {
  std::string server_id;
  int major = 0;
  int minor = 0;
  std::string version;
};

class SourceClient {
 public:
  SourceClient(std::unique_ptr<SyncTransport> transport, std::string url)
      : transport_(std::move(transport)), url_(std::move(url)) {}

  // Checks reachability, credentials and the protocol's major version.
  Result<SourceInfo> Connect();
  Result<Catalogue> FetchCatalogue(const CatalogueRequest& request);
  Status FetchPack(const std::string& resource_id, const std::vector<std::string>& have,
                   const std::vector<std::string>& want, const ByteSink& sink);

 private:
  Status ErrorFor(const TransportReply& reply, const std::string& what);
  std::unique_ptr<SyncTransport> transport_;
  std::string url_;
};

}  // namespace tandem
