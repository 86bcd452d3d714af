// Fuzz target: an HTTP/1.1 request as the engine reads it (http_engine.cc):
// Boost.Beast's request parser with the server's default limits
// (StartRequestParser), the head turned into an HttpRequest and checked
// (TakeRequestHead: request_limits.h), then the body — Content-Length or
// chunked — up to the body limit, and the answer for any parse error
// (ReadProblem). Input: the bytes a client sends on a connection, fed to the
// parser in the pieces the first byte chooses (1 to 256 bytes), as a socket
// delivers them.
#include <boost/beast/core/buffers_prefix.hpp>
#include <boost/beast/http/error.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "api/request_head.h"

namespace {

namespace http = boost::beast::http;

// The client's bytes as a socket delivers them: `piece` at a time into a
// buffer that keeps what the parser has not taken yet.
class Connection {
 public:
  Connection(std::string_view bytes, size_t piece) : bytes_(bytes), piece_(piece) {}

  // Feeds the parser until the head (or the whole message) is done; the
  // error that stopped it, or none.
  boost::beast::error_code Parse(tandem::RequestParser& parser, bool head_only) {
    boost::beast::error_code ec;
    while (!(head_only ? parser.is_header_done() : parser.is_done())) {
      bool arrived = next_ < bytes_.size();
      if (arrived) {
        size_t n = std::min(piece_, bytes_.size() - next_);
        buffer_.append(bytes_.substr(next_, n));
        next_ += n;
      }
      size_t used = buffer_.empty() ? 0 : parser.put(boost::asio::buffer(buffer_), ec);
      buffer_.erase(0, used);
      if (ec && ec != http::error::need_more) return ec;
      if (!arrived && used == 0) {
        parser.put_eof(ec);  // the client sent everything it had and waits, or left
        return ec ? ec : http::error::partial_message;
      }
      ec = {};
    }
    return ec;
  }

 private:
  std::string_view bytes_;
  size_t piece_;
  size_t next_ = 0;
  std::string buffer_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tandem;
  static const HttpLimits limits;
  if (size < 1) return -1;
  size_t piece = size_t{data[0]} + 1;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::optional<RequestParser> parser;
  StartRequestParser(parser, limits);
  Connection connection(bytes, piece);
  auto ec = connection.Parse(*parser, /*head_only=*/true);
  if (ec) {
    (void)ReadProblem(ec, limits);
    return 0;
  }
  HttpRequest req;
  if (auto problem = TakeRequestHead(*parser, limits, req)) {
    if (problem->status < 400 || problem->status > 599 || problem->message.empty()) std::abort();
    return 0;
  }
  (void)req.Header("content-type");
  ec = connection.Parse(*parser, /*head_only=*/false);
  if (ec) (void)ReadProblem(ec, limits);
  return 0;
}
