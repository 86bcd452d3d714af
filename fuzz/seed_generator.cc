// Writes the seed corpora of the fuzz targets with the project's own code:
// the real 228-element model (../shared/data/sysml-v2) committed into a
// temporary repository in a few commits, then its pack stream, bundles, the
// catalogue, info and change-feed answers, commit bodies and element texts,
// plus small hand-written application.conf files, query strings and HTTP
// requests. Usage: fuzz_seed_generator MODEL.json OUT_DIR; OUT_DIR/<target>/
// gets one file per seed. Run by fuzz/run-fuzzers; seeds are never committed.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "api/admin_json.h"
#include "api/sysml_json.h"
#include "fuzz/fuzz_repository.h"
#include "sync/bundle_creator.h"
#include "sync/protocol.h"
#include "sync/source_service.h"
#include "sync/sync_codec.h"

namespace tandem {
namespace {

namespace fs = std::filesystem;

// The model's commits are this big; the pack and bundle seeds of the model
// hold its last commit only: a whole-model input takes the import target
// about a second under the sanitizers, and mutations of it as long.
constexpr size_t kModelCommitElements = 20;
// Elements of a small project: short payloads, so its seeds stay small.
constexpr size_t kSmallElements = 24;
constexpr size_t kSmallPayloadBytes = 1500;
// The longest input fuzz/run-fuzzers gives the pack target (-max_len).
constexpr size_t kMaxPackSeedBytes = 64 << 10;
// Elements per commit-body seed.
constexpr size_t kBodyElements = 4;

template <class T>
T Must(Result<T> r, const char* what) {
  FuzzCheck(r.status(), what);
  return std::move(r).value();
}

class Seeds {
 public:
  explicit Seeds(fs::path out) : out_(std::move(out)) {}
  void Write(const std::string& target, const std::string& name, std::string_view bytes) {
    fs::create_directories(out_ / target);
    std::ofstream f(out_ / target / name, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) FuzzCheck(Status::IOError("cannot write seed " + name), "writing seeds");
    ++count_;
  }
  int count() const { return count_; }

