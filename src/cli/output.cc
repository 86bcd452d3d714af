#include "cli/output.h"

#include <algorithm>

#include "common/log_safe.h"

namespace tandem {
namespace {

// Display width of UTF-8 text: one column per code point.
size_t Width(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

}  // namespace

void Table::Print(std::ostream& out) const {
  // Every cell is escaped: a name holding ESC, CR or LF must neither drive
  // the terminal nor fake rows (escaping is idempotent, so cells built from
  // Field() stay as they are).
  auto escape = [](const std::vector<std::string>& row) {
    std::vector<std::string> out;
    out.reserve(row.size());
    for (const auto& cell : row) out.push_back(TerminalSafe(cell));
    return out;
  };
  std::vector<std::string> header = escape(header_);
  std::vector<std::vector<std::string>> rows;
  rows.reserve(rows_.size());
  for (const auto& row : rows_) rows.push_back(escape(row));
  std::vector<size_t> widths;
  auto measure = [&widths](const std::vector<std::string>& row) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
  };
  if (!header.empty()) measure(header);
  for (const auto& row : rows) measure(row);
  auto print = [&out, &widths](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - Width(row[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  };
  if (!header.empty()) print(header);
  for (const auto& row : rows) print(row);
}

void PrintJson(std::ostream& out, const nlohmann::json& value) {
  if (value.is_null()) return;
  out << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

std::string Field(const nlohmann::json& record, std::string_view key) {
  if (!record.is_object()) return "-";
  auto it = record.find(key);
  if (it == record.end() || it->is_null()) return "-";
  if (it->is_string()) return TerminalSafe(it->get<std::string>());
  if (it->is_boolean()) return it->get<bool>() ? "yes" : "no";
  return it->dump();
}

std::string RefField(const nlohmann::json& record, std::string_view key) {
  if (!record.is_object()) return "-";
  auto it = record.find(key);
  if (it == record.end() || !it->is_object()) return "-";
  auto id = it->find("@id");
  if (id == it->end() || !id->is_string()) return "-";
  return TerminalSafe(id->get<std::string>());
}

std::string StringOr(const nlohmann::json& record, std::string_view key, std::string fallback) {
  if (!record.is_object()) return fallback;
  auto it = record.find(key);
  if (it == record.end() || !it->is_string() || it->get<std::string>().empty()) return fallback;
  return it->get<std::string>();
}

std::string ShortId(std::string_view id) { return std::string(id.substr(0, 8)); }

std::string FormatTime(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS[.fff][Z|+hh:mm]
  if (t.size() < 19 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':') {
    return std::string(t);
  }
  std::string out(t.substr(0, 19));
  out[10] = ' ';
  std::string_view zone = t.substr(19);
  if (!zone.empty() && zone.front() == '.') {
    size_t end = zone.find_first_not_of("0123456789", 1);
    zone = end == std::string_view::npos ? std::string_view() : zone.substr(end);
  }
  out += zone;
  return out;
}

std::string OneLine(std::string_view text, size_t max) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  std::string line(text.substr(0, text.find('\n')));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (Width(line) > max) {
    // Cut at a code point boundary.
    size_t kept = 0, i = 0;
    for (; i < line.size(); ++i) {
      if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80 && kept++ == max - 3) break;
    }
    line = line.substr(0, i) + "...";
  } else if (line.size() < text.size()) {
    line += " ...";
  }
  return TerminalSafe(line);
}

}  // namespace tandem
