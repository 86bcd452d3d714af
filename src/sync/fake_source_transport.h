// FakeSource: a source server served in-process, for unit tests of the target
// side of synchronization. Its transports call SourceService directly and
// answer what the /sync/v1 routes of src/api/sync_routes.cc answer (same JSON,
// same statuses), so SourceClient, SyncRunner and SyncEngine run unchanged
// without a network. Faults can be injected: a failing call (Unavailable), a
// 401, a pack stream cut after N bytes, a flipped pack byte, an edited pack,
// and a gate that holds catalogue requests until the test releases them.
// The change feed (/api/v1/changes) answers 404, so feed watchers back off
// quietly. Test-only; thread-safe (engines call it from several threads).
#pragma once

#include <chrono>
#include <climits>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/canonical_json.h"
#include "common/ids.h"
#include "common/zstd_stream.h"
#include "repo/repository.h"
#include "sync/protocol.h"
#include "sync/source_client.h"
#include "sync/source_service.h"

namespace tandem {

class FakeSource {
 public:
  static constexpr char kUrl[] = "http://source.test:8111";

  explicit FakeSource(Repository& repo, std::string username = "sync-target",
                      std::string password = "a-long-secret")
      : repo_(repo), service_(repo), username_(std::move(username)), password_(std::move(password)) {}

  const std::string& username() const { return username_; }
  const std::string& password() const { return password_; }

  // Transports authenticate with the endpoint's user name and password, as
  // the HTTP source would (wrong ones: 401).
  TransportFactory Factory();
  // A transport with the right credentials.
  std::unique_ptr<SyncTransport> Transport() { return Factory()({kUrl, username_, password_}); }

  // ---- faults (they stay until ClearFaults)
  // /sync/v1 calls are numbered from 1 across all transports; calls
  // first..first+count-1 fail as if the source could not be reached.
  void FailCalls(int first, int count = 1) {
    std::lock_guard lock(mu_);
    fail_first_ = first;
    fail_count_ = count;
  }
  void FailFromNowOn() {
    std::lock_guard lock(mu_);
    fail_first_ = calls_ + 1;
    fail_count_ = INT_MAX;
  }
  void RefuseCredentials(bool refuse) {
    std::lock_guard lock(mu_);
    refuse_credentials_ = refuse;
  }
  // The pack stream breaks off after `bytes` compressed bytes (HTTP 200 was sent).
  void CutPackAfter(size_t bytes) {
    std::lock_guard lock(mu_);
    cut_after_ = bytes;
  }
  // One bit of the compressed byte at `offset` flips in transit.
  void FlipPackByte(size_t offset) {
    std::lock_guard lock(mu_);
    flip_at_ = offset;
  }
  // Edits the decompressed NDJSON of every pack before it is recompressed.
  void TamperPack(std::function<void(std::string&)> edit) {
    std::lock_guard lock(mu_);
    tamper_ = std::move(edit);
  }
  void ClearFaults() {
    std::lock_guard lock(mu_);
    fail_first_ = fail_count_ = 0;
    refuse_credentials_ = false;
    cut_after_.reset();
    flip_at_.reset();
    tamper_ = nullptr;
  }

