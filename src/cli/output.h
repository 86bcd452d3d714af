// Output helpers for the tandem CLI: aligned text tables, pretty JSON, and
// tolerant accessors for fields of server records (a missing or null field
// prints as "-" rather than failing). Server text reaches the terminal only
// through TerminalSafe (common/log_safe.h): table cells and the accessors'
// strings (except StringOr's, a value for further use) have their control
// characters escaped. Pure functions and a value type;
// thread-compatible.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace tandem {

// Rows of cells printed with columns padded to a common width, two spaces
// apart; the last column is not padded. A header row is printed when given.
class Table {
 public:
  Table() = default;
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}

  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  size_t size() const { return rows_.size(); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Pretty JSON (two-space indent) and a newline; nothing for null.
void PrintJson(std::ostream& out, const nlohmann::json& value);

// `record[key]` as display text: strings as they are, numbers and objects as
// JSON, booleans as "yes"/"no", missing or null as "-".
std::string Field(const nlohmann::json& record, std::string_view key);

// `record[key]["@id"]` (a SysML reference), or "-".
std::string RefField(const nlohmann::json& record, std::string_view key);

// `record[key]` when it is a non-empty string, else "".
std::string StringOr(const nlohmann::json& record, std::string_view key, std::string fallback = "");

// The first 8 characters of an id (a UUID's first group).
std::string ShortId(std::string_view id);

// "2024-05-01T10:20:30.123Z" -> "2024-05-01 10:20:30Z"; other text unchanged.
std::string FormatTime(std::string_view timestamp);

// The first line of `text`, cut to `max` characters with "..." if longer,
// control characters escaped.
std::string OneLine(std::string_view text, size_t max = 72);

}  // namespace tandem
