// Commit files: the JSON that `tandem commit` sends, checked before sending.
//
// A commit file is either a SysML v2 commit body ({"change": [...], ...}) or a
// bare array of changes. Each change is a DataVersion: {"@type":
// "DataVersion", "identity": {"@id": ID}, "payload": {...element...} or null
// to delete}. The checks catch what a person writing such a file by hand gets
// wrong, and name where (change[3].payload: ...). Pure functions; thread-safe.
#pragma once

#include <istream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tandem {

// Reads `path`, or `in` when path is "-". InvalidArgument when unreadable.
Result<std::string> ReadCommitFile(const std::string& path, std::istream& in);

// Parses and checks `text` and returns the commit body to POST: a JSON object
// with "@type": "Commit" and a "change" array whose items all have "@type":
// "DataVersion" and an identity (taken from the payload's "@id" when the
// change has none). Other fields of a commit object are kept. `source` names
// the file in messages. InvalidArgument listing the problems otherwise.
Result<nlohmann::json> ParseCommitFile(std::string_view text, std::string_view source);

// How a commit body's changes split up.
struct ChangeCounts {
  size_t written = 0;  // changes with a payload (created or updated elements)
  size_t deleted = 0;  // changes with a null payload
};
ChangeCounts CountChanges(const nlohmann::json& commit_body);

}  // namespace tandem
