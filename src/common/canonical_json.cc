#include "common/canonical_json.h"

#include <cstdint>

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

Result<Json> ParseJson(std::string_view text, std::string_view what, size_t max_depth) {
  struct TooDeep {};
  Json::parser_callback_t cb = nullptr;
  if (max_depth > 0) {
    // Throwing from the callback stops the parse at the first level too deep,
    // before a hostile document is built in memory.
    cb = [max_depth](int depth, Json::parse_event_t event, Json&) {
      if ((event == Json::parse_event_t::object_start ||
           event == Json::parse_event_t::array_start) &&
          static_cast<size_t>(depth) + 1 > max_depth) {
        throw TooDeep{};
      }
      return true;
    };
  }
  try {
    return Json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/true);
  } catch (const TooDeep&) {
    return Status::InvalidArgument(std::string(what) + " nests deeper than the limit of " +
                                   std::to_string(max_depth) + " levels");
  } catch (const Json::parse_error& e) {
    return Status::InvalidArgument(std::string(what) + " is not valid JSON (at byte " +
                                   std::to_string(e.byte) + "): " + e.what());
  } catch (const Json::exception& e) {
    // e.g. a number out of range (1e400)
    return Status::InvalidArgument(std::string(what) + " is not acceptable JSON: " + e.what());
  }
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