  // ---- gate: while held, each catalogue request waits for a ReleaseCatalogue.
  void HoldCatalogue(bool hold) {
    std::lock_guard lock(mu_);
    hold_catalogue_ = hold;
    cv_.notify_all();
  }
  void ReleaseCatalogue(int n = 1) {
    std::lock_guard lock(mu_);
    catalogue_permits_ += n;
    cv_.notify_all();
  }
  // Waits until `n` catalogue requests have arrived (held or not).
  bool WaitCatalogueRequests(int n, std::chrono::seconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return catalogue_calls_ >= n; });
  }

  // ---- what the source saw
  int calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  int catalogue_calls() {
    std::lock_guard lock(mu_);
    return catalogue_calls_;
  }
  int pack_calls() {
    std::lock_guard lock(mu_);
    return pack_calls_;
  }
  // The `have` list of the last pack request.
  std::vector<std::string> last_have() {
    std::lock_guard lock(mu_);
    return last_have_;
  }

  // The compressed size of the pack a target with `have` would get.
  size_t PackSize(const std::string& resource_id, const std::vector<std::string>& have) {
    size_t n = 0;
    Status st = service_.WritePack(resource_id, have, {}, [&](std::string_view b) {
      n += b.size();
      return true;
    });
    return st.ok() ? n : 0;
  }

  // Serves one request as the HTTP routes would.
  Result<TransportReply> Serve(const SourceEndpoint& endpoint, const std::string& method,
                               const std::string& path, const std::string& body, const ByteSink* sink);

 private:
  static int HttpStatus(const Status& st) {
    switch (st.code()) {
      case StatusCode::kNotFound: return 404;
      case StatusCode::kInvalidArgument: return 400;
      case StatusCode::kConflict:
      case StatusCode::kReadOnly: return 409;
      case StatusCode::kPermissionDenied: return 403;
      case StatusCode::kUnauthenticated: return 401;
      case StatusCode::kTooLarge: return 413;
      case StatusCode::kUnavailable: return 503;
      default: return 500;
    }
  }
  static TransportReply ErrorReply(const Status& st) {
    return {HttpStatus(st), Json{{"@type", "Error"}, {"description", st.message()}}.dump()};
  }
  static std::string Unescape(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '%' && i + 2 < s.size()) {
        out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
        i += 2;
      } else {
        out.push_back(s[i]);
      }
    }
    return out;
  }
  static Result<std::vector<std::string>> CommitList(const std::string& list, const char* name) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (!list.empty()) {
      size_t comma = list.find(',', pos);
      std::string item = list.substr(pos, comma == std::string::npos ? comma : comma - pos);
      if (!IsUuid(item)) return Status::InvalidArgument(std::string(name) + ": '" + item + "' is not a UUID");
      out.push_back(NormalizeUuid(item));
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    return out;
  }
  static Result<std::vector<std::string>> IdArray(const Json& body, const char* key) {
    std::vector<std::string> out;
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) return out;
    if (!it->is_array()) return Status::InvalidArgument(std::string("'") + key + "' must be a list of ids");
    for (const auto& v : *it) {
      if (!v.is_string() || !IsUuid(v.get<std::string>())) {
        return Status::InvalidArgument(std::string("'") + key + "' must hold UUIDs");
      }
      out.push_back(NormalizeUuid(v.get<std::string>()));
    }
    return out;
  }

  Result<TransportReply> Info();
  Result<TransportReply> CatalogueReply(const std::string& body);
  Result<TransportReply> Pack(const std::string& path_and_query, const ByteSink& sink);

  Repository& repo_;
  SourceService service_;
  std::string username_, password_;

  std::mutex mu_;
  std::condition_variable cv_;
  int calls_ = 0, catalogue_calls_ = 0, pack_calls_ = 0;
  std::vector<std::string> last_have_;
  int fail_first_ = 0, fail_count_ = 0;
  bool refuse_credentials_ = false;
  std::optional<size_t> cut_after_, flip_at_;
  std::function<void(std::string&)> tamper_;
  bool hold_catalogue_ = false;
  int catalogue_permits_ = 0;
};

class FakeTransport final : public SyncTransport {
 public:
  FakeTransport(FakeSource& source, SourceEndpoint endpoint)
      : source_(source), endpoint_(std::move(endpoint)) {}
  Result<TransportReply> Get(const std::string& path) override {
    return source_.Serve(endpoint_, "GET", path, "", nullptr);
  }
  Result<TransportReply> Post(const std::string& path, const std::string& json) override {
    return source_.Serve(endpoint_, "POST", path, json, nullptr);
  }
  Result<TransportReply> GetStream(const std::string& path, const ByteSink& sink) override {
    return source_.Serve(endpoint_, "GET", path, "", &sink);
  }

 private:
  FakeSource& source_;
  SourceEndpoint endpoint_;
};

inline TransportFactory FakeSource::Factory() {
  return [this](const SourceEndpoint& endpoint) -> std::unique_ptr<SyncTransport> {
    return std::make_unique<FakeTransport>(*this, endpoint);
  };
}

inline Result<TransportReply> FakeSource::Serve(const SourceEndpoint& endpoint,
                                                const std::string& method, const std::string& path,
                                                const std::string& body, const ByteSink* sink) {
  if (path.rfind("/sync/v1/", 0) != 0) {
    return ErrorReply(Status::NotFound("no route " + method + " " + path));
  }
  {
    std::lock_guard lock(mu_);
    int n = ++calls_;
    if (n >= fail_first_ && n - fail_first_ < fail_count_) {
      return Status::Unavailable("cannot reach the source (fake: call " + std::to_string(n) + " failed)");
    }
    if (refuse_credentials_ || endpoint.username != username_ || endpoint.password != password_) {
      return ErrorReply(Status::Unauthenticated("invalid user name or password"));
    }
  }
  if (method == "GET" && path == "/sync/v1/info") return Info();
  if (method == "POST" && path == "/sync/v1/catalogue") return CatalogueReply(body);
  if (method == "GET" && sink && path.rfind("/sync/v1/resources/", 0) == 0) return Pack(path, *sink);
  return ErrorReply(Status::NotFound("no route " + method + " " + path));
}

