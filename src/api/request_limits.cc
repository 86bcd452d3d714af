#include "api/request_limits.h"

#include <strings.h>

namespace tandem {
namespace {

bool Is(const std::string& a, const char* b) { return strcasecmp(a.c_str(), b) == 0; }

// "gzip, chunked" -> {"gzip", "chunked"}, trimmed.
std::vector<std::string> Codings(const std::string& value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string::npos) comma = value.size();
    std::string item = value.substr(start, comma - start);
    size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    start = comma + 1;
  }
  return out;
}

}  // namespace

std::optional<RequestProblem> HeaderProblem(const HttpRequest& req, size_t max_bytes,
                                            size_t max_count) {
  if (req.headers.size() > max_count) {
    return RequestProblem{431, "the request has " + std::to_string(req.headers.size()) +
                                   " header fields; the limit is " + std::to_string(max_count) +
                                   " (server.max-header-count)"};
  }
  // Request line plus "Name: value\r\n" per field, as they came over the wire.
  size_t bytes = req.method.size() + req.target.size() + req.version.size() + 4;
  for (const auto& [name, value] : req.headers) bytes += name.size() + value.size() + 4;
  if (bytes > max_bytes) {
    return RequestProblem{431, "the request line and headers are " + std::to_string(bytes) +
                                   " bytes; the limit is " + std::to_string(max_bytes) +
                                   " (server.max-header-bytes)"};
  }
  if (req.target.size() > kMaxLineBytes) {
    return RequestProblem{414, "the request target is " + std::to_string(req.target.size()) +
                                   " bytes; the limit is " + std::to_string(kMaxLineBytes)};
  }
  bool has_length = false, has_transfer = false;
  for (const auto& [name, value] : req.headers) {
    if (name.size() + value.size() + 2 > kMaxLineBytes) {
      return RequestProblem{400, "header field '" + name.substr(0, 64) + "' is over " +
                                     std::to_string(kMaxLineBytes) + " bytes"};
    }
    if (value.find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
      return RequestProblem{400, "header field '" + name.substr(0, 64) +
                                     "' holds a control character (CR, LF or NUL)"};
    }
    if (Is(name, "Content-Length")) {
      has_length = true;
      if (value.empty() || value.size() > 19 ||
          value.find_first_not_of("0123456789") != std::string::npos) {
        return RequestProblem{400, "Content-Length must be a decimal number of bytes"};
      }
    } else if (Is(name, "Content-Encoding")) {
      for (const auto& coding : Codings(value)) {
        if (!Is(coding, "identity")) {
          return RequestProblem{
              415, "Content-Encoding '" + coding.substr(0, 64) +
                       "' is not accepted: this server does not decompress request bodies; "
                       "send them uncompressed (without a Content-Encoding header)"};
        }
      }
    } else if (Is(name, "Transfer-Encoding")) {
      has_transfer = true;
      for (const auto& coding : Codings(value)) {
        if (!Is(coding, "chunked")) {
          return RequestProblem{501, "Transfer-Encoding '" + coding.substr(0, 64) +
                                         "' is not supported; only chunked is"};
        }
      }
    }
  }
  if (has_length && has_transfer) {
    return RequestProblem{400, "a request may have Content-Length or Transfer-Encoding, not both"};
  }
  return std::nullopt;
}

}  // namespace tandem
