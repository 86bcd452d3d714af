#include "common/canonical_json.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace tandem {

Result<std::string> CanonicalJson(const Json& value) {
  // nlohmann::json stores objects in std::map, so keys are already sorted by
  // byte order; dump() without indent emits no whitespace.
  try {
    return value.dump(-1, ' ', false, Json::error_handler_t::strict);
  } catch (const Json::exception& e) {
    return Status::InvalidArgument(std::string("JSON text is not valid UTF-8: ") + e.what());
  }
}

namespace {

// True when `text` opens more than `max_depth` arrays or objects at once,
// counting brackets outside strings. For valid JSON that is the depth of the
// document; for invalid JSON the parse fails anyway. A linear scan, so the
// parse that follows needs no per-event callback (which costs half a parse).
bool NestsDeeperThan(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character, whatever it is
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

}  // namespace

Result<Json> ParseJson(std::string_view text, std::string_view what, size_t max_depth) {
  max_depth = std::clamp<size_t>(max_depth, 1, kMaxJsonDepthCeiling);
  // Checked before parsing, so a hostile document is never built in memory.
  if (NestsDeeperThan(text, max_depth)) {
    return Status::InvalidArgument(std::string(what) + " nests deeper than the limit of " +
                                   std::to_string(max_depth) + " levels");
  }
  try {
    return Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/true);
  } catch (const Json::parse_error& e) {
    return Status::InvalidArgument(std::string(what) + " is not valid JSON (at byte " +
                                   std::to_string(e.byte) + "): " + e.what());
  } catch (const Json::exception& e) {
    // e.g. a number out of range (1e400)
    return Status::InvalidArgument(std::string(what) + " is not acceptable JSON: " + e.what());
  }
}

Status CheckJson(std::string_view text, std::string_view what, size_t max_depth) {
  max_depth = std::clamp<size_t>(max_depth, 1, kMaxJsonDepthCeiling);
  if (NestsDeeperThan(text, max_depth)) {
    return Status::InvalidArgument(std::string(what) + " nests deeper than the limit of " +
                                   std::to_string(max_depth) + " levels");
  }
  if (!Json::accept(text.begin(), text.end())) {
    return Status::InvalidArgument(std::string(what) + " is not valid JSON");
  }
  return Status::Ok();
}

Json ParseJsonOrDiscarded(std::string_view text, size_t max_depth) {
  auto parsed = ParseJson(text, "stored record", max_depth);
  if (!parsed.ok()) return Json(Json::value_t::discarded);
  return std::move(parsed).value();
}

Result<Json> ParseCanonicalJson(std::string_view text, std::string_view what, size_t max_depth) {
  ASSIGN_OR_RETURN(Json parsed, ParseJson(text, what, max_depth));
  ASSIGN_OR_RETURN(std::string canonical, CanonicalJson(parsed));
  if (canonical != text) {
    return Status::InvalidArgument(std::string(what) +
                                   " is not in canonical form (sorted keys, no whitespace, "
                                   "shortest numbers)");
  }
  return parsed;
}

size_t JsonDepth(const Json& value) {
  size_t deepest = 0;
  std::vector<std::pair<const Json*, size_t>> pending{{&value, 0}};
  while (!pending.empty()) {
    auto [j, depth] = pending.back();
    pending.pop_back();
    if (!j->is_structured()) continue;
    deepest = std::max(deepest, depth + 1);
    for (const auto& child : *j) pending.emplace_back(&child, depth + 1);
  }
  return deepest;
}

namespace {

const Json* FieldOf(const Json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

}  // namespace

std::string JsonString(const Json& j, std::string_view key, std::string fallback) {
  const Json* f = FieldOf(j, key);
  return f && f->is_string() ? f->get<std::string>() : fallback;
}

int64_t JsonInt(const Json& j, std::string_view key, int64_t fallback) {
  const Json* f = FieldOf(j, key);
  if (!f || !f->is_number_integer()) return fallback;
  if (f->is_number_unsigned() && f->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return fallback;
  return f->get<int64_t>();
}

bool JsonBool(const Json& j, std::string_view key, bool fallback) {
  const Json* f = FieldOf(j, key);
  return f && f->is_boolean() ? f->get<bool>() : fallback;
}

Json JsonArray(const Json& j, std::string_view key) {
  const Json* f = FieldOf(j, key);
  return f && f->is_array() ? *f : Json::array();
}

}  // namespace tandem
