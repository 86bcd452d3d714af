// How the HTTP engine (http_engine.h) reads a request head with Boost.Beast:
// the parser with the engine's limits, the head turned into an HttpRequest
// and checked (request_limits.h), and the answer to a parse error. The engine
// drives the parser from its sockets; the fuzz target of request heads
// (fuzz/http_head_fuzzer.cc) drives the same functions from bytes.
// Free functions over their arguments; thread-safe.
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>

#include "api/http_engine.h"
#include "api/request_limits.h"

namespace tandem {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// Replaces `parser` with a fresh one for the next request of a connection:
// the head stops at max_header_bytes, the body (chunked or not) at max_body_bytes.
void StartRequestParser(std::optional<RequestParser>& parser, const HttpLimits& limits);

// Copies the parsed head of `parser` into `req` (method, target, version,
// decoded path and query parameters, header fields in order) and checks it:
// what HeaderProblem finds, or nullopt. Precondition: parser.is_header_done().
std::optional<RequestProblem> TakeRequestHead(const RequestParser& parser, const HttpLimits& limits,
                                              HttpRequest& req);

// True for an error of the HTTP grammar (answered 400), false for the end of
// the stream or a broken connection.
bool IsRequestParseError(boost::beast::error_code ec);

// The answer to an error while reading a head or body: 431 over
// max_header_bytes, 413 over max_body_bytes, 400 for a malformed request;
// nullopt when there is no one to answer (the client left, a time-out).
std::optional<RequestProblem> ReadProblem(boost::beast::error_code ec, const HttpLimits& limits);

}  // namespace tandem
