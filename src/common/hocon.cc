#include "common/hocon.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <memory>
#include <system_error>
#include <utility>

namespace tandem {
namespace {

using Type = ConfigValue::Type;

// Far beyond any real config; the bound keeps a hostile file from exhausting
// the stack (parsing and flattening both recurse once per level).
constexpr int kMaxDepth = 64;

// HOCON reserves these in unquoted text. Rejecting them, rather than taking
// them literally, means a file this parser accepts reads the same in real
// HOCON (e.g. `url = http://h` is an error there, not "http:").
bool IsForbidden(char c) {
  return c != '\0' && std::string_view("$\"{}[]:=,+#`^?!@*&\\").find(c) != std::string_view::npos;
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

bool IsNumber(std::string_view t) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i > start;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (!digits()) return false;
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && t[i] == '-') ++i;
    if (!digits()) return false;
  }
  return i == t.size();
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + '"';
}

// Renders one more path segment the way HOCON prints paths, so a quoted key
// such as "a.b" cannot collide with the nested a { b }.
std::string JoinPath(std::string_view prefix, std::string_view segment) {
  const bool plain = !segment.empty() && std::all_of(segment.begin(), segment.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') ||
           (u >= 'A' && u <= 'Z') || u == '-' || u == '_';
  });
  std::string out(prefix);
  if (!out.empty()) out += '.';
  out += plain ? std::string(segment) : Quote(segment);
  return out;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  static constexpr unsigned char kLead[] = {0x00, 0xC0, 0xE0, 0xF0};
  const int tail = cp < 0x80 ? 0 : cp < 0x800 ? 1 : cp < 0x10000 ? 2 : 3;
  out += static_cast<char>(kLead[tail] | (cp >> (6 * tail)));
  for (int i = tail - 1; i >= 0; --i) out += static_cast<char>(0x80 | ((cp >> (6 * i)) & 0x3F));
}

// The object tree that assignments merge into; flattened once parsing ends.
struct Node {
  bool is_object = true;
  ConfigValue value;                                      // When !is_object.
  std::map<std::string, std::unique_ptr<Node>> children;  // When is_object.
};

// Walks to the node for `key` below `obj`, creating objects on the way. A
// scalar in the middle of the path is replaced by an object, as in HOCON.
Node& Descend(Node& obj, const std::vector<std::string>& key) {
  Node* node = &obj;
  for (size_t i = 0; i < key.size(); ++i) {
    std::unique_ptr<Node>& child = node->children[key[i]];
    if (!child) child = std::make_unique<Node>();
    if (i + 1 < key.size() && !child->is_object) *child = Node();
    node = child.get();
  }
  return *node;
}

void Flatten(const Node& node, const std::string& prefix, std::map<std::string, ConfigValue>& out) {
  for (const auto& [segment, child] : node.children) {
    std::string path = JoinPath(prefix, segment);
    if (child->is_object) {
      Flatten(*child, path, out);
    } else {
      out[std::move(path)] = child->value;
    }
  }
}

// A character-level lexer (Skip*, Read*) under a recursive-descent parser
// (Parse*). Keys and values tokenize differently ('.' splits keys only), so
// the parser asks for the token kind it expects instead of pre-tokenizing.
class Parser {
 public:
  Parser(std::string_view text, std::string_view file) : text_(text), file_(file) {}

  Status ParseDocument(Node& root) {
    if (const size_t nul = text_.find('\0'); nul != std::string_view::npos) {
      const auto line = 1 + std::count(text_.begin(), text_.begin() + nul, '\n');
      return Error(static_cast<int>(line), "NUL byte in input (is this a binary file?)");
    }
    if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3;  // UTF-8 byte order mark.
    SkipBlanksAndNewlines();
    if (Peek() != '{') return ParseFields(root, "", /*braced=*/false, line_, 0);
    const int open_line = line_;
    ++pos_;
    RETURN_IF_ERROR(ParseFields(root, "", /*braced=*/true, open_line, 0));
    SkipBlanksAndNewlines();
    if (!AtEnd()) {
      return Error(line_, "unexpected " + DescribeNext() + " after the '}' that closes the file");
    }
    return Status::Ok();
  }

