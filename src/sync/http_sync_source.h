// HttpSyncSource: a source server over HTTP(S) — the production SyncSource.
// Requests go through net/HttpClient, so each has a connect time-out, an idle
// time-out (sync.read-timeout-seconds: a stalled source is an error, named as
// such) and an overall deadline (sync.request-timeout-seconds), and every
// buffered answer (info, catalogue, change feed) is limited to
// sync.max-answer-bytes while it arrives, compressed or not; packs stream
// into the caller's sink, which bounds them (PackLimits). Messages quote the
// source's own error text only from a well-formed Error body, cut short and
// stripped of control characters, never raw bytes of a foreign answer.
// Not thread-safe; the Cancellation may fire from any thread.
#pragma once

#include <chrono>
#include <memory>

#include "net/http_client.h"
#include "sync/sync_source.h"
#include "tls/tls_context.h"

namespace tandem {

// TLS of outgoing synchronization connections (docs/tls.md). https:// sources
// are always verified (chain and host name) against the system's CAs plus
// `material.extra_cas`; `material.identity` is the client certificate.
struct SyncClientTls {
  bool require_tls = false;  // refuse http:// sources
  TlsClientMaterial material;
};

struct SyncClientOptions {
  SyncClientTls tls;
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds read_timeout{30};      // sync.read-timeout-seconds
  std::chrono::seconds request_timeout{600};  // sync.request-timeout-seconds (info, catalogue)
  uint64_t max_answer_bytes = 32ull << 20;    // sync.max-answer-bytes
};

// Validates "http://host:port" or "https://host:port" (the port is required:
// source and target may listen on different ports, and nothing substitutes ours).
Status ValidateSourceUrl(const std::string& url);

SourceFactory HttpSourceFactory(SyncClientOptions options = {});

// The HttpClient options of a connection to `peer` ("the source"): TLS, the
// connect and idle time-outs and the answer limit of `options`; no overall
// deadline (set request_timeout where one applies).
HttpClientOptions SourceHttpOptions(const SyncClientOptions& options, std::string peer);

}  // namespace tandem
