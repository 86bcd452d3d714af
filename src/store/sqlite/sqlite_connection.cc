#include "store/sqlite/sqlite_connection.h"

#include <spdlog/spdlog.h>
#include <strings.h>

#include "common/log_safe.h"

namespace tandem {

namespace {

// What a statement was doing, in words, from its first keyword.
std::string_view Activity(std::string_view sql) {
  size_t start = sql.find_first_not_of(" \n\t");
  sql = start == std::string_view::npos ? std::string_view() : sql.substr(start);
  auto starts = [&](std::string_view word) {
    return sql.size() >= word.size() && strncasecmp(sql.data(), word.data(), word.size()) == 0;
  };
  if (starts("prepare")) return "preparing a request to the store";
  if (starts("select") || starts("with")) return "reading the store";
  if (starts("begin") || starts("commit") || starts("rollback")) {
    return "a store transaction";
  }
  if (starts("pragma") || starts("create") || starts("alter")) return "setting up the store";
  return "writing to the store";
}

}  // namespace

Status SqliteStatus(int rc, sqlite3* db, std::string_view context) {
  if ((rc & 0xff) == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return Status::Ok();
  // The SQL and SQLite's own words go to the log only: a Status can reach an
  // API answer or a run report, where they would show the schema and help
  // nobody. The message says what failed and what to do.
  std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string_view activity = Activity(context);
  // Busy and constraint results are often expected (a taken name is found by
  // its insert failing), so they are warnings; anything else is an error.
  int primary = rc & 0xff;
  auto level = primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_CONSTRAINT
                   ? spdlog::level::warn
                   : spdlog::level::err;
  spdlog::log(level, "SQLite error {} while {}: {} (statement: {})", rc, activity,
              LogSafe(detail), LogSafe(context, 512));
  std::string what = std::string(activity) + " failed";
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(what + ": the store is busy; try again");
    case SQLITE_CONSTRAINT:
      return Status::Conflict(what + ": the change conflicts with data already stored (an id or "
                              "name that must be unique is taken, or a record it refers to is "
                              "missing); nothing was changed");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(what + ": the store file is damaged; stop the server, run "
                                "'datamanager --verify' and restore a backup");
    case SQLITE_FULL:
      return Status::IOError(what + ": the disk holding the data directory is full; free space "
                             "and try again");
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
      return Status::IOError(what + ": the store cannot be written (check that the data "
                             "directory and tandem.db belong to the server's user and are "
                             "writable)");
    default:
      return Status::IOError(what + " (the server log has the details)");
  }
}

Statement& Statement::Bind(int i, std::string_view v) {
  sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::Bind(int i, int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}
Statement& Statement::Bind(int i, const std::optional<std::string>& v) {
  return v ? Bind(i, std::string_view(*v)) : BindNull(i);
}
Statement& Statement::BindBlob(int i, std::string_view bytes) {
  sqlite3_bind_blob(stmt_, i, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindNull(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(rc, db_, sqlite3_sql(stmt_));
}

Status Statement::Run() {
  while (true) {
    auto row = Step();
    if (!row.ok() || !*row) {
      // Leave the statement ready for the next set of bindings.
      sqlite3_reset(stmt_);
      return row.status();
    }
  }
}

std::string Statement::Text(int col) const {
  auto* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}
std::optional<std::string> Statement::OptText(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Text(col);
}
int64_t Statement::Int(int col) const { return sqlite3_column_int64(stmt_, col); }
std::string Statement::Blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}
Hash Statement::HashCol(int col) const { return HashFromBytes(Blob(col)); }
bool Statement::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const std::string& path,
                                                                 int busy_ms) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    Status st = Status::IOError("cannot open store " + path + ": " +
                                (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close(db);
    return st;
  }
  sqlite3_busy_timeout(db, busy_ms);
  sqlite3_extended_result_codes(db, 1);
  auto conn = std::unique_ptr<SqliteConnection>(new SqliteConnection(db));
  // WAL lets readers run beside the writer; FULL makes every acknowledged
  // commit survive power loss, not only a process crash.
  RETURN_IF_ERROR(conn->Exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  return conn;
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Result<std::unique_ptr<Statement>> SqliteConnection::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteStatus(rc, db_, "prepare " + sql);
    it = cache_.emplace(sql, stmt).first;
  }
  return std::make_unique<Statement>(it->second, db_);
}

Status SqliteConnection::Exec(const std::string& sql) {
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  return SqliteStatus(rc, db_, sql);
}

}  // namespace tandem
