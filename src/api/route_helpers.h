// Request checks that several route files share (sync_routes.cc defines
// them): id lists in bodies and queries, and the category scope of a
// sync-manager. Pure functions over their arguments; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "api/api_server.h"

namespace tandem {

// body[key]: absent or null -> empty; otherwise a list of UUIDs (normalized).
Result<std::vector<std::string>> IdArray(const Json& body, const char* key);
// A comma-separated list of UUIDs from the query parameter `name` (at most 10,000).
Result<std::vector<std::string>> CommitList(const Call& call, const char* name);
// Admins pass; a sync-manager passes when `category` lies within one of its
// scope categories (or their sub-categories). PermissionDenied otherwise.
Status CheckScope(Repository& repo, const Principal& who, const std::string& category);

}  // namespace tandem
