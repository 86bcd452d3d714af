// What the HTTP engine (http_engine.h) checks in a request head once it has
// been parsed within server.max-header-bytes, before the body is read:
//
// - the number of header fields (431, server.max-header-count) and their
//   total size (431, server.max-header-bytes; the parser stops earlier);
// - a header line or a request target over kMaxLineBytes (400 and 414, as
//   cpp-httplib answered before the engine moved to Beast);
// - control characters in field values (400: RFC 9110 forbids CR, LF and NUL
//   there) and a Content-Length that is not a decimal number (400), or one
//   sent together with Transfer-Encoding (400: a smuggling vector);
// - a Content-Encoding other than identity (415: bodies are never
//   decompressed, so a small compressed body cannot grow past the limit) and
//   a Transfer-Encoding other than chunked (501).
//
// Pure function; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "api/http_request.h"

namespace tandem {

constexpr size_t kMaxLineBytes = 8 << 10;

struct RequestProblem {
  int status;           // 400, 414, 415, 431 or 501
  std::string message;  // names the limit and the key that raises it
};

// What is wrong with the request line and headers, or nullopt.
std::optional<RequestProblem> HeaderProblem(const HttpRequest& req, size_t max_bytes,
                                            size_t max_count);

}  // namespace tandem
