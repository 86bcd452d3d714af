#include "sync/sync_codec.h"

#include <map>
#include <set>

#include "common/ids.h"
#include "common/percent_encoding.h"
#include "common/strings.h"

namespace tandem {
namespace {

// At most this many ids in one catalogue request list, and entries in one catalogue.
constexpr size_t kMaxCatalogueIds = 100'000;

// A feed position token: "0", or "<seq>:<time>" (Repository::FeedPosition).
bool IsFeedPosition(const Json& v) {
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  if (s.empty() || s.size() > 48) return false;
  size_t colons = 0;
  for (char c : s) {
    if (c == ':') {
      ++colons;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return colons <= 1 && s.front() != ':' && s.back() != ':';
}

// A name or description of a browsed record: a string of at most `max`
// bytes (what a page shows; the source's own limits are its business).
Result<std::string> BrowsedText(const Json& j, const char* key, size_t max, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) return Status::Corruption(std::string("a record has no '") + key + "'");
    return std::string();
  }
  if (!it->is_string()) return Status::Corruption(std::string("'") + key + "' is not a string");
  const std::string& v = it->get_ref<const std::string&>();
  if (v.size() > max) {
    return Status::Corruption(std::string("'") + key + "' is longer than " + std::to_string(max) +
                              " bytes");
  }
  return v;
}

Result<std::string> BrowsedId(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string() || !IsUuid(it->get_ref<const std::string&>())) {
    return Status::Corruption(std::string("'") + key + "' is not a UUID");
  }
  return NormalizeUuid(it->get<std::string>());
}

// The array of records of a browse answer, bounded.
Result<const Json*> BrowsedArray(const Json& j, const char* what) {
  if (!j.is_array())
    return Status::Corruption(std::string("the list of ") + what + " is not an array");
  if (j.size() > kMaxBrowsedItems) {
    return Status::Corruption(std::string("more than ") + std::to_string(kMaxBrowsedItems) + " " +
                              what);
  }
  return &j;
}

constexpr size_t kMaxBrowsedName = 512;
constexpr size_t kMaxBrowsedDescription = 1024;
// Fields and punctuation a browse answer may hold: a few dozen per record.
constexpr size_t kMaxBrowsedTokens = kMaxBrowsedItems * 40;

// Whether `text` holds more than `limit` JSON items (counted by the ',', ':',
// '[' and '{' outside strings), read before it is parsed: a small answer of
// empty objects would otherwise cost tens of times its size in memory.
bool HoldsMoreTokensThan(std::string_view text, size_t limit) {
  size_t n = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if ((c == ',' || c == ':' || c == '[' || c == '{') && ++n > limit) {
      return true;
    }
  }
  return false;
}

// A browse answer parsed (discarded when it is not JSON), refused unparsed
// when it holds too many items.
Result<Json> ParseBrowseAnswer(std::string_view body) {
  if (HoldsMoreTokensThan(body, kMaxBrowsedTokens)) {
    return Status::Corruption("the answer holds more than " + std::to_string(kMaxBrowsedTokens) +
                              " fields (at most " + std::to_string(kMaxBrowsedItems) + " records)");
  }
  return ParseJsonOrDiscarded(body, kMaxAnswerDepth);
}

}  // namespace

Result<std::vector<std::string>> UuidList(const Json& body, const char* key) {
  std::vector<std::string> out;
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_array()) {
    return Status::InvalidArgument(std::string("'") + key + "' must be a list of ids");
  }
  if (it->size() > kMaxCatalogueIds) {
    return Status::InvalidArgument(std::string("'") + key + "' holds more than " +
                                   std::to_string(kMaxCatalogueIds) + " ids");
  }
  for (const auto& v : *it) {
    if (!v.is_string() || !IsUuid(v.get<std::string>())) {
      return Status::InvalidArgument(std::string("'") + key + "' must hold UUIDs");
    }
    out.push_back(NormalizeUuid(v.get<std::string>()));
  }
  return out;
}

Json InfoToJson(const SourceInfo& info) {
  return {{"protocol", kSyncProtocolName},
          {"major", info.major},
          {"minor", info.minor},
          {"serverId", info.server_id},
          {"version", info.version}};
}

