#include "cli/commit_file.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "common/canonical_json.h"

namespace tandem {
namespace {

using nlohmann::json;

constexpr size_t kMaxProblemsShown = 10;

std::string TypeName(const json& value) { return value.type_name(); }

// Checks one change and fills in "@type" and a missing identity. Appends
// problems as "change[i]...: what".
void CheckChange(json& change, size_t index, std::vector<std::string>& problems) {
  std::string where = "change[" + std::to_string(index) + "]";
  if (!change.is_object()) {
    problems.push_back(where + ": expected a DataVersion object, got " + TypeName(change));
    return;
  }
  auto type = change.find("@type");
  if (type == change.end()) {
    change["@type"] = "DataVersion";
  } else if (*type != "DataVersion") {
    problems.push_back(where + ".@type: expected \"DataVersion\", got " + type->dump());
  }

  auto payload = change.find("payload");
  std::string payload_id;
  if (payload == change.end()) {
    problems.push_back(where + ": has no \"payload\" (an element object, or null to delete)");
  } else if (payload->is_object()) {
    auto id = payload->find("@id");
    if (id != payload->end()) {
      if (id->is_string() && !id->get<std::string>().empty()) {
        payload_id = id->get<std::string>();
      } else {
        problems.push_back(where + ".payload.@id: expected a non-empty string");
      }
    }
    auto element_type = payload->find("@type");
    if (element_type == payload->end() || !element_type->is_string() ||
        element_type->get<std::string>().empty()) {
      problems.push_back(where + ".payload: has no \"@type\" string (e.g. \"PartDefinition\")");
    }
  } else if (!payload->is_null()) {
    problems.push_back(where + ".payload: expected an element object or null, got " +
                       TypeName(*payload));
  }

  auto identity = change.find("identity");
  if (identity == change.end()) {
    if (payload_id.empty()) {
      problems.push_back(where + ": has no \"identity\": {\"@id\": ...} naming the element");
    } else {
      change["identity"] = {{"@id", payload_id}};
    }
    return;
  }
  if (!identity->is_object()) {
    problems.push_back(where + ".identity: expected {\"@id\": ...}, got " + TypeName(*identity));
    return;
  }
  auto id = identity->find("@id");
  if (id == identity->end() || !id->is_string() || id->get<std::string>().empty()) {
    problems.push_back(where + ".identity: has no \"@id\" string");
  } else if (!payload_id.empty() && payload_id != id->get<std::string>()) {
    problems.push_back(where + ": payload.@id " + payload_id + " differs from identity.@id " +
                       id->get<std::string>());
  }
}

}  // namespace

Result<std::string> ReadCommitFile(const std::string& path, std::istream& in) {
  std::ostringstream text;
  if (path == "-") {
    text << in.rdbuf();
    if (in.bad()) return Status::InvalidArgument("cannot read the commit from standard input");
    return text.str();
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::InvalidArgument("cannot open commit file " + path);
  text << file.rdbuf();
  if (file.bad()) return Status::InvalidArgument("cannot read commit file " + path);
  return text.str();
}

Result<json> ParseCommitFile(std::string_view text, std::string_view source) {
  std::string name(source == "-" ? "standard input" : source);
  json parsed;
  try {
    parsed = json::parse(text);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    size_t bracket = what.find("] ");  // drop "[json.exception.parse_error.101] "
    if (bracket != std::string::npos) what = what.substr(bracket + 2);
    return Status::InvalidArgument(name + " is not valid JSON: " + what);
  }
  // Parsing and freeing a deep document do not recurse, but sending it would
  // (dump); the server refuses anything this deep anyway.
  if (JsonDepth(parsed) > kMaxJsonDepthCeiling) {
    return Status::InvalidArgument(name + " nests deeper than " +
                                   std::to_string(kMaxJsonDepthCeiling) + " levels");
  }

  json body;
  if (parsed.is_array()) {
    body = {{"@type", "Commit"}, {"change", std::move(parsed)}};
  } else if (parsed.is_object()) {
    auto type = parsed.find("@type");
    if (type != parsed.end() && *type != "Commit") {
      return Status::InvalidArgument(name + ": \"@type\" is " + type->dump() +
                                     ", expected \"Commit\" (or give a bare array of changes)");
    }
    auto change = parsed.find("change");
    if (change == parsed.end()) {
      return Status::InvalidArgument(name +
                                     ": the object has no \"change\" array; expected "
                                     "{\"change\": [...]} or a bare array of changes");
    }
    if (!change->is_array()) {
      return Status::InvalidArgument(name +
                                     ": \"change\" must be an array of DataVersion "
                                     "objects, got " +
                                     TypeName(*change));
    }
    body = std::move(parsed);
    body["@type"] = "Commit";
  } else {
    return Status::InvalidArgument(name +
                                   ": expected a commit object {\"change\": [...]} or an "
                                   "array of changes, got " +
                                   TypeName(parsed));
  }

  std::vector<std::string> problems;
  json& changes = body["change"];
  for (size_t i = 0; i < changes.size(); ++i) CheckChange(changes[i], i, problems);
  if (!problems.empty()) {
    std::string message = name + ": " + std::to_string(problems.size()) +
                          (problems.size() == 1 ? " problem" : " problems");
    for (size_t i = 0; i < problems.size() && i < kMaxProblemsShown; ++i) {
      message += "\n  " + problems[i];
    }
    if (problems.size() > kMaxProblemsShown) {
      message += "\n  ... and " + std::to_string(problems.size() - kMaxProblemsShown) + " more";
    }
    return Status::InvalidArgument(message);
  }
  return body;
}

ChangeCounts CountChanges(const json& commit_body) {
  ChangeCounts counts;
  auto changes = commit_body.find("change");
  if (changes == commit_body.end() || !changes->is_array()) return counts;
  for (const auto& change : *changes) {
    auto payload = change.find("payload");
    if (payload != change.end() && payload->is_null()) {
      ++counts.deleted;
    } else {
      ++counts.written;
    }
  }
  return counts;
}

}  // namespace tandem