 private:
  fs::path out_;
  int count_ = 0;
};

Json Body(const std::vector<Json>& changes, const std::optional<std::string>& previous = std::nullopt) {
  Json body{{"@type", "Commit"}, {"change", changes}};
  if (previous) body["previousCommit"] = {{"@id", *previous}};
  return body;
}

Commit CommitBody(Repository& repo, const std::string& project, const Json& body) {
  CommitRequest req = Must(ParseCommitRequest(body), "parsing a model commit");
  return Must(repo.CreateCommit(project, req, "seed"), "committing the model");
}

std::string Pack(SourceService& source, const std::string& resource_id,
                 const std::vector<std::string>& have = {}) {
  std::string out;
  FuzzCheck(source.WritePack(resource_id, have, {}, [&](std::string_view b) {
              out.append(b);
              return true;
            }),
            "writing a pack");
  return out;
}

std::string Decompressed(std::string_view compressed) {
  std::string out;
  ZstdDecompressor z([&](std::string_view b) { out.append(b); return true; }, 1ull << 32);
  FuzzCheck(z.Write(compressed), "decompressing a pack");
  return out;
}

std::string Bundle(Repository& repo, SourceService& source, Clock& clock, const BundleRequest& request) {
  BundleCreator creator(repo, source, clock);
  BundlePlan plan = Must(creator.Plan(request), "planning a bundle");
  std::string out;
  FuzzCheck(creator.Write(plan, [&](std::string_view b) { out.append(b); return true; }), "writing a bundle");
  return out;
}

int Generate(const std::string& model_path, const fs::path& out_dir) {
  std::ifstream model_file(model_path, std::ios::binary);
  std::stringstream text;
  text << model_file.rdbuf();
  if (!model_file) FuzzCheck(Status::IOError("cannot read " + model_path), "reading the model");
  Json model = Must(ParseJson(text.str(), model_path), "parsing the model");
  const Json& all = model["change"];

  FuzzRepository fuzz;
  Repository& repo = fuzz.repo();
  SourceService source(repo);
  Seeds seeds(out_dir);

  // The whole model in commits of kModelCommitElements.
  Resource big = Must(repo.CreateResource({"PartsTreeRedefinition", std::string("the shared model"),
                                           std::nullopt, std::nullopt}),
                      "creating the model's project");
  std::vector<Commit> big_commits;
  for (size_t start = 0; start < all.size(); start += kModelCommitElements) {
    std::vector<Json> part(all.begin() + start,
                           all.begin() + std::min(all.size(), start + kModelCommitElements));
    big_commits.push_back(CommitBody(repo, big.id, Body(part)));
  }

  // A small project of short elements: several commits, an edit, a deletion,
  // a branch and a tag, so its pack and bundle hold every kind of record.
  std::vector<Json> small_changes;
  for (const auto& ch : all) {
    if (ch["payload"].dump().size() <= kSmallPayloadBytes) small_changes.push_back(ch);
    if (small_changes.size() == kSmallElements) break;
  }
  Resource small = Must(repo.CreateResource({"small", std::nullopt, std::nullopt, std::nullopt}),
                        "creating the small project");
  std::vector<Commit> small_commits;
  for (size_t i = 0; i < small_changes.size(); i += 8) {
    std::vector<Json> part(small_changes.begin() + i,
                           small_changes.begin() + std::min(small_changes.size(), i + 8));
    small_commits.push_back(CommitBody(repo, small.id, Body(part)));
  }
  Json edited = small_changes[0];
  edited["payload"]["declaredName"] = "renamed by the seed generator";
  Json deleted{{"identity", small_changes[1]["identity"]}, {"payload", nullptr}};
  small_commits.push_back(CommitBody(repo, small.id, Body({edited, deleted}, small_commits.back().id)));
  Must(repo.CreateBranch(small.id, "variant", small_commits[1].id), "creating a branch");
  Must(repo.CreateTag(small.id, "v1", small_commits.back().id, std::string("first release")),
       "creating a tag");

  // pack_stream: mode byte (0: NDJSON, the target compresses; 1: compressed),
  // the resource id, the stream.
  auto pack_seed = [&](const std::string& name, const Resource& r, const std::string& pack) {
    std::string ndjson = Decompressed(pack);
    if (ndjson.size() <= kMaxPackSeedBytes) {
      seeds.Write("pack_stream_fuzzer", name + "-ndjson", std::string(1, '\0') + r.id + ndjson);
    }
    seeds.Write("pack_stream_fuzzer", name + "-zstd", std::string(1, '\1') + r.id + pack);
  };
  pack_seed("small", small, Pack(source, small.id));
  pack_seed("small-since-first", small, Pack(source, small.id, {small_commits[0].id}));
  pack_seed("small-last", small, Pack(source, small.id, {small_commits[small_commits.size() - 2].id}));
  pack_seed("model-last", big, Pack(source, big.id, {big_commits[big_commits.size() - 2].id}));

  // bundle: whole projects, and one since an earlier state.
  seeds.Write("bundle_fuzzer", "small", Bundle(repo, source, fuzz.clock(), {{small.id}, {}, {}}));
  seeds.Write("bundle_fuzzer", "small-since",
              Bundle(repo, source, fuzz.clock(), {{small.id}, {}, {{small.id, {small_commits[1].id}}}}));
  seeds.Write("bundle_fuzzer", "model-last",
              Bundle(repo, source, fuzz.clock(), {{big.id}, {}, {{big.id, {big_commits[big_commits.size() - 2].id}}}}));
  seeds.Write("bundle_fuzzer", "both-by-category",
              Bundle(repo, source, fuzz.clock(), {{}, {Must(repo.RootCategoryId(), "root")},
                                                 {{big.id, {big_commits[big_commits.size() - 2].id}}}}));

  // sync_answers: what a source answers, encoded by the routes' own codec.
  SourceInfo info{Must(repo.ServerId(), "server id"), kSyncProtocolMajor, kSyncProtocolMinor, "0.1.0"};
  seeds.Write("sync_answers_fuzzer", "info", InfoToJson(info).dump());
  CatalogueRequest by_id{{small.id, big.id}, {}, std::nullopt, std::nullopt};
  CatalogueRequest by_category{{}, {Must(repo.RootCategoryId(), "root")}, std::string("v1"), std::nullopt};
  CatalogueRequest since = by_id;
  since.since = Must(repo.FeedPosition(), "feed position");
  seeds.Write("sync_answers_fuzzer", "catalogue",
              CatalogueToJson(Must(source.BuildCatalogue(by_id), "catalogue")).dump());
  seeds.Write("sync_answers_fuzzer", "catalogue-tagged",
              CatalogueToJson(Must(source.BuildCatalogue(by_category), "catalogue")).dump());
  seeds.Write("sync_answers_fuzzer", "catalogue-unchanged",
              CatalogueToJson(Must(source.BuildCatalogue(since), "catalogue")).dump());
  seeds.Write("sync_answers_fuzzer", "catalogue-request-since", CatalogueRequestToJson(since).dump());
  seeds.Write("sync_answers_fuzzer", "catalogue-request", CatalogueRequestToJson(by_id).dump());
  seeds.Write("sync_answers_fuzzer", "catalogue-request-tag", CatalogueRequestToJson(by_category).dump());
  auto events = Must(repo.Changes(0, 1000, std::chrono::milliseconds(0)), "reading the change feed");
  Json items = Json::array();
  for (const auto& e : events) items.push_back(EventRecord(e));
  int64_t head = Must(repo.LastEventSeq(), "last event");
  seeds.Write("sync_answers_fuzzer", "changes",
              Json{{"events", items}, {"lastSeq", events.empty() ? 0 : events.back().seq}, {"headSeq", head}}.dump());
  seeds.Write("sync_answers_fuzzer", "changes-empty",
              Json{{"events", Json::array()}, {"lastSeq", head}, {"headSeq", head}}.dump());
  seeds.Write("sync_answers_fuzzer", "error", ErrorJson("project not found").dump());

  // commit_body: slices of the model as SysML v2 CommitRequests.
  for (size_t i = 0, n = 0; i < all.size() && n < 24; i += 9, ++n) {
    std::vector<Json> part(all.begin() + i, all.begin() + std::min(all.size(), i + kBodyElements));
    if (Body(part).dump().size() > (64u << 10)) continue;
    seeds.Write("commit_body_fuzzer", "model-" + std::to_string(i), Body(part).dump(1));
  }
  seeds.Write("commit_body_fuzzer", "edit-delete", Body({edited, deleted}, small_commits[0].id).dump());
  seeds.Write("commit_body_fuzzer", "minimal",
              R"({"@type":"Commit","change":[{"@type":"DataVersion","payload":{"@type":"PartUsage","declaredName":"x"}}]})");

  // canonical_json: element versions as stored (canonical texts), and JSON odds and ends.
  for (size_t i = 0; i < small_changes.size(); i += 6) {
    seeds.Write("canonical_json_fuzzer", "element-" + std::to_string(i),
                Must(CanonicalJson(small_changes[i]["payload"]), "canonical text"));
  }
  seeds.Write("canonical_json_fuzzer", "numbers", R"([0,-0,1e300,-1.5e-7,18446744073709551615,-9223372036854775808,0.1])");
  seeds.Write("canonical_json_fuzzer", "strings", R"({"b":"\u00e9\ud83d\ude00\n","a":"\"\\/","":null})");

