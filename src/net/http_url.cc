#include "net/http_url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace tandem {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string ServerUrl::ToString() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return scheme + "://" + h + ":" + std::to_string(port);
}

Result<ServerUrl> ParseServerUrl(std::string_view url, std::string_view what) {
  auto bad = [what](std::string why) {
    return Status::InvalidArgument("invalid " + std::string(what) + ": " + why +
                                   " (expected http[s]://HOST[:PORT], e.g. http://127.0.0.1:8111)");
  };
  ServerUrl out;
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) return bad("missing scheme");
  out.scheme = Lower(url.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https") {
    return bad("scheme must be http or https");
  }
  std::string_view rest = url.substr(sep + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  if (end != std::string_view::npos) {
    std::string_view tail = rest.substr(end);
    if (tail != "/") return bad("no path, query or fragment allowed");
  }
  if (authority.find('@') != std::string_view::npos) {
    // Do not echo the URL: it may hold a password.
    return Status::InvalidArgument("invalid " + std::string(what) +
                                   ": credentials in the URL are not allowed; they are given "
                                   "separately");
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("unexpected text after IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) return bad("empty port");
    }
  } else {
    size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return bad("empty port");
    }
    if (out.host.find(':') != std::string::npos) return bad("IPv6 addresses need [brackets]");
  }
  if (out.host.empty()) return bad("missing host");
  if (port_text.empty()) {
    out.port = out.is_https() ? 443 : 80;
  } else {
    int port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
      return bad("port must be a number from 1 to 65535");
    }
    out.port = port;
    out.explicit_port = true;
  }
  return out;
}

}  // namespace tandem
