// Request parsing that several route files share (sync_routes.cc defines
// them): id lists in bodies and queries. Permission checks are not here but in
// route_policy.h. Pure functions over their arguments; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "api/api_server.h"

namespace tandem {

// body[key]: absent or null -> empty; otherwise a list of UUIDs (normalized).
Result<std::vector<std::string>> IdArray(const Json& body, const char* key);
// A comma-separated list of UUIDs from the query parameter `name` (at most 10,000).
Result<std::vector<std::string>> CommitList(const Call& call, const char* name);

}  // namespace tandem
