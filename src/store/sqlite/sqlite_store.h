// SqliteStore: the embedded storage engine, one SQLite database file in WAL
// mode. Thread-safe: read transactions run in parallel on pooled connections
// (each a consistent snapshot); write transactions are serialized on one
// writer connection (BEGIN IMMEDIATE), and other processes (datamanager)
// writing the same file wait on SQLite's busy timeout. Element versions above
// a size threshold are stored zstd-compressed. docs/storage.md gives the schema.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "store/store.h"

struct sqlite3;

namespace tandem {

struct SqliteOptions {
  // Element versions at least this large (bytes of canonical JSON) are compressed.
  size_t compress_threshold = 512;
  int zstd_level = 3;
  int busy_timeout_ms = 10'000;
  // BeginWrite waits at most this long for another write transaction of this
  // process to end, then answers Unavailable (HTTP 503 with Retry-After).
  std::chrono::milliseconds write_wait{10'000};
  // After a checkpoint SQLite truncates the write-ahead log to at most this
  // many bytes; without a limit it keeps the size of the largest transaction
  // (a 100k-element import left a 322 MB WAL) until the store is closed.
  int64_t wal_size_limit_bytes = 64 << 20;
  // Page cache in KiB: the one writer's is large (imports insert at random
  // keys all over the content tables); each pooled reader keeps SQLite's
  // default, since every concurrent read (a streamed pack, a page of
  // elements) holds a connection of its own.
  int64_t writer_cache_kib = 32 << 10;
  int64_t reader_cache_kib = 2'000;
};

class SqliteConnection;

class SqliteStore final : public Store {
 public:
  // Opens (creating if needed) the database at `path` and brings its schema up
  // to date. IOError if the file cannot be opened, Corruption if it is not a
  // Tandem store, InvalidArgument if it was written by a newer Tandem.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                   const SqliteOptions& options = {});
  ~SqliteStore() override;

  Result<std::unique_ptr<ReadTransaction>> BeginRead() override;
  Result<std::unique_ptr<WriteTransaction>> BeginWrite() override;

  // Current schema version written by this build.
  static constexpr int kSchemaVersion = 1;

 private:
  friend class SqliteTransaction;
  SqliteStore(std::string path, SqliteOptions options);
  Result<std::unique_ptr<SqliteConnection>> Connect(int64_t cache_kib);
  std::unique_ptr<SqliteConnection> TakeReader() EXCLUDES(readers_mu_);
  void ReturnReader(std::unique_ptr<SqliteConnection> conn) EXCLUDES(readers_mu_);

  std::string path_;
  SqliteOptions options_;
  Mutex readers_mu_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_readers_ GUARDED_BY(readers_mu_);
  TimedMutex writer_mu_;  // held for the whole life of a write transaction
  std::unique_ptr<SqliteConnection> writer_ GUARDED_BY(writer_mu_);
};

}  // namespace tandem
