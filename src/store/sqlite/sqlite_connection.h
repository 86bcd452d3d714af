// SqliteConnection: one sqlite3 handle with a cache of prepared statements,
// and Statement, a thin RAII binding/stepping helper that turns SQLite result
// codes into Status. Not thread-safe: one connection serves one transaction
// at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/hash.h"
#include "common/status.h"

namespace tandem {

// Maps a SQLite result code to a Status whose message says what failed (the
// kind of statement `context` holds) and what to do. The statement and
// SQLite's own message are logged (LogSafe), never put in the Status: it can
// reach API answers and run reports.
Status SqliteStatus(int rc, sqlite3* db, std::string_view context);

class Statement {
 public:
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  ~Statement() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binders take 1-based parameter indexes, as SQLite does.
  Statement& Bind(int i, std::string_view v);
  Statement& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  Statement& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Statement& Bind(int i, int64_t v);
  Statement& Bind(int i, bool v) { return Bind(i, static_cast<int64_t>(v)); }
  Statement& Bind(int i, const std::optional<std::string>& v);
  Statement& BindBlob(int i, std::string_view bytes);
  Statement& Bind(int i, const Hash& h) { return BindBlob(i, HashBytes(h)); }
  Statement& BindNull(int i);

  // Steps once: true with a row, false when done.
  Result<bool> Step();
  // Steps to completion (for statements that return no rows).
  Status Run();

  std::string Text(int col) const;
  std::optional<std::string> OptText(int col) const;
  int64_t Int(int col) const;
  std::string Blob(int col) const;
  Hash HashCol(int col) const;
  bool IsNull(int col) const;

 private:
  sqlite3_stmt* stmt_;
  sqlite3* db_;
};

class SqliteConnection {
 public:
  static Result<std::unique_ptr<SqliteConnection>> Open(const std::string& path, int busy_ms);
  ~SqliteConnection();

  // A prepared statement from the cache (prepared on first use).
  Result<std::unique_ptr<Statement>> Prepare(const std::string& sql);
  // Runs one or more statements with no parameters and no results.
  Status Exec(const std::string& sql);
  sqlite3* db() const { return db_; }
  int64_t Changes() const { return sqlite3_changes64(db_); }

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace tandem
