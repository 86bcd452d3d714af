#include "tests/e2e/e2e_util.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

namespace tandem::e2e {

httplib::Result PostJson(httplib::Client& c, const std::string& path, const Json& body) {
  return c.Post(path, body.dump(), "application/json");
}

httplib::Result PatchJson(httplib::Client& c, const std::string& path, const Json& body) {
  return c.Patch(path, body.dump(), "application/json");
}

std::string NextLink(const std::string& header) {
  // <url>; rel="next", <url>; rel="prev"
  size_t pos = 0;
  while (pos < header.size()) {
    size_t lt = header.find('<', pos);
    size_t gt = header.find('>', lt);
    if (lt == std::string::npos || gt == std::string::npos) return "";
    size_t end = header.find(',', gt);
    std::string params = header.substr(gt + 1, end == std::string::npos ? end : end - gt - 1);
    if (params.find("rel=\"next\"") != std::string::npos) return header.substr(lt + 1, gt - lt - 1);
    if (end == std::string::npos) return "";
    pos = end + 1;
  }
  return "";
}

std::vector<Json> GetAll(httplib::Client& c, const std::string& path) {
  std::vector<Json> out;
  std::string next = path;
  for (int guard = 0; !next.empty() && guard < 10'000; ++guard) {
    auto r = c.Get(next);
    EXPECT_TRUE(r) << next;
    if (!r) return out;
    EXPECT_EQ(r->status, 200) << next << ": " << r->body;
    Json page = BodyJson(r);
    EXPECT_TRUE(page.is_array()) << r->body;
    if (!page.is_array()) return out;
    for (auto& item : page) out.push_back(std::move(item));
    next = NextLink(r->get_header_value("Link"));
  }
  return out;
}

const Json& RealModel() {
  static const Json model =
      Json::parse(ReadFile(SharedPath("data/sysml-v2/PartsTreeRedefinition.json")));
  return model;
}

bool WaitUntil(const std::function<bool()>& done, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string CreateProject(httplib::Client& c, const std::string& name) {
  auto r = PostJson(c, "/sysml/v2/projects", {{"@type", "Project"}, {"name", name}});
  EXPECT_TRUE(r);
  if (!r) return "";
  EXPECT_EQ(r->status, 201) << r->body;
  return BodyJson(r).value("@id", "");
}

std::string MergeIntoMain(httplib::Client& c, const std::string& rid, const std::string& name,
                          int round) {
  const std::string p = "/sysml/v2/projects/" + rid;
  Json project = BodyJson(c.Get(p));
  std::string main = project["defaultBranch"]["@id"];
  Json branches = BodyJson(c.Get(p + "/branches"));
  std::string side;
  for (const auto& b : branches) {
    if (b.value("name", "") == name) side = b["@id"];
  }
  if (side.empty()) {
    Json head = BodyJson(c.Get(p + "/branches/" + main))["head"];
    auto r = PostJson(c, p + "/branches", {{"@type", "Branch"}, {"name", name}, {"head", head}});
    EXPECT_EQ(r->status, 201) << r->body;
    side = BodyJson(r).value("@id", "");
  }
  // Each side renames an element of its own, so the merge has no conflict.
  const Json& model = RealModel()["change"];
  auto rename = [&](const std::string& branch, size_t i, const std::string& to) {
    Json element = model[i]["payload"];
    element["@id"] = model[i]["identity"]["@id"];
    element["declaredName"] = to;
    Json body = {{"@type", "Commit"},
                 {"change", Json::array({{{"@type", "DataVersion"},
                                          {"identity", {{"@id", element["@id"]}}},
                                          {"payload", element}}})}};
    auto r = PostJson(c, p + "/commits?branchId=" + branch, body);
    EXPECT_EQ(r->status, 201) << r->body;
    return BodyJson(r).value("@id", "");
  };
  std::string tag = "-" + std::to_string(round);
  std::string theirs = rename(side, 2 * static_cast<size_t>(round), name + tag);
  rename(main, 2 * static_cast<size_t>(round) + 1, "main" + tag);
  auto r = PostJson(c, p + "/branches/" + main + "/merge?sourceCommitId=" + theirs, Json::array());
  EXPECT_EQ(r->status, 201) << r->body;
  Json merged = BodyJson(r);
  EXPECT_EQ(merged["previousCommit"].size(), 2u) << merged.dump();
  return merged.value("@id", "");
}

// Everything about a resource's history that a copy must reproduce.
Json HistoryOracle(httplib::Client& c, const std::string& rid, OracleElements which) {
  Json resource = BodyJson(c.Get("/api/v1/resources/" + rid));
  Json out = {{"id", resource["id"]},
              {"projectId", resource["projectId"]},
              {"name", resource["name"]},
              {"description", resource["description"]}};
  Json branches = Json::array();
  std::set<std::string> heads;
  for (auto& b : GetAll(c, "/sysml/v2/projects/" + rid + "/branches")) {
    branches.push_back({{"id", b["@id"]}, {"name", b["name"]}, {"head", b["head"]}});
    if (b["head"].is_object() && b["head"]["@id"].is_string()) heads.insert(b["head"]["@id"].get<std::string>());
  }
  Json commits = Json::array();
  for (auto& commit : GetAll(c, "/api/v1/resources/" + rid + "/commits?page%5Bsize%5D=1000")) {
    std::string cid = commit["id"];
    Json record = {{"id", cid},
                   {"parents", commit["parents"]},
                   {"author", commit["author"]},
                   {"created", commit["created"]},
                   {"description", commit["description"]},
                   {"hash", commit["hash"]},
                   {"stateRoot", commit["stateRoot"]},
                   {"tags", commit["tags"]}};
    bool tagged = commit["tags"].is_array() && !commit["tags"].empty();
    if (which == OracleElements::kEveryCommit || tagged || heads.count(cid)) {
      Json elements = Json::array();
      for (auto& e : GetAll(c, "/sysml/v2/projects/" + rid + "/commits/" + cid +
                                   "/elements?page%5Bsize%5D=1000")) {
        elements.push_back(e);
      }
      record["elements"] = std::move(elements);
    }
    commits.push_back(std::move(record));
  }
  out["commits"] = commits;
  out["branches"] = branches;
  return out;
}

}  // namespace tandem::e2e
