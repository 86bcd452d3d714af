#include "sync/pack_reader.h"

#include <algorithm>

#include "common/clock.h"
#include "common/ids.h"

namespace tandem {
namespace {

Status BadPack(const std::string& why) { return Status::Corruption("pack stream: " + why); }

Result<std::string> Uuid(const Json& v, const char* what) {
  if (!v.is_string() || !IsUuid(v.get<std::string>())) return BadPack(std::string(what) + " is not a UUID");
  return NormalizeUuid(v.get<std::string>());
}

Result<std::optional<std::string>> OptText(const Json& r, const char* key) {
  auto it = r.find(key);
  if (it == r.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return BadPack(std::string("'") + key + "' is not a string");
  return std::optional<std::string>(it->get<std::string>());
}

}  // namespace

PackReader::PackReader(CommitSink on_commit, PackLimits limits)
    : on_commit_(std::move(on_commit)),
      limits_(limits),
      zstd_(
          [this](std::string_view bytes) {
            // Split into lines; each complete line is one record.
            while (!bytes.empty()) {
              size_t nl = bytes.find('\n');
              line_.append(bytes.substr(0, nl));
              if (line_.size() > limits_.max_record_bytes) {
                error_ = BadPack("a record is longer than " + std::to_string(limits_.max_record_bytes) + " bytes");
                return false;
              }
              if (nl == std::string_view::npos) return true;
              bytes.remove_prefix(nl + 1);
              error_ = OnRecord(line_);
              line_.clear();
              if (!error_.ok()) return false;
            }
            return true;
          },
          limits.max_total_bytes) {}

Status PackReader::Feed(std::string_view compressed) {
  if (!error_.ok()) return error_;
  bytes_received_ += compressed.size();
  Status st = zstd_.Write(compressed);
  if (st.code() == StatusCode::kTooLarge) {
    st = Status::TooLarge(st.message() + " (sync.max-pack-bytes on this target; raise it to "
                                         "synchronize larger histories)");
  }
  // Bad compressed bytes are corruption in transit, not an interruption:
  // remember them so Finish() reports them as such.
  if (!st.ok() && error_.ok()) error_ = st;
  return error_;
}

Status PackReader::Finish() {
  if (!error_.ok()) return error_;
  if (!ended_ || !zstd_.complete() || !line_.empty()) {
    return Status::Unavailable("the pack stream broke off after " + std::to_string(commits_read_) +
                               " commits; the next run resumes from there");
  }
  return Status::Ok();
}

Status PackReader::OnRecord(std::string_view line) {
  if (ended_) return BadPack("data after the end record");
  auto parsed = ParseJson(line, "pack record", 64);
  if (!parsed.ok()) return BadPack(parsed.status().message());
  const Json& r = *parsed;
  if (!r.is_object() || !r.contains("t") || !r["t"].is_string()) return BadPack("a record has no type");
  std::string type = r["t"];
  if (type == "version") {
    if (!r.contains("hash") || !r["hash"].is_string() || !r.contains("json") || !r["json"].is_string()) {
      return BadPack("a version record needs 'hash' and 'json' strings");
    }
    auto hash = HashFromHex(r["hash"].get<std::string>());
    if (!hash) return BadPack("a version hash is not SHA-256 hex");
    std::string text = r["json"];
    if (Sha256(text) != *hash) return BadPack("element version " + ToHex(*hash) + " does not match its hash");
    if (!versions_.count(*hash)) {
      pending_bytes_ += text.size();
      if (pending_bytes_ > limits_.max_pending_bytes) {
        return BadPack("more than " + std::to_string(limits_.max_pending_bytes) +
                   " bytes of element versions arrived that no commit has used yet");
      }
      versions_[*hash] = std::move(text);
    }
    ++versions_received_;
    return Status::Ok();
  }
  if (type == "commit") return OnCommit(r);
  if (type == "end") {
    if (!r.contains("commits") || !r["commits"].is_number_unsigned() ||
        r["commits"].get<uint64_t>() != commits_read_) {
      return BadPack("the end record counts other commits than were sent");
    }
    ended_ = true;
    return Status::Ok();
  }
  return BadPack("unknown record type '" + type + "'");
}

Status PackReader::OnCommit(const Json& r) {
  Repository::ImportedCommit in;
  Commit& c = in.commit;
  if (!r.contains("id") || !r.contains("parents") || !r["parents"].is_array() ||
      !r.contains("changes") || !r["changes"].is_array() || !r.contains("hash") ||
      !r["hash"].is_string() || !r.contains("author") || !r["author"].is_string() ||
      !r.contains("created") || !r["created"].is_string()) {
    return BadPack("a commit record lacks id, parents, author, created, hash or changes");
  }
  ASSIGN_OR_RETURN(c.id, Uuid(r["id"], "commit id"));
  // A commit has one parent, two when it is a merge; a source that sends more
  // (or one twice) is not a Tandem server.
  constexpr size_t kMaxParents = 16;
  if (r["parents"].size() > kMaxParents) {
    return BadPack("commit " + c.id + " names " + std::to_string(r["parents"].size()) +
                   " parents; at most " + std::to_string(kMaxParents) + " are accepted");
  }
  for (const auto& p : r["parents"]) {
    ASSIGN_OR_RETURN(std::string pid, Uuid(p, "parent id"));
    if (std::find(c.parents.begin(), c.parents.end(), pid) != c.parents.end()) {
      return BadPack("commit " + c.id + " names parent " + pid + " twice");
    }
    c.parents.push_back(pid);
  }
  c.author = r["author"];
  auto created = ParseTimestamp(r["created"].get<std::string>());
  if (!created) return BadPack("commit " + c.id + " has a malformed time");
  c.created = *created;
  ASSIGN_OR_RETURN(c.name, OptText(r, "name"));
  ASSIGN_OR_RETURN(c.description, OptText(r, "description"));
  auto hash = HashFromHex(r["hash"].get<std::string>());
  if (!hash) return BadPack("commit " + c.id + " has a malformed hash");
  c.hash = *hash;
  for (const auto& ch : r["changes"]) {
    if (!ch.is_object() || !ch.contains("element")) return BadPack("a change lacks 'element'");
    Change change;
    ASSIGN_OR_RETURN(change.element_id, Uuid(ch["element"], "element id"));
    if (ch.contains("version") && !ch["version"].is_null()) {
      if (!ch["version"].is_string()) return BadPack("a change's version is not a string");
      auto v = HashFromHex(ch["version"].get<std::string>());
      if (!v) return BadPack("a change's version is not SHA-256 hex");
      change.version = *v;
      // The commit takes the text; a later commit reusing the version finds
      // it stored (the source sends each version once per pack).
      if (auto it = versions_.find(*v); it != versions_.end()) {
        pending_bytes_ -= it->second.size();
        in.versions.insert(versions_.extract(it));
      }
    }
    in.changes.push_back(std::move(change));
  }
  RETURN_IF_ERROR(on_commit_(std::move(in)));
  ++commits_read_;
  return Status::Ok();
}

}  // namespace tandem