Result<SourceInfo> InfoFromJson(const Json& j) {
  if (!j.is_object() || JsonString(j, "protocol") != kSyncProtocolName || !j.contains("major") ||
      !j["major"].is_number_integer() || !j.contains("serverId") || !j["serverId"].is_string() ||
      !IsUuid(j["serverId"].get<std::string>())) {
    return Status::InvalidArgument("the answer to " + std::string(kInfoPath) +
                                   " is not a tandem-sync server description");
  }
  int64_t major = JsonInt(j, "major", -1), minor = JsonInt(j, "minor", 0);
  if (major < 0 || major > 1'000'000 || minor < 0 || minor > 1'000'000) {
    return Status::InvalidArgument("the protocol version in " + std::string(kInfoPath) +
                                   " is out of range");
  }
  std::string version = JsonString(j, "version").substr(0, 64);
  return SourceInfo{NormalizeUuid(j["serverId"].get<std::string>()), static_cast<int>(major),
                    static_cast<int>(minor), version};
}

Status CheckSourceInfo(const SourceInfo& info) {
  if (info.major == kSyncProtocolMajor) return Status::Ok();
  return Status::InvalidArgument("the source speaks tandem-sync " + std::to_string(info.major) +
                                 ".x and this server " + std::to_string(kSyncProtocolMajor) +
                                 ".x; synchronization needs the same major version");
}

Json CatalogueRequestToJson(const CatalogueRequest& request) {
  Json body = {{"resources", request.resources}, {"categories", request.categories}};
  if (request.tag) body["tag"] = *request.tag;
  if (request.since) body["since"] = *request.since;
  return body;
}

Result<CatalogueRequest> CatalogueRequestFromJson(const Json& body) {
  if (!body.is_object()) return Status::InvalidArgument("catalogue request must be an object");
  CatalogueRequest request;
  ASSIGN_OR_RETURN(request.resources, UuidList(body, "resources"));
  ASSIGN_OR_RETURN(request.categories, UuidList(body, "categories"));
  if (body.contains("tag") && !body["tag"].is_null()) {
    if (!body["tag"].is_string() || body["tag"].get<std::string>().empty()) {
      return Status::InvalidArgument("'tag' must be a non-empty string");
    }
    request.tag = body["tag"].get<std::string>();
  }
  if (body.contains("since") && !body["since"].is_null()) {
    if (!IsFeedPosition(body["since"])) {
      return Status::InvalidArgument("'since' must be the 'position' of an earlier catalogue answer");
    }
    request.since = body["since"].get<std::string>();
  }
  return request;
}

Json CatalogueToJson(const Catalogue& catalogue) {
  if (catalogue.unchanged) return {{"unchanged", true}, {"position", catalogue.position}};
  Json entries = Json::array();
  for (const auto& e : catalogue.entries) entries.push_back(CatalogueEntryToJson(e));
  Json out = {{"resources", entries},
              {"missing",
               {{"resources", catalogue.missing_resources},
                {"categories", catalogue.missing_categories}}}};
  if (!catalogue.position.empty()) out["position"] = catalogue.position;
  return out;
}

Result<Catalogue> CatalogueFromJson(const Json& j) {
  std::string position;
  if (j.is_object() && j.contains("position")) {
    if (!IsFeedPosition(j["position"])) {
      return Status::Corruption("the catalogue is malformed: 'position' is not a feed position");
    }
    position = j["position"].get<std::string>();
  }
  if (j.is_object() && j.contains("unchanged") && j["unchanged"] == true) {
    if (position.empty()) {
      return Status::Corruption("the catalogue is malformed: 'unchanged' without a 'position'");
    }
    Catalogue unchanged;
    unchanged.unchanged = true;
    unchanged.position = std::move(position);
    return unchanged;
  }
  if (!j.is_object() || !j.contains("resources") || !j["resources"].is_array()) {
    return Status::Corruption("the catalogue is malformed: 'resources' must be an array");
  }
  if (j["resources"].size() > kMaxCatalogueIds) {
    return Status::Corruption("the catalogue lists more than " + std::to_string(kMaxCatalogueIds) +
                              " resources");
  }
  Catalogue out;
  for (const auto& e : j["resources"]) {
    auto entry = CatalogueEntryFromJson(e);
    if (!entry.ok()) return Status::Corruption(entry.status().message());
    out.entries.push_back(std::move(entry).value());
  }
  if (j.contains("missing") && j["missing"].is_object()) {
    auto missing_resources = UuidList(j["missing"], "resources");
    auto missing_categories = UuidList(j["missing"], "categories");
    if (!missing_resources.ok() || !missing_categories.ok()) {
      return Status::Corruption("the catalogue is malformed: 'missing' must list UUIDs");
    }
    out.missing_resources = std::move(missing_resources).value();
    out.missing_categories = std::move(missing_categories).value();
  }
  out.position = std::move(position);
  return out;
}

