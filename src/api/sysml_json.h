// Mapping between Tandem's records and the SysML v2 API (Systems Modeling API
// 1.0) JSON records: Project, Branch, Tag, Commit, DataVersion, DataIdentity,
// DataDifference, Error. Output validates against the OMG JSON schema (which
// forbids extra properties, so Tandem's own fields live in the admin API).
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "common/canonical_json.h"
#include "repo/repository.h"
#include "store/records.h"

namespace tandem {

Json IdRef(const std::string& id);
Json ProjectJson(const Resource& r);
Json BranchJson(const Branch& b);
Json TagJson(const Tag& t);
Json CommitJson(const Commit& c);
// A DataVersion: the element `element_id` as written (payload) or deleted (null).
Json DataVersionJson(const std::string& version_id, const std::string& element_id,
                     const std::optional<Json>& payload);
// The DataIdentity of an element (a merge conflict names them).
Json DataIdentityJson(const std::string& element_id);
Json DataDifferenceJson(const std::string& base_commit, const std::string& compare_commit,
                        const DataDifference& d);
Json ErrorJson(const std::string& description);
// A JSON answer's text. Request text (paths, parameters) may hold invalid
// UTF-8 and is echoed in messages: it is replaced, never thrown on.
std::string RenderJson(const Json& j);

// Parses a SysML v2 CommitRequest body (plus Tandem's optional "previousCommit").
Result<CommitRequest> ParseCommitRequest(const Json& body);
// Parses a merge's resolutions: null or an array of elements (the version to
// keep of each conflicting one) or DataIdentity records (delete it).
Result<std::vector<ElementChange>> ParseMergeResolutions(const Json& body);

}  // namespace tandem
