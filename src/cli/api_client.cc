#include "cli/api_client.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <utility>

#include "cli/request_target.h"

namespace tandem {
namespace {

using nlohmann::json;

StatusCode CodeForHttpStatus(int status) {
  switch (status) {
    case 400:
    case 422:
      return StatusCode::kInvalidArgument;
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
    case 410:
      return StatusCode::kNotFound;
    case 409:
    case 412:
      return StatusCode::kConflict;
    case 413:
      return StatusCode::kTooLarge;
    case 429:
      return StatusCode::kRateLimited;
    case 501:
      return StatusCode::kNotImplemented;
    case 503:
      return StatusCode::kUnavailable;
    default:
      return StatusCode::kIOError;
  }
}

// A short, single-line excerpt of a non-JSON error body (HTML pages are dropped).
std::string PlainExcerpt(const std::string& body) {
  if (body.empty() || body.find('<') != std::string::npos) return "";
  std::string out;
  for (char c : body) {
    if (out.size() >= 200) {
      out += "...";
      break;
    }
    out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

std::string Base64Encode(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(data[i]) << 16) | (static_cast<uint8_t>(data[i + 1]) << 8) |
                 static_cast<uint8_t>(data[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == data.size()) {
    uint32_t n = static_cast<uint8_t>(data[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == data.size()) {
    uint32_t n = (static_cast<uint8_t>(data[i]) << 16) | (static_cast<uint8_t>(data[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string FormatHttpError(const ClientResponse& response) {
  std::string out = std::to_string(response.status);
  std::string_view reason = HttpReasonPhrase(response.status);
  if (!reason.empty()) out += " " + std::string(reason);
  std::string description;
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object()) {
    for (const char* key : {"description", "message", "error"}) {
      auto it = body.find(key);
      if (it != body.end() && it->is_string() && !it->get<std::string>().empty()) {
        description = it->get<std::string>();
        break;
      }
    }
  } else if (body.is_discarded()) {
    description = PlainExcerpt(response.body);
  }
  if (!description.empty()) out += ": " + description;
  return out;
}

ApiClient::ApiClient(Transport& transport, std::string user, std::string password)
    : transport_(transport), authorization_("Basic " + Base64Encode(user + ":" + password)) {}

Status ApiClient::BadResponse(std::string message) {
  last_failure_ = ApiFailure::kServer;
  return Status::Corruption("unexpected answer from the server: " + message);
}

Status ApiClient::ReportedFailure(int http_status, const std::string& description) {
  last_failure_ = ApiFailure::kServer;
  ClientResponse response;
  response.status = http_status;
  response.body = json{{"description", description}}.dump();
  return Status(CodeForHttpStatus(http_status), FormatHttpError(response));
}

Result<json> ApiClient::Get(std::string_view target) { return Call("GET", target, nullptr); }

Result<json> ApiClient::Post(std::string_view target, const json& body) {
  return Call("POST", target, &body);
}

Result<json> ApiClient::Patch(std::string_view target, const json& body) {
  return Call("PATCH", target, &body);
}

Result<json> ApiClient::Delete(std::string_view target) { return Call("DELETE", target, nullptr); }

Result<ClientResponse> ApiClient::Send(std::string_view method, std::string_view target,
                                     std::string body, std::string_view content_type,
                                     std::string_view accept,
                                     std::function<bool(std::string_view)> body_sink) {
  ClientRequest request;
  request.method = std::string(method);
  request.target = std::string(target);
  request.headers = {{"Authorization", authorization_}, {"Accept", std::string(accept)}};
  request.body_sink = std::move(body_sink);
  if (!body.empty()) {
    request.body = std::move(body);
    request.content_type = std::string(content_type);
  }
  Result<ClientResponse> sent = transport_.Send(request);
  if (!sent.ok()) {
    last_failure_ = ApiFailure::kConnection;
    return sent.status();
  }
  if (sent->status < 200 || sent->status > 299) {
    last_failure_ = ApiFailure::kServer;
    return Status(CodeForHttpStatus(sent->status), FormatHttpError(*sent));
  }
  last_failure_ = ApiFailure::kNone;
  return sent;
}

Result<json> ApiClient::Call(std::string_view method, std::string_view target, const json* body,
                             ClientResponse* response_out) {
  ASSIGN_OR_RETURN(ClientResponse response,
                   Send(method, target, body != nullptr ? body->dump() : std::string(),
                        "application/json", "application/json"));
  json decoded;  // null for an empty body
  if (!response.body.empty()) {
    decoded = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    if (decoded.is_discarded()) {
      last_failure_ = ApiFailure::kServer;
      return Status::Corruption(std::string(method) + " " + std::string(target) +
                                ": the server's response is not valid JSON");
    }
  }
  last_failure_ = ApiFailure::kNone;
  if (response_out != nullptr) *response_out = std::move(response);
  return decoded;
}

Result<json> ApiClient::GetAll(std::string_view target, std::optional<size_t> limit) {
  json items = json::array();
  if (limit.has_value() && *limit == 0) return items;
  std::string next(target);
  if (limit.has_value()) {
    next = AppendQuery(std::move(next),
                       {{"page[size]", std::to_string(std::min(*limit, kMaxPageSize))}});
  }
  std::set<std::string> seen;
  while (true) {
    seen.insert(next);
    ClientResponse response;
    ASSIGN_OR_RETURN(json page, Call("GET", next, nullptr, &response));
    if (!page.is_array()) {
      last_failure_ = ApiFailure::kServer;
      return Status::Corruption("GET " + next + ": expected a JSON array from the server");
    }
    for (auto& item : page) {
      if (limit.has_value() && items.size() >= *limit) return items;
      items.push_back(std::move(item));
    }
    if (page.empty() || (limit.has_value() && items.size() >= *limit)) return items;
    std::optional<std::string> link = response.Header("Link");
    if (!link.has_value()) return items;
    std::optional<std::string> url = FindNextLink(*link);
    if (!url.has_value()) return items;
    std::string following = TargetFromLink(*url, next);
    if (seen.count(following) != 0) {
      last_failure_ = ApiFailure::kServer;
      return Status::Corruption("GET " + following +
                                ": the server's pagination links go round in a loop");
    }
    next = std::move(following);
  }
}

}  // namespace tandem