  // The segments of `text` when it is exactly one path expression.
  Result<std::vector<std::string>> ParseWholeKey() {
    ASSIGN_OR_RETURN(std::vector<std::string> key, ReadKey());
    if (!AtEnd() || key.empty()) return Error(line_, "not a path");
    return key;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  // '\0' doubles as end of input: NUL bytes are rejected before parsing.
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  bool AtComment() const { return Peek() == '#' || (Peek() == '/' && Peek(1) == '/'); }
  std::string DescribeNext() const {
    if (AtEnd()) return "end of file";
    const char c = Peek();
    if (c == '\n') return "end of line";
    if (AtComment()) return "a comment";
    if (c > ' ' && c < 0x7F) return std::string("'") + c + "'";
    char buf[16];
    std::snprintf(buf, sizeof(buf), "byte 0x%02X", static_cast<unsigned char>(c));
    return buf;
  }

  Status Error(int line, std::string_view reason) const {
    return Status::InvalidArgument(file_ + ":" + std::to_string(line) + ": " + std::string(reason));
  }
  Status TooDeep(int line, const std::string& path) const {
    return Error(line, "'" + path + "' nests deeper than " + std::to_string(kMaxDepth) + " levels");
  }

  // Spaces and a comment, not the newline ending it.
  void SkipBlanks() {
    while (IsBlank(Peek())) ++pos_;
    if (AtComment()) {
      while (!AtEnd() && Peek() != '\n') ++pos_;
    }
  }

  void SkipBlanksAndNewlines() {
    for (SkipBlanks(); Peek() == '\n'; SkipBlanks()) {
      ++pos_;
      ++line_;
    }
  }

  Result<std::string> ReadQuoted() {
    const int line = line_;
    if (text_.substr(pos_, 3) == "\"\"\"") {
      return Error(line, "triple-quoted strings are not supported; use \"...\" with \\n escapes");
    }
    ++pos_;
    std::string out;
    while (true) {
      if (AtEnd() || Peek() == '\n' ||
          (Peek() == '\\' && (pos_ + 1 >= text_.size() || Peek(1) == '\n'))) {
        return Error(line, "unterminated string: a quoted string must end on the line it starts");
      }
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
          return Error(line, "control character in quoted string; write it as an escape");
        }
        out += c;
        continue;
      }
      const char e = text_[pos_++];
      static constexpr std::string_view kEscapes = "\"\\/bfnrt";
      static constexpr std::string_view kMeanings = "\"\\/\b\f\n\r\t";
      if (const size_t k = kEscapes.find(e); k != std::string_view::npos) {
        out += kMeanings[k];
      } else if (e == 'u') {
        RETURN_IF_ERROR(ReadUnicodeEscape(out, line));
      } else {
        --pos_;
        return Error(line,
                     "invalid escape '\\' followed by " + DescribeNext() +
                         " in quoted string (allowed: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
      }
    }
  }