std::string PackTarget(const PackRequest& request) {
  std::string path = "/sync/v1/resources/" + PercentEncode(request.resource_id) +
                     "/pack?have=" + PercentEncode(Join(request.have, ","));
  if (!request.want.empty()) path += "&want=" + PercentEncode(Join(request.want, ","));
  return path;
}

Result<std::vector<std::string>> CommitIdList(const std::string& list, const char* name) {
  std::vector<std::string> out;
  if (list.empty()) return out;
  size_t pos = 0;
  while (true) {
    size_t comma = list.find(',', pos);
    std::string item = list.substr(pos, comma == std::string::npos ? comma : comma - pos);
    if (!IsUuid(item)) {
      return Status::InvalidArgument(std::string(name) + ": '" + item.substr(0, 40) +
                                     "' is not a UUID");
    }
    out.push_back(NormalizeUuid(item));
    if (out.size() > kMaxPackRequestIds) {
      return Status::InvalidArgument(std::string(name) + ": more than " +
                                     std::to_string(kMaxPackRequestIds) + " commits");
    }
    if (comma == std::string::npos) return out;
    pos = comma + 1;
  }
}

std::string ChangesTarget(int64_t since, std::chrono::seconds wait) {
  if (since < 0) return "/api/v1/changes?limit=1&since=" + std::to_string(INT64_MAX - 1);
  return "/api/v1/changes?limit=1000&wait=" + std::to_string(wait.count()) +
         "&since=" + std::to_string(since);
}

Result<ChangePage> ChangePageFromJson(const Json& j) {
  ChangePage page;
  page.head_seq = JsonInt(j, "headSeq", -1);
  page.last_seq = JsonInt(j, "lastSeq", -1);
  if (!j.is_object() || page.head_seq < 0 || page.last_seq < 0 || !j.contains("events") ||
      !j["events"].is_array() || j["events"].size() > 1000) {
    return Status::Corruption("the change feed's answer is malformed (headSeq, lastSeq, events)");
  }
  for (const auto& e : j["events"]) {
    if (!e.is_object()) return Status::Corruption("the change feed holds an event that is not an object");
    SourceChange c;
    c.seq = JsonInt(e, "seq", 0);
    c.type = JsonString(e, "type").substr(0, 64);
    c.resource_id = JsonString(e, "resourceId");
    if (!c.resource_id.empty()) {
      if (!IsUuid(c.resource_id)) return Status::Corruption("the change feed names a resource that is not a UUID");
      c.resource_id = NormalizeUuid(c.resource_id);
    }
    c.name = JsonString(e, "name").substr(0, 1024);
    page.events.push_back(std::move(c));
  }
  return page;
}

Result<SourceInfo> InfoFromAnswer(std::string_view body) {
  return InfoFromJson(ParseJsonOrDiscarded(body, kMaxAnswerDepth));
}

Result<Catalogue> CatalogueFromAnswer(std::string_view body) {
  return CatalogueFromJson(ParseJsonOrDiscarded(body, kMaxAnswerDepth));
}

Result<ChangePage> ChangePageFromAnswer(std::string_view body) {
  return ChangePageFromJson(ParseJsonOrDiscarded(body, kMaxAnswerDepth));
}