  // sysml_query: Query requests in the schema's and the pilot's forms.
  const std::vector<std::string> sysml_queries = {
      R"({"@type":"Query","name":"parts","select":["name"],"where":{"@type":"PrimitiveConstraint","inverse":false,"operator":"=","property":"@type","value":["PartUsage"]}})",
      R"({"where":{"operator":"instanceOf","property":"@type","value":"Usage"}})",
      R"({"where":{"@type":"CompositeConstraint","operator":"and","constraint":[{"operator":"in","property":"name","value":["wheel","Vehicle",null]},{"operator":"=","property":"owner","value":{"@id":"0a1b2c3d-0000-4000-8000-000000000002"},"inverse":true}]}})",
      R"({"where":{"operator":"or","constraint":[{"operator":">=","property":"value","value":4},{"operator":"<","property":"memberShortName","value":"l"}]}})",
      R"({"where":{"operator":"or","constraint":[{"operator":"=","property":"isComposite","value":[true]}]}})",
  };
  for (size_t i = 0; i < sysml_queries.size(); ++i) {
    seeds.Write("sysml_query_fuzzer", "q" + std::to_string(i), sysml_queries[i]);
  }

  // query: request targets with ids of the small project.
  const std::string p = "/sysml/v2/projects/" + small.id;
  const std::string c0 = small_commits[0].id, c1 = small_commits[1].id;
  std::vector<std::string> queries = {
      p + "/commits?page[size]=2",
      p + "/commits?page[size]=2&page[after]=" + c0,
      p + "/commits/" + c1 + "/elements?page[before]=" + c0 + "&page[size]=1000",
      p + "/commits/" + c1 + "/diff?baseCommitId=" + c0 + "&page[size]=10",
      p + "/commits?branchId=" + small.default_branch_id,
      "/sync/v1/resources/" + small.id + "/pack?have=" + c0 + "%2C" + c1 + "&want=" + c1,
      "/api/v1/changes?since=3&wait=30&limit=1000",
      "/sysml/v2/projects?page%5Bsize%5D=5&name=a+b%20c&x=%ZZ&&=&y",
  };
  for (size_t i = 0; i < queries.size(); ++i) seeds.Write("query_fuzzer", "q" + std::to_string(i), queries[i]);

