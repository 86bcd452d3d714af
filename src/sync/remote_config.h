// RemoteConfigSpec: what an administrator configures on a target server — the
// source (address, account), the selection (resources and/or categories), the
// target category, the trigger, one-time or ongoing, enabled. Converts to and
// from the JSON of /api/v1/remote-configs (never including the password) and
// the store's spec document. Value type; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/canonical_json.h"
#include "store/records.h"

namespace tandem {

enum class TriggerType { kCommit, kTag, kManual };

struct RemoteConfigSpec {
  std::string name;
  std::string source_url;
  std::string username;
  std::vector<std::string> resources;
  std::vector<std::string> categories;
  std::string target_category_id;
  TriggerType trigger = TriggerType::kManual;
  std::string trigger_tag;  // for kTag
  bool once = false;
  bool enabled = true;
};

std::string_view TriggerName(TriggerType t);

// Parses a POST body (`partial` = false: every required field) or a PATCH body
// (`partial` = true: fields present replace those in `base`). The password, if
// present, goes to `password`. InvalidArgument names the bad field.
Result<RemoteConfigSpec> ParseRemoteConfigSpec(const Json& body, bool partial,
                                               const RemoteConfigSpec& base,
                                               std::optional<std::string>& password);

Json SpecToJson(const RemoteConfigSpec& spec);  // without any secret
Result<RemoteConfigSpec> SpecFromStored(const std::string& stored);

}  // namespace tandem
