#include "cli/request_target.h"

#include <strings.h>

#include <cctype>

namespace tandem {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// True when the parameter list of one link-value (`; rel="next"; title=x`) has rel next.
bool HasRelNext(std::string_view params) {
  while (!params.empty()) {
    size_t semi = params.find(';');
    std::string_view param = Trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    if (!EqualsIgnoreCase(Trim(param.substr(0, eq)), "rel")) continue;
    std::string_view value = Trim(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    // rel may hold several space-separated relation types.
    while (!value.empty()) {
      size_t space = value.find(' ');
      if (EqualsIgnoreCase(value.substr(0, space), "next")) return true;
      value = space == std::string_view::npos ? std::string_view() : value.substr(space + 1);
    }
  }
  return false;
}

}  // namespace

std::string AppendQuery(std::string target,
                        const std::vector<std::pair<std::string, std::string>>& params) {
  for (const auto& [name, value] : params) {
    if (value.empty()) continue;
    target += target.find('?') == std::string::npos ? '?' : '&';
    target += name;
    target += '=';
    target += PercentEncode(value);
  }
  return target;
}

std::optional<std::string> FindNextLink(std::string_view header) {
  size_t pos = 0;
  while (true) {
    size_t open = header.find('<', pos);
    if (open == std::string_view::npos) return std::nullopt;
    size_t close = header.find('>', open);
    if (close == std::string_view::npos) return std::nullopt;
    // The parameters run to the next '<' that starts a new link-value (after a comma).
    size_t next_open = header.find('<', close);
    size_t params_end = next_open == std::string_view::npos ? header.size() : next_open;
    std::string_view params = header.substr(close + 1, params_end - close - 1);
    size_t comma = params.rfind(',');
    if (next_open != std::string_view::npos && comma != std::string_view::npos) {
      params = params.substr(0, comma);
    }
    if (HasRelNext(params)) {
      return std::string(Trim(header.substr(open + 1, close - open - 1)));
    }
    pos = close + 1;
  }
}

std::string TargetFromLink(std::string_view url, std::string_view current_target) {
  size_t scheme = url.find("://");
  if (scheme != std::string_view::npos && url.find_first_of("/?") > scheme) {
    size_t path = url.find_first_of("/?#", scheme + 3);
    if (path == std::string_view::npos) return "/";
    std::string target(url.substr(path));
    if (target.front() != '/') target.insert(0, "/");
    return target.substr(0, target.find('#'));
  }
  std::string_view current_path = current_target.substr(0, current_target.find('?'));
  std::string target;
  if (url.starts_with("/")) {
    target = std::string(url);
  } else if (url.starts_with("?")) {
    target = std::string(current_path) + std::string(url);
  } else {
    size_t slash = current_path.rfind('/');
    target = std::string(current_path.substr(0, slash + 1)) + std::string(url);
  }
  return target.substr(0, target.find('#'));
}

}  // namespace tandem