  // http_head: first byte = piece size - 1, then the bytes of a connection.
  std::string commit_body = Body({small_changes[2]}).dump();
  std::vector<std::string> requests = {
      "GET " + p + "/commits?page[size]=2 HTTP/1.1\r\nHost: localhost:8111\r\n"
      "Authorization: Basic YWxpY2U6c2VjcmV0\r\nAccept: application/json\r\n\r\n",
      "POST " + p + "/commits HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
      "Content-Length: " + std::to_string(commit_body.size()) + "\r\n\r\n" + commit_body,
      "POST /api/v1/bundles/uploads HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
      "Content-Type: application/vnd.tandem.bundle\r\nExpect: 100-continue\r\n\r\n"
      "5\r\nTNDMB\r\n3;ext=1\r\nNDL\r\n0\r\nTrailer: x\r\n\r\n",
      "GET /sync/v1/info HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.1\r\n\r\n",
      "PATCH /api/v1/resources/x HTTP/1.1\r\nContent-Length: 2\r\nContent-Encoding: gzip\r\n\r\n{}",
  };
  for (size_t i = 0; i < requests.size(); ++i) {
    seeds.Write("http_head_fuzzer", "r" + std::to_string(i), std::string(1, i == 0 ? '\xff' : char(i * 7)) + requests[i]);
  }

  // application_conf: the documented forms.
  std::vector<std::string> confs = {
      "# application.conf\nserver {\n  port = 8111\n  bind: \"127.0.0.1\"\n  data-dir = /var/lib/tandem"
      "     // comments\n}\nsysml.post-status = 200\n",
      "server.port = 8111, server.threads = 4\nserver.max-body-bytes = 67108864\n"
      "sync { max-pack-bytes = 1000000, read-timeout-seconds = 30 }\n\"a.b\".c = [1, [2, \"x\"], true,]\n",
      "{\n  esi.server.sync.tls-enabled = true\n  server.https-port = 8443\n  server.tls-cert = \"/tmp/c.pem\"\n"
      "  server.tls-key = \"/tmp/k.pem\"\n  twc.client.keystore { path = \"/tmp/k.p12\", type = PKCS12, password = \"x\" }\n}\n",
      "log.level = debug\nauth { token-ttl-seconds = 3600, max-failed-logins = 5 }\nstorage.write-wait-ms = 100\n"
      "a = {x = 1}\na = 5\na = {y = 2}\nunknown.key = null\n",
  };
  for (size_t i = 0; i < confs.size(); ++i) seeds.Write("application_conf_fuzzer", "c" + std::to_string(i), confs[i]);

  std::printf("fuzz_seed_generator: %d seeds in %s\n", seeds.count(), out_dir.string().c_str());
  return 0;
}

}  // namespace
}  // namespace tandem

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s MODEL.json OUT_DIR\n", argv[0]);
    return 2;
  }
  return tandem::Generate(argv[1], argv[2]);
}
