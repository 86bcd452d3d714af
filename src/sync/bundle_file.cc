#include "sync/bundle_file.h"

#include <cstring>

#include "common/ids.h"

namespace tandem {
namespace {

constexpr size_t kFrameHeaderSize = 5;  // type byte + u32 big-endian payload length
constexpr size_t kWriterPackFrameBytes = 1 << 20;
constexpr size_t kMaxSinceCommits = 100'000;

std::string U32(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
  return out;
}

uint32_t ReadU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

Status Bad(const std::string& why) { return Status::Corruption("bundle file: " + why); }

// Reads exactly n bytes; Corruption when the file ends first.
Status ReadExactly(std::istream& in, char* out, size_t n, const char* what) {
  in.read(out, static_cast<std::streamsize>(n));
  if (static_cast<size_t>(in.gcount()) != n) {
    return Bad(std::string("the file is truncated (it ends inside ") + what +
               "); copy it again from the source");
  }
  return Status::Ok();
}

Status ReadHeader(std::istream& in, Sha256Hasher* hasher) {
  char header[kBundleMagicSize + 4];
  in.read(header, sizeof header);
  if (in.gcount() < static_cast<std::streamsize>(kBundleMagicSize) ||
      std::memcmp(header, kBundleMagic, kBundleMagicSize) != 0) {
    return Bad("this is not a tandem bundle (it does not start with " +
               std::string(kBundleMagic) + ")");
  }
  if (in.gcount() != sizeof header) return Bad("the file is truncated (it ends inside the header)");
  uint32_t version = ReadU32(header + kBundleMagicSize);
  if (version != kBundleFormatVersion) {
    return Bad("format version " + std::to_string(version) + " is not supported; this server reads "
               "version " + std::to_string(kBundleFormatVersion) +
               " (create the bundle with a matching tandem release)");
  }
  if (hasher) hasher->Update(std::string_view(header, sizeof header));
  return Status::Ok();
}

Result<Json> ParseManifest(std::string_view text) {
  auto j = ParseJson(text, "bundle manifest", 64);
  if (!j.ok()) return Bad(j.status().message());
  if (!j->is_object() || JsonString(*j, "format") != kBundleManifestFormat ||
      !j->contains("version") || !(*j)["version"].is_number_unsigned() ||
      (*j)["version"].get<uint64_t>() != kBundleFormatVersion) {
    return Bad("the manifest is not a tandem-bundle version " +
               std::to_string(kBundleFormatVersion) + " manifest");
  }
  return j;
}

Result<std::vector<std::string>> CommitIds(const Json& list, const std::string& where) {
  if (!list.is_array()) return Status::InvalidArgument(where + " must be a list of commit ids");
  if (list.size() > kMaxSinceCommits) {
    return Status::InvalidArgument(where + " lists more than " + std::to_string(kMaxSinceCommits) +
                                   " commits");
  }
  std::vector<std::string> out;
  for (const auto& id : list) {
    if (!id.is_string() || !IsUuid(id.get<std::string>())) {
      return Status::InvalidArgument(where + " must hold commit ids (UUIDs)");
    }
    out.push_back(NormalizeUuid(id.get<std::string>()));
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------- writer

Status BundleWriter::Emit(std::string_view bytes) {
  hasher_.Update(bytes);
  written_ += bytes.size();
  if (!sink_(bytes)) return Status::Unavailable("the bundle's reader went away");
  return Status::Ok();
}

Status BundleWriter::Frame(BundleFrame type, std::string_view payload) {
  std::string header(1, static_cast<char>(type));
  header += U32(static_cast<uint32_t>(payload.size()));
  RETURN_IF_ERROR(Emit(header));
  return Emit(payload);
}

Status BundleWriter::Start(const Json& manifest) {
  RETURN_IF_ERROR(Emit(std::string(kBundleMagic, kBundleMagicSize) + U32(kBundleFormatVersion)));
  return Frame(BundleFrame::kManifest, manifest.dump());
}

Status BundleWriter::BeginResource(const std::string& resource_id) {
  return Frame(BundleFrame::kResource, resource_id);
}

Status BundleWriter::Pack(std::string_view bytes) {
  while (!bytes.empty()) {
    std::string_view piece = bytes.substr(0, kWriterPackFrameBytes);
    RETURN_IF_ERROR(Frame(BundleFrame::kPack, piece));
    bytes.remove_prefix(piece.size());
  }
  return Status::Ok();
}

Status BundleWriter::Finish() {
  Hash sum = hasher_.Finish();
  std::string header(1, static_cast<char>(BundleFrame::kTrailer));
  header += U32(static_cast<uint32_t>(sum.size()));
  written_ += header.size() + sum.size();
  if (!sink_(header) || !sink_(HashBytes(sum))) {
    return Status::Unavailable("the bundle's reader went away");
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- reader

Status ScanBundle(std::istream& in, const BundleLimits& limits, const BundleVisitor& visitor,
                  const std::function<void(uint64_t)>& progress) {
  Sha256Hasher hasher;
  RETURN_IF_ERROR(ReadHeader(in, &hasher));
  uint64_t offset = kBundleMagicSize + 4;
  bool have_manifest = false, in_resource = false;
  std::string payload;
  while (true) {
    char fh[kFrameHeaderSize];
    in.read(fh, sizeof fh);
    if (in.gcount() == 0) return Bad("the file is truncated (no trailer); copy it again from the source");
    if (in.gcount() != sizeof fh) return Bad("the file is truncated (it ends inside a frame header)");
    auto type = static_cast<BundleFrame>(fh[0]);
    uint64_t size = ReadU32(fh + 1);
    uint64_t cap = 0;
    switch (type) {
      case BundleFrame::kManifest: cap = limits.max_manifest_bytes; break;
      case BundleFrame::kResource: cap = 64; break;
      case BundleFrame::kPack: cap = limits.max_frame_bytes; break;
      case BundleFrame::kTrailer: cap = 32; break;
      default:
        return Bad("unknown frame type " + std::to_string(static_cast<uint8_t>(fh[0])) +
                   " at byte " + std::to_string(offset));
    }
    if (size > cap) {
      return Bad("a frame at byte " + std::to_string(offset) + " declares " + std::to_string(size) +
                 " bytes, more than the " + std::to_string(cap) + " its kind may hold");
    }
    if (offset + kFrameHeaderSize + size > limits.max_bundle_bytes) {
      return Status::TooLarge("bundle file: larger than the limit of " +
                              std::to_string(limits.max_bundle_bytes) +
                              " bytes (sync.max-bundle-bytes)");
    }
    if (type == BundleFrame::kTrailer) {
      Hash expected = hasher.Finish();
      char sum[32];
      if (size != sizeof sum) return Bad("the trailer is not a SHA-256");
      RETURN_IF_ERROR(ReadExactly(in, sum, sizeof sum, "the trailer"));
      if (!have_manifest) return Bad("the trailer comes before the manifest");
      if (HashFromBytes(std::string_view(sum, sizeof sum)) != expected) {
        return Bad("the checksum does not match the content: the file was damaged on the way; "
                   "copy it again from the source");
      }
      if (in.peek() != std::char_traits<char>::eof()) return Bad("there are bytes after the trailer");
      if (progress) progress(offset + kFrameHeaderSize + size);
      return Status::Ok();
    }
    payload.resize(size);
    RETURN_IF_ERROR(ReadExactly(in, payload.data(), size, "a frame"));
    hasher.Update(std::string_view(fh, sizeof fh));
    hasher.Update(payload);
    uint64_t payload_offset = offset + kFrameHeaderSize;
    offset = payload_offset + size;
    if (progress) progress(offset);
    switch (type) {
      case BundleFrame::kManifest: {
        if (have_manifest) return Bad("a second manifest");
        have_manifest = true;
        ASSIGN_OR_RETURN(Json manifest, ParseManifest(payload));
        if (visitor.on_manifest) RETURN_IF_ERROR(visitor.on_manifest(manifest));
        break;
      }
      case BundleFrame::kResource:
        if (!have_manifest) return Bad("a resource before the manifest");
        if (!IsUuid(payload)) return Bad("a resource frame does not hold a resource id");
        in_resource = true;
        if (visitor.on_resource) RETURN_IF_ERROR(visitor.on_resource(NormalizeUuid(payload)));
        break;
      case BundleFrame::kPack:
        if (!in_resource) return Bad("pack data outside a resource");
        if (visitor.on_pack) RETURN_IF_ERROR(visitor.on_pack(payload, payload_offset));
        break;
      case BundleFrame::kTrailer: break;  // handled above
    }
  }
}

Result<Json> ReadBundleManifest(std::istream& in, const BundleLimits& limits) {
  RETURN_IF_ERROR(ReadHeader(in, nullptr));
  char fh[kFrameHeaderSize];
  RETURN_IF_ERROR(ReadExactly(in, fh, sizeof fh, "the manifest"));
  uint64_t size = ReadU32(fh + 1);
  if (static_cast<BundleFrame>(fh[0]) != BundleFrame::kManifest) return Bad("the manifest is missing");
  if (size > limits.max_manifest_bytes) {
    return Bad("the manifest declares " + std::to_string(size) + " bytes, more than the limit of " +
               std::to_string(limits.max_manifest_bytes));
  }
  std::string text(size, '\0');
  RETURN_IF_ERROR(ReadExactly(in, text.data(), size, "the manifest"));
  return ParseManifest(text);
}

bool LooksLikeBundle(std::string_view prefix) {
  return prefix.substr(0, kBundleMagicSize) == std::string_view(kBundleMagic, kBundleMagicSize);
}

Result<Json> SinceFromState(const Json& state) {
  if (!state.is_object() || JsonString(state, "format") != kBundleStateFormat ||
      !state.contains("resources") || !state["resources"].is_object()) {
    return Status::InvalidArgument(std::string("not a state file: it needs \"format\": \"") +
                                   kBundleStateFormat + "\" and a \"resources\" object "
                                   "(export one with `tandem bundle state` on the target)");
  }
  Json since = Json::object();
  for (const auto& [id, commits] : state["resources"].items()) {
    if (!IsUuid(id)) return Status::InvalidArgument("state file: '" + id + "' is not a resource id");
    ASSIGN_OR_RETURN(auto ids, CommitIds(commits, "state file: resource " + id));
    since[NormalizeUuid(id)] = ids;
  }
  return since;
}

Result<Json> SinceFromManifest(const Json& manifest) {
  if (!manifest.contains("resources") || !manifest["resources"].is_array()) {
    return Status::InvalidArgument("bundle manifest: 'resources' must be a list");
  }
  Json since = Json::object();
  for (const auto& r : manifest["resources"]) {
    if (!r.is_object() || !r.contains("id") || !r["id"].is_string() ||
        !IsUuid(r["id"].get<std::string>()) || !r.contains("heads")) {
      return Status::InvalidArgument("bundle manifest: each resource needs 'id' and 'heads'");
    }
    ASSIGN_OR_RETURN(auto ids, CommitIds(r["heads"], "bundle manifest: heads"));
    since[NormalizeUuid(r["id"].get<std::string>())] = ids;
  }
  return since;
}

}  // namespace tandem