  Status ReadUnicodeEscape(std::string& out, int line) {
    uint32_t cp = 0;
    if (!ReadHex4(cp)) return Error(line, "invalid \\u escape: expected 4 hex digits");
    // A NUL would silently truncate the value wherever it becomes a C string
    // (file paths, passwords), so it is refused like a raw NUL byte.
    if (cp == 0) return Error(line, "\\u0000 is not allowed in a string");
    if (cp >= 0xDC00 && cp <= 0xDFFF) return Error(line, "invalid \\u escape: unpaired surrogate");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t low = 0;
      if (Peek() != '\\' || Peek(1) != 'u')
        return Error(line, "invalid \\u escape: unpaired surrogate");
      pos_ += 2;
      if (!ReadHex4(low) || low < 0xDC00 || low > 0xDFFF) {
        return Error(line, "invalid \\u escape: unpaired surrogate");
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(out, cp);
    return Status::Ok();
  }

  bool ReadHex4(uint32_t& out) {
    if (pos_ + 4 > text_.size()) return false;
    const char* begin = text_.data() + pos_;
    const auto [ptr, ec] = std::from_chars(begin, begin + 4, out, 16);
    if (ec != std::errc() || ptr != begin + 4) return false;
    pos_ += 4;
    return true;
  }

  // A path expression: segments split on '.', each made of quoted and unquoted
  // pieces. Whitespace ends the key. Returns no segments when none starts here.
  Result<std::vector<std::string>> ReadKey() {
    const size_t start = pos_;
    std::vector<std::string> segments;
    std::string segment;
    bool have_segment = false;  // A quoted "" is a segment even though empty.
    while (true) {
      const char c = Peek();
      if (c == '"') {
        ASSIGN_OR_RETURN(std::string piece, ReadQuoted());
        segment += piece;
        have_segment = true;
      } else if (c == '.') {
        if (!have_segment) {
          return Error(line_, "empty segment in key '" +
                                  std::string(text_.substr(start, pos_ + 1 - start)) + "'");
        }
        segments.push_back(std::move(segment));
        segment.clear();
        have_segment = false;
        ++pos_;
      } else if (c != '\0' && c != '\n' && !IsBlank(c) && !IsForbidden(c) && !AtComment()) {
        segment += c;
        have_segment = true;
        ++pos_;
      } else {
        break;
      }
    }
    if (have_segment) {
      segments.push_back(std::move(segment));
    } else if (!segments.empty()) {
      return Error(line_,
                   "key '" + std::string(text_.substr(start, pos_ - start)) + "' ends with '.'");
    }
    return segments;
  }

  Result<ConfigValue> ReadUnquoted(const std::string& path) {
    const size_t start = pos_;
    while (!AtEnd()) {
      const char c = Peek();
      if (c == '\n' || c == ',' || c == '}' || c == ']' || AtComment()) break;
      if (c == '$' && Peek(1) == '{') {
        return Error(line_, "substitutions ('${...}') are not supported; write the value of '" +
                                path + "' out in full");
      }
      // Most likely two fields or two values on one line, so say so.
      if (c == '=' || c == ':' || c == '"') {
        return Error(line_, std::string("unexpected '") + c + "' in the value of '" + path +
                                "': missing ',' or newline, or the value needs double quotes "
                                "(value concatenation is not supported)");
      }
      if (IsForbidden(c)) {
        return Error(line_, std::string("'") + c + "' is not allowed in the unquoted value of '" +
                                path + "'; put the whole value in double quotes");
      }
      ++pos_;
    }
    std::string_view text = text_.substr(start, pos_ - start);
    while (!text.empty() && IsBlank(text.back())) text.remove_suffix(1);
    ConfigValue v;
    v.text = text;
    if (text == "true" || text == "false") {
      v.type = Type::kBool;
    } else if (text == "null") {
      v.type = Type::kNull;
    } else {
      v.type = IsNumber(text) ? Type::kNumber : Type::kString;
    }
    return v;
  }

  Status ParseFields(Node& obj, const std::string& prefix, bool braced, int open_line, int depth) {
    while (true) {
      SkipBlanksAndNewlines();
      if (AtEnd()) {
        if (!braced) return Status::Ok();
        return Error(open_line, "'{' " + (prefix.empty() ? "" : "of '" + prefix + "' ") +
                                    "is never closed (unbalanced braces)");
      }
      const char c = Peek();
      if (c == '}') {
        if (!braced) return Error(line_, "unexpected '}' with no matching '{'");
        ++pos_;
        return Status::Ok();
      }
      if (c == ',') return Error(line_, "unexpected ',' with no field before it");
      if (c == ']') return Error(line_, "unexpected ']' with no matching '['");
      RETURN_IF_ERROR(ParseField(obj, prefix, braced ? '}' : '\0', depth));
    }
  }

  Status ParseField(Node& obj, const std::string& prefix, char closer, int depth) {
    const int line = line_;
    const size_t start = pos_;
    ASSIGN_OR_RETURN(std::vector<std::string> key, ReadKey());
    if (key.empty()) {
      if (Peek() == '$' && Peek(1) == '{') {
        return Error(line, "substitutions ('${...}') are not supported");
      }
      return Error(line, "expected a key, got " + DescribeNext());
    }
    const std::string_view raw_key = text_.substr(start, pos_ - start);
    std::string path = prefix;
    for (const std::string& segment : key) path = JoinPath(path, segment);
    depth += static_cast<int>(key.size());
    if (depth > kMaxDepth) return TooDeep(line, path);
    SkipBlanks();
    const char c = Peek();
    if (raw_key == "include" && c != '=' && c != ':' && c != '{') {
      return Error(line, "include is not supported; put the settings in this file");
    }
    if (c == '+' && Peek(1) == '=')
      return Error(line, "'+=' is not supported; write the whole list");
    if (c != '{') {
      if (c != '=' && c != ':') return Error(line, "expected '=' or ':' after key '" + path + "'");
      ++pos_;
      SkipBlanks();
    }
    Node& target = Descend(obj, key);
    if (Peek() == '{') {
      const int open_line = line_;
      ++pos_;
      // An object replaces an earlier scalar or list but merges into an earlier object.
      if (!target.is_object) target = Node();
      RETURN_IF_ERROR(ParseFields(target, path, /*braced=*/true, open_line, depth));
    } else {
      ASSIGN_OR_RETURN(ConfigValue value, ParseValue(path, depth));
      value.line = line;
      target.is_object = false;
      target.children.clear();
      target.value = std::move(value);
    }
    return ExpectSeparator(closer, path);
  }

  Result<ConfigValue> ParseValue(const std::string& path, int depth) {
    const int line = line_;
    const char c = Peek();
    if (AtEnd() || c == '\n' || c == ',' || c == '}' || c == ']' || AtComment()) {
      return Error(line, "missing value for '" + path + "'");
    }
    ConfigValue value;
    if (c == '[') {
      ASSIGN_OR_RETURN(value, ParseList(path, depth));
    } else if (c == '"') {
      ASSIGN_OR_RETURN(value.text, ReadQuoted());
      value.type = Type::kString;
    } else {
      ASSIGN_OR_RETURN(value, ReadUnquoted(path));
    }
    value.file = file_;
    value.line = line;
    return value;
  }

  Result<ConfigValue> ParseList(const std::string& path, int depth) {
    if (++depth > kMaxDepth) return TooDeep(line_, path);
    const int open_line = line_;
    ++pos_;
    ConfigValue list;
    list.type = Type::kList;
    while (true) {
      SkipBlanksAndNewlines();
      if (AtEnd()) {
        return Error(open_line, "'[' of '" + path + "' is never closed (unbalanced brackets)");
      }
      const char c = Peek();
      if (c == ']') {
        ++pos_;
        return list;
      }
      if (c == ',') return Error(line_, "missing value in the list of '" + path + "'");
      if (c == '{')
        return Error(line_, "objects inside lists are not supported (in '" + path + "')");
      if (c == '}') {
        return Error(line_, "expected ']' to close the list of '" + path + "' opened at line " +
                                std::to_string(open_line) + ", got '}'");
      }
      ASSIGN_OR_RETURN(ConfigValue item, ParseValue(path, depth));
      list.items.push_back(std::move(item));
      RETURN_IF_ERROR(ExpectSeparator(']', path));
    }
  }

  // After a field or list item: a newline or a ',' (or newlines then one ','),
  // or the closing bracket, or the end of the file at top level.
  Status ExpectSeparator(char closer, const std::string& path) {
    SkipBlanks();
    bool separated = false;
    if (Peek() == '\n') {
      SkipBlanksAndNewlines();
      separated = true;
    }
    if (Peek() == ',') {
      ++pos_;
      return Status::Ok();
    }
    const char c = Peek();
    if (separated || AtEnd() || c == closer) return Status::Ok();
    if (closer == ']' && c == '}') {
      return Error(line_, "expected ']' to close the list of '" + path + "', got '}'");
    }
    if (c == '}') return Error(line_, "unexpected '}' with no matching '{'");
    if (c == ']') return Error(line_, "unexpected ']' with no matching '['");
    return Error(line_, std::string("missing separator: expected ',' or newline after ") +
                            (closer == ']' ? "an item in the list of '" : "the value of '") + path +
                            "', got " + DescribeNext());
  }

  std::string_view text_;
  std::string file_;
  size_t pos_ = 0;
  int line_ = 1;
};

Status WrongType(const ConfigValue& v, std::string_view key, std::string_view what) {
  return Status::InvalidArgument(v.file + ":" + std::to_string(v.line) + ": '" + std::string(key) +
                                 "' must be " + std::string(what) + ", got " +
                                 (v.type == Type::kList ? "a list" : "'" + v.text + "'"));
}

}  // namespace

