// FuzzRepository: a SQLite store and Repository in a fresh temporary
// directory (under /dev/shm when it exists, so no write waits for a disk),
// made once per fuzzing process and removed when the process ends. Targets
// that import or commit use it; what they write stays small because trials
// roll back and the commit target starts a new store every so often.
// Not thread-safe; libFuzzer runs one input at a time.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "common/clock.h"
#include "repo/repository.h"
#include "store/sqlite/sqlite_store.h"

namespace tandem {

class FuzzRepository {
 public:
  // Aborts (a broken fuzzing set-up, not a finding) when the store cannot be made.
  FuzzRepository();
  ~FuzzRepository();

  Repository& repo() { return *repo_; }
  Clock& clock() { return clock_; }
  // A scratch file name inside the temporary directory.
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  // Throws the store away and opens an empty one.
  void Reset();

 private:
  std::filesystem::path dir_;
  SystemClock clock_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Repository> repo_;
  int generation_ = 0;
};

// Aborts with `what` and the status when `st` is not ok: set-up steps of a
// fuzz target must not fail.
void FuzzCheck(const Status& st, const char* what);

}  // namespace tandem
