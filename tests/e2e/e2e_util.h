// Small helpers shared by the end-to-end tests: JSON requests, walking
// paginated lists through their Link headers, and the real model in shared/.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tests/e2e/server_process.h"

namespace tandem::e2e {

httplib::Result PostJson(httplib::Client& c, const std::string& path, const Json& body);
httplib::Result PatchJson(httplib::Client& c, const std::string& path, const Json& body);
// Follows rel="next" links from `path`, concatenating the JSON arrays.
std::vector<Json> GetAll(httplib::Client& c, const std::string& path);
// The "next" target of a Link header, or "" if none.
std::string NextLink(const std::string& link_header);

// Polls `done` every 50 ms until it holds (true) or `seconds` pass (false).
bool WaitUntil(const std::function<bool()>& done, int seconds = 20);

// The 228-element commit body from shared/data/sysml-v2.
const Json& RealModel();

// Creates a project (SysML API) and returns its @id.
std::string CreateProject(httplib::Client& c, const std::string& name);

// Commits a rename of one element of the real model on branch `name`
// (created at main's head when missing) and of another on main, then merges
// the branch into main: a merge commit with two parents, whose id it returns.
// `round` (0, 1, ...) picks elements no earlier round renamed. The project
// must hold the real model.
std::string MergeIntoMain(httplib::Client& c, const std::string& rid, const std::string& name,
                          int round);

// Which commits' elements a history oracle holds.
enum class OracleElements {
  kEveryCommit,
  // Only those of branch heads and tagged commits; the others are known by
  // their hash and state root. Equal to a full oracle's verdict on a copy that
  // passes `datamanager --verify`, which recomputes every commit's state root
  // from its stored elements (the campaigns check both, much faster).
  kHeadsAndTags,
};

// Everything about a resource's history that a synchronized copy must
// reproduce: ids, metadata, every commit with its hash, state root, tags and
// elements (of the commits `elements` says), and the branches.
Json HistoryOracle(httplib::Client& c, const std::string& rid,
                   OracleElements elements = OracleElements::kEveryCommit);

}  // namespace tandem::e2e