inline Result<TransportReply> FakeSource::Info() {
  auto id = repo_.ServerId();
  if (!id.ok()) return ErrorReply(id.status());
  Json j = {{"protocol", kSyncProtocolName},
            {"major", kSyncProtocolMajor},
            {"minor", kSyncProtocolMinor},
            {"serverId", *id},
            {"version", "0.1.0"}};
  return TransportReply{200, j.dump()};
}

inline Result<TransportReply> FakeSource::CatalogueReply(const std::string& text) {
  {
    std::unique_lock lock(mu_);
    ++catalogue_calls_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !hold_catalogue_ || catalogue_permits_ > 0; });
    if (hold_catalogue_) --catalogue_permits_;
  }
  Json body = Json::parse(text, nullptr, false);
  if (!body.is_object()) return ErrorReply(Status::InvalidArgument("catalogue request must be an object"));
  CatalogueRequest request;
  auto resources = IdArray(body, "resources");
  if (!resources.ok()) return ErrorReply(resources.status());
  auto categories = IdArray(body, "categories");
  if (!categories.ok()) return ErrorReply(categories.status());
  request.resources = *resources;
  request.categories = *categories;
  if (body.contains("tag") && !body["tag"].is_null()) {
    if (!body["tag"].is_string() || body["tag"].get<std::string>().empty()) {
      return ErrorReply(Status::InvalidArgument("'tag' must be a non-empty string"));
    }
    request.tag = body["tag"].get<std::string>();
  }
  auto catalogue = service_.BuildCatalogue(request);
  if (!catalogue.ok()) return ErrorReply(catalogue.status());
  Json entries = Json::array();
  for (const auto& e : catalogue->entries) entries.push_back(CatalogueEntryToJson(e));
  Json reply = {{"resources", entries},
                {"missing",
                 {{"resources", catalogue->missing_resources},
                  {"categories", catalogue->missing_categories}}}};
  return TransportReply{200, reply.dump()};
}

inline Result<TransportReply> FakeSource::Pack(const std::string& target, const ByteSink& sink) {
  // /sync/v1/resources/{id}/pack?have=..&want=..
  std::string path = target.substr(0, target.find('?'));
  std::string query = target.size() > path.size() ? target.substr(path.size() + 1) : "";
  const std::string prefix = "/sync/v1/resources/", suffix = "/pack";
  if (path.size() <= prefix.size() + suffix.size() ||
      path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return ErrorReply(Status::NotFound("no route GET " + path));
  }
  std::string id = Unescape(path.substr(prefix.size(), path.size() - prefix.size() - suffix.size()));
  std::map<std::string, std::string> params;
  for (size_t pos = 0; pos < query.size();) {
    size_t amp = query.find('&', pos);
    std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    size_t eq = kv.find('=');
    params[Unescape(kv.substr(0, eq))] = eq == std::string::npos ? "" : Unescape(kv.substr(eq + 1));
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  if (!IsUuid(id)) return ErrorReply(Status::InvalidArgument("resourceId: '" + id + "' is not a UUID"));
  auto resource = repo_.GetResource(NormalizeUuid(id));  // 404 before streaming
  if (!resource.ok()) return ErrorReply(resource.status());
  auto have = CommitList(params["have"], "have");
  if (!have.ok()) return ErrorReply(have.status());
  auto want = CommitList(params["want"], "want");
  if (!want.ok()) return ErrorReply(want.status());

  std::optional<size_t> cut, flip;
  std::function<void(std::string&)> tamper;
  {
    std::lock_guard lock(mu_);
    ++pack_calls_;
    last_have_ = *have;
    cut = cut_after_;
    flip = flip_at_;
    tamper = tamper_;
  }
  // The whole pack first, so faults can be placed exactly.
  std::string pack;
  Status written = service_.WritePack(resource->id, *have, *want, [&](std::string_view b) {
    pack.append(b);
    return true;
  });
  if (tamper && written.ok()) {
    std::string text;
    ZstdDecompressor unzip([&](std::string_view b) { text.append(b); return true; }, 1ull << 32);
    if (unzip.Write(pack).ok()) {
      tamper(text);
      pack.clear();
      ZstdCompressor zip([&](std::string_view b) { pack.append(b); return true; });
      Status st = zip.Write(text);
      if (st.ok()) st = zip.Finish();
      (void)st;
    }
  }
  if (flip && *flip < pack.size()) pack[*flip] = static_cast<char>(pack[*flip] ^ 0x01);
  if (cut && *cut < pack.size()) pack.resize(*cut);
  // Delivered in chunks as a network would; a sink that stops reading ends it.
  // As over HTTP, a stream that breaks after the 200 still answers 200.
  const size_t chunk = 4096;
  for (size_t pos = 0; pos < pack.size(); pos += chunk) {
    if (!sink(std::string_view(pack).substr(pos, chunk))) break;
  }
  return TransportReply{200, ""};
}

}  // namespace tandem
