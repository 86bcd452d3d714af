// Model generator for tandem-bench: see model_generator.h.
#include "bench/model_generator.h"

#include <fstream>
#include <sstream>
#include <string_view>
#include <unordered_map>

#include "common/ids.h"

namespace tandem {
namespace {

// String-valued fields that hold a bare element id rather than an {"@id": X} object.
bool IsIdField(std::string_view key) {
  return key == "@id" || key == "elementId" || key == "memberElementId" ||
         key == "ownedMemberElementId";
}

}  // namespace

Result<std::vector<ElementChange>> LoadSysmlChanges(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  ASSIGN_OR_RETURN(Json body, ParseJson(ss.str(), path));
  if (!body.is_object() || !body.contains("change") || !body["change"].is_array()) {
    return Status::InvalidArgument(path + " has no \"change\" array");
  }
  std::vector<ElementChange> out;
  out.reserve(body["change"].size());
  for (auto& ch : body["change"]) {
    if (!ch.contains("identity") || !ch["identity"].contains("@id") || !ch.contains("payload")) {
      return Status::InvalidArgument(path + ": every change needs identity.@id and payload");
    }
    out.push_back({ch["identity"]["@id"].get<std::string>(), std::move(ch["payload"])});
  }
  return out;
}

void RemapIds(Json& value, const std::unordered_map<std::string, std::string>& ids) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      Json& v = it.value();
      if (v.is_string()) {
        if (!IsIdField(it.key())) continue;
        auto found = ids.find(v.get_ref<const std::string&>());
        if (found != ids.end()) v = found->second;
      } else if (v.is_structured()) {
        RemapIds(v, ids);
      }
    }
  } else if (value.is_array()) {
    for (auto& v : value) {
      if (v.is_structured()) RemapIds(v, ids);
    }
  }
}

std::vector<ElementChange> GenerateModel(const std::vector<ElementChange>& base, size_t n) {
  std::vector<ElementChange> out;
  out.reserve(n);
  std::unordered_map<std::string, std::string> ids;
  while (out.size() < n && !base.empty()) {
    ids.clear();
    for (const auto& ch : base) ids[*ch.element_id] = NewUuid();
    for (const auto& ch : base) {
      if (out.size() == n) break;
      ElementChange copy{ids[*ch.element_id], ch.payload};
      RemapIds(copy.payload, ids);
      out.push_back(std::move(copy));
    }
  }
  return out;
}

}  // namespace tandem