Result<ConfigDocument> ConfigDocument::ParseText(std::string_view text,
                                                 std::string_view file_name) {
  Node root;
  Parser parser(text, file_name);
  RETURN_IF_ERROR(parser.ParseDocument(root));
  ConfigDocument doc;
  Flatten(root, "", doc.values_);
  return doc;
}

Result<ConfigDocument> ConfigDocument::ParseFile(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  auto io_error = [&path](int err) {
    // std::error_code rather than strerror(), which is not thread-safe.
    return Status::IOError("cannot read " + path + ": " +
                           std::error_code(err, std::generic_category()).message());
  };
  if (file == nullptr) return io_error(errno);
  std::string text;
  char buf[1 << 16];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), file.get())) > 0) text.append(buf, n);
  if (std::ferror(file.get())) return io_error(errno != 0 ? errno : EIO);
  return ParseText(text, path);
}

const ConfigValue* ConfigDocument::Find(std::string_view dotted_key) const {
  auto it = values_.find(std::string(dotted_key));
  if (it != values_.end()) return &it->second;
  // Other spellings of the same path, e.g. `a."b"` for `a.b`.
  Parser parser(dotted_key, "");
  Result<std::vector<std::string>> key = parser.ParseWholeKey();
  if (!key.ok()) return nullptr;
  std::string path;
  for (const std::string& segment : *key) path = JoinPath(path, segment);
  it = values_.find(path);
  return it == values_.end() ? nullptr : &it->second;
}

Result<int64_t> ConfigInt(const ConfigValue& v, std::string_view key, int64_t min, int64_t max) {
  if (v.type == Type::kNumber || v.type == Type::kString) {
    int64_t out = 0;
    const char* end = v.text.data() + v.text.size();
    const auto [ptr, ec] = std::from_chars(v.text.data(), end, out);
    if (ec == std::errc() && ptr == end && out >= min && out <= max) return out;
  }
  return WrongType(v, key, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
}

Result<bool> ConfigBool(const ConfigValue& v, std::string_view key) {
  if (v.type == Type::kBool || v.type == Type::kString) {
    if (v.text == "true") return true;
    if (v.text == "false") return false;
  }
  return WrongType(v, key, "true or false");
}

Result<std::string> ConfigString(const ConfigValue& v, std::string_view key) {
  if (v.type == Type::kString || v.type == Type::kNumber || v.type == Type::kBool) return v.text;
  return WrongType(v, key, "a string");
}

}  // namespace tandem