std::string BrowseResourcesTarget(const std::string& after) {
  std::string target = "/api/v1/resources?page[size]=" + std::to_string(kBrowsePageSize);
  if (!after.empty()) target += "&page[after]=" + PercentEncode(after);
  return target;
}

Result<std::vector<BrowsedCategory>> CategoriesFromAnswer(std::string_view body) {
  ASSIGN_OR_RETURN(Json j, ParseBrowseAnswer(body));
  ASSIGN_OR_RETURN(const Json* list, BrowsedArray(j, "categories"));
  std::vector<BrowsedCategory> out;
  out.reserve(list->size());
  for (const auto& c : *list) {
    if (!c.is_object()) return Status::Corruption("a category is not an object");
    BrowsedCategory b;
    ASSIGN_OR_RETURN(b.id, BrowsedId(c, "id"));
    ASSIGN_OR_RETURN(b.name, BrowsedText(c, "name", kMaxBrowsedName, true));
    ASSIGN_OR_RETURN(b.description, BrowsedText(c, "description", kMaxBrowsedDescription, false));
    if (c.contains("parentId") && !c["parentId"].is_null()) {
      ASSIGN_OR_RETURN(b.parent_id, BrowsedId(c, "parentId"));
    }
    out.push_back(std::move(b));
  }
  return out;
}

Result<std::vector<BrowsedResource>> ResourcesFromAnswer(std::string_view body) {
  ASSIGN_OR_RETURN(Json j, ParseBrowseAnswer(body));
  ASSIGN_OR_RETURN(const Json* list, BrowsedArray(j, "resources"));
  std::vector<BrowsedResource> out;
  out.reserve(list->size());
  for (const auto& r : *list) {
    if (!r.is_object()) return Status::Corruption("a resource is not an object");
    BrowsedResource b;
    ASSIGN_OR_RETURN(b.id, BrowsedId(r, "id"));
    ASSIGN_OR_RETURN(b.project_id, BrowsedText(r, "projectId", kMaxBrowsedName, true));
    ASSIGN_OR_RETURN(b.name, BrowsedText(r, "name", kMaxBrowsedName, true));
    ASSIGN_OR_RETURN(b.category_id, BrowsedId(r, "categoryId"));
    auto ro = r.find("readOnly");
    if (ro != r.end() && !ro->is_boolean())
      return Status::Corruption("'readOnly' is not a boolean");
    b.read_only = ro != r.end() && ro->get<bool>();
    out.push_back(std::move(b));
  }
  return out;
}

Status CheckSourceTree(const SourceTree& tree) {
  std::map<std::string, const BrowsedCategory*> by_id;
  for (const auto& c : tree.categories) {
    if (!by_id.emplace(c.id, &c).second)
      return Status::Corruption("category " + c.id + " is listed twice");
  }
  // Walk up from each category until the root or a category already known
  // to reach it: linear in the number of categories, however deep the tree.
  enum Mark { kOnPath = 1, kReachesRoot = 2 };
  std::map<std::string, int> marks;
  for (const auto& c : tree.categories) {
    std::vector<const BrowsedCategory*> path;
    for (const BrowsedCategory* at = &c; at;) {
      int& mark = marks[at->id];
      if (mark == kReachesRoot) break;
      if (mark == kOnPath) return Status::Corruption("category " + at->id + " is its own ancestor");
      mark = kOnPath;
      path.push_back(at);
      if (!at->parent_id) break;
      auto parent = by_id.find(*at->parent_id);
      if (parent == by_id.end()) {
        return Status::Corruption("category " + at->id + " has a parent " + *at->parent_id +
                                  " that is not listed");
      }
      at = parent->second;
    }
    for (const auto* p : path) marks[p->id] = kReachesRoot;
  }
  std::set<std::string> seen;
  for (const auto& r : tree.resources) {
    if (!seen.insert(r.id).second)
      return Status::Corruption("resource " + r.id + " is listed twice");
    if (!by_id.count(r.category_id)) {
      return Status::Corruption("resource " + r.id + " is in a category " + r.category_id +
                                " that is not listed");
    }
  }
  return Status::Ok();
}

}  // namespace tandem
