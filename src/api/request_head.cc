#include "api/request_head.h"

#include <algorithm>
#include <boost/beast/http/error.hpp>
#include <cstdint>
#include <limits>
#include <string>

namespace tandem {

namespace http = boost::beast::http;

void StartRequestParser(std::optional<RequestParser>& parser, const HttpLimits& limits) {
  parser.emplace();
  parser->header_limit(static_cast<std::uint32_t>(
      std::min<size_t>(limits.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  parser->body_limit(limits.max_body_bytes);
}

std::optional<RequestProblem> TakeRequestHead(const RequestParser& parser, const HttpLimits& limits,
                                              HttpRequest& req) {
  const auto& msg = parser.get();
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  req.version = msg.version() == 10 ? "HTTP/1.0" : "HTTP/1.1";
  ParseTarget(req.target, req.path, req.params);
  req.headers.clear();
  for (const auto& field : msg) {
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  return HeaderProblem(req, limits.max_header_bytes, limits.max_header_count);
}

bool IsRequestParseError(boost::beast::error_code ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

std::optional<RequestProblem> ReadProblem(boost::beast::error_code ec, const HttpLimits& limits) {
  if (ec == http::error::header_limit) {
    return RequestProblem{431, "the request line and headers are over " +
                                   std::to_string(limits.max_header_bytes) +
                                   " bytes, the limit (server.max-header-bytes)"};
  }
  if (ec == http::error::body_limit) {
    return RequestProblem{413, "request body too large: the limit is " +
                                   std::to_string(limits.max_body_bytes) +
                                   " bytes (server.max-body-bytes); larger bundles go in pieces "
                                   "through /api/v1/bundles/uploads"};
  }
  if (ec == http::error::bad_content_length) {
    return RequestProblem{400, "Content-Length must be a decimal number of bytes"};
  }
  if (IsRequestParseError(ec)) return RequestProblem{400, "malformed HTTP request: " + ec.message()};
  return std::nullopt;
}

}  // namespace tandem
