#include "fuzz/fuzz_repository.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "common/ids.h"

namespace tandem {

void FuzzCheck(const Status& st, const char* what) {
  if (st.ok()) return;
  std::fprintf(stderr, "fuzz set-up failed: %s: %s\n", what, st.ToString().c_str());
  std::abort();
}

FuzzRepository::FuzzRepository() {
  std::filesystem::path base = std::filesystem::exists("/dev/shm")
                                   ? std::filesystem::path("/dev/shm")
                                   : std::filesystem::temp_directory_path();
  dir_ = base / ("tandem-fuzz-" + std::to_string(getpid()) + "-" + RandomHex(4));
  std::filesystem::create_directories(dir_);
  Reset();
}

FuzzRepository::~FuzzRepository() {
  repo_.reset();
  store_.reset();
  std::error_code ignored;  // a leftover temporary directory is not worth failing for
  std::filesystem::remove_all(dir_, ignored);
}

void FuzzRepository::Reset() {
  repo_.reset();
  store_.reset();
  std::string db = (dir_ / ("tandem-" + std::to_string(generation_) + ".db")).string();
  std::error_code ignored;  // the previous store's files; a new name is used anyway
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(dir_ / ("tandem-" + std::to_string(generation_ - 1) + ".db" + suffix), ignored);
  }
  ++generation_;
  auto store = SqliteStore::Open(db);
  FuzzCheck(store.status(), "opening the store");
  store_ = std::move(store).value();
  repo_ = std::make_unique<Repository>(*store_, clock_);
  FuzzCheck(repo_->Bootstrap(), "bootstrapping the repository");
}

}  // namespace tandem
