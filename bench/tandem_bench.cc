// tandem-bench: end-to-end benchmark of the repository layer (Repository over
// SqliteStore) on SysML v2 models of growing size. For each model size N it
// generates N elements from the shared real model, imports them in one commit,
// builds a history of small commits, then measures element reads, page
// listing, diffs and the store's size on disk. Prints progress to stderr and
// a table with one column per model size to stdout. `make bench` runs it;
// docs/benchmarks.md explains the figures.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/model_generator.h"
#include "common/clock.h"
#include "common/ids.h"
#include "repo/repository.h"
#include "store/sqlite/sqlite_store.h"

#ifndef TANDEM_SOURCE_DIR
#define TANDEM_SOURCE_DIR "."
#endif

namespace tandem {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

constexpr char kModelFile[] = "data/sysml-v2/PartsTreeRedefinition.json";
constexpr size_t kPageSize = 100;
// A query no index answers reads every element: fewer samples.
constexpr size_t kScanQuerySamples = 5;
constexpr size_t kOldCommit = 10;       // history commit whose state the "old" reads use
constexpr size_t kChurnEvery = 10;      // every 10th commit also deletes and adds one element
constexpr size_t kFarDiffSamples = 20;  // Diff(import, head) is slow; fewer samples

const SteadyClock::time_point kStart = SteadyClock::now();

// ---------------------------------------------------------------- options

struct Options {
  std::string shared_dir;
  std::vector<size_t> sizes{1'000, 10'000, 100'000};
  size_t history = 1'000;
  size_t changes_per_commit = 10;  // k
  size_t reads = 2'000;            // samples per GetElement measurement
  size_t page_reads = 200;         // samples per ListElements / Diff measurement
  uint64_t seed = 42;
  std::string work_dir;  // parent of the per-size temporary data directories
  bool keep_stores = false;
  size_t node_cache_entries = RepositoryOptions{}.node_cache_entries;
};

void PrintUsage(FILE* out) {
  std::fprintf(out,
               "usage: tandem-bench [options]\n"
               "  --shared-dir DIR   directory holding %s\n"
               "                     (default: $TANDEM_SHARED_DIR, else <repo root>/../shared)\n"
               "  --sizes LIST       model sizes in elements, comma separated "
               "(default 1000,10000,100000)\n"
               "  --history N        commits of history after the import (default 1000)\n"
               "  --changes K        elements changed per history commit (default 10)\n"
               "  --reads N          samples per GetElement measurement (default 2000)\n"
               "  --page-reads N     samples per ListElements and Diff measurement (default 200)\n"
               "  --seed N           random seed for the element picks (default 42)\n"
               "  --node-cache N     Repository trie-node cache entries (default: the server's)\n"
               "  --work-dir DIR     where the temporary stores go (default: system temp dir)\n"
               "  --keep-stores      leave the stores on disk for inspection (default: delete)\n"
               "  --help             this text\n",
               kModelFile);
}

std::optional<size_t> ParseCount(const std::string& s) {
  if (s.empty()) return std::nullopt;
  size_t multiplier = 1;
  std::string digits = s;
  char last = static_cast<char>(std::tolower(static_cast<unsigned char>(s.back())));
  if (last == 'k') multiplier = 1'000;
  if (last == 'm') multiplier = 1'000'000;
  if (multiplier != 1) digits.pop_back();
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (digits.empty() || digits.size() > 12 ||
      !std::all_of(digits.begin(), digits.end(), is_digit)) {
    return std::nullopt;
  }
  return static_cast<size_t>(std::stoull(digits)) * multiplier;
}

Result<Options> ParseOptions(int argc, char** argv) {
  Options o;
  const char* env = std::getenv("TANDEM_SHARED_DIR");
  o.shared_dir = env && *env ? env : std::string(TANDEM_SOURCE_DIR) + "/../shared";
  o.work_dir = fs::temp_directory_path().string();
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    if (arg == "--help" || arg == "-h") {
      PrintUsage(stdout);
      std::exit(0);
    }
    if (arg == "--keep-stores" && !has_value) {
      o.keep_stores = true;
      continue;
    }
    auto next = [&]() -> Result<std::string> {
      if (has_value) return value;
      if (i + 1 >= argc) return Status::InvalidArgument(arg + " needs a value");
      return std::string(argv[++i]);
    };
    auto count = [&](size_t& out) -> Status {
      ASSIGN_OR_RETURN(std::string v, next());
      auto n = ParseCount(v);
      if (!n) return Status::InvalidArgument(arg + ": '" + v + "' is not a count");
      out = *n;
      return Status::Ok();
    };
    if (arg == "--shared-dir") {
      ASSIGN_OR_RETURN(o.shared_dir, next());
    } else if (arg == "--work-dir") {
      ASSIGN_OR_RETURN(o.work_dir, next());
    } else if (arg == "--sizes") {
      ASSIGN_OR_RETURN(std::string v, next());
      o.sizes.clear();
      size_t start = 0;
      while (start <= v.size()) {
        size_t comma = std::min(v.find(',', start), v.size());
        auto n = ParseCount(v.substr(start, comma - start));
        if (!n || *n == 0) return Status::InvalidArgument("--sizes: bad list '" + v + "'");
        o.sizes.push_back(*n);
        start = comma + 1;
      }
    } else if (arg == "--history") {
      RETURN_IF_ERROR(count(o.history));
    } else if (arg == "--changes") {
      RETURN_IF_ERROR(count(o.changes_per_commit));
    } else if (arg == "--reads") {
      RETURN_IF_ERROR(count(o.reads));
    } else if (arg == "--page-reads") {
      RETURN_IF_ERROR(count(o.page_reads));
    } else if (arg == "--node-cache") {
      RETURN_IF_ERROR(count(o.node_cache_entries));
    } else if (arg == "--seed") {
      size_t seed = 0;
      RETURN_IF_ERROR(count(seed));
      o.seed = seed;
    } else {
      return Status::InvalidArgument("unknown argument '" + std::string(argv[i]) + "'");
    }
  }
  if (o.changes_per_commit < 2) return Status::InvalidArgument("--changes must be at least 2");
  if (o.reads == 0 || o.page_reads == 0) return Status::InvalidArgument("read counts must be > 0");
  return o;
}

// ---------------------------------------------------------------- measuring

void Progress(const char* format, ...) __attribute__((format(printf, 1, 2)));
void Progress(const char* format, ...) {
  double t = std::chrono::duration<double>(SteadyClock::now() - kStart).count();
  std::fprintf(stderr, "[%7.1fs] ", t);
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
  std::fputc('\n', stderr);
}

double Seconds(SteadyClock::time_point since) {
  return std::chrono::duration<double>(SteadyClock::now() - since).count();
}

double MicrosSince(SteadyClock::time_point since) {
  return std::chrono::duration<double, std::micro>(SteadyClock::now() - since).count();
}

// CPU time this thread has used, in microseconds. Unlike wall time it does not
// grow when other processes compete for the CPUs, but it leaves out waiting
// (fsync, page faults served from disk).
double ThreadCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

struct LatencyStats {
  size_t samples = 0;
  double mean = 0, p50 = 0, p99 = 0, max = 0;  // microseconds
};

// Nearest-rank percentiles.
LatencyStats Summarize(std::vector<double> us) {
  LatencyStats s;
  if (us.empty()) return s;
  std::sort(us.begin(), us.end());
  s.samples = us.size();
  double sum = 0;
  for (double v : us) sum += v;
  s.mean = sum / us.size();
  auto rank = [&](double p) {
    size_t r = static_cast<size_t>(std::ceil(p * us.size()));
    return us[std::clamp<size_t>(r, 1, us.size()) - 1];
  };
  s.p50 = rank(0.50);
  s.p99 = rank(0.99);
  s.max = us.back();
  return s;
}

// The 1-minute load average, from /proc/loadavg (-1 if unavailable). Other
// processes competing for the CPUs skew the figures; the report shows it.
double LoadAverage() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  if (!f) return -1;
  double load = -1;
  if (std::fscanf(f, "%lf", &load) != 1) load = -1;
  std::fclose(f);
  return load;
}

// Resident set size now, from /proc/self/statm (0 if unavailable).
long CurrentRssMb() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  long pages_total = 0, pages_resident = 0;
  int got = std::fscanf(f, "%ld %ld", &pages_total, &pages_resident);
  std::fclose(f);
  return got == 2 ? pages_resident * (sysconf(_SC_PAGESIZE) / 1024) / 1024 : 0;
}

long PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;  // ru_maxrss is in KiB on Linux
}

uint64_t FileSize(const fs::path& p) {
  std::error_code ec;
  auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

std::string SizeLabel(size_t n) {
  if (n % 1'000'000 == 0) return std::to_string(n / 1'000'000) + "M";
  if (n % 1'000 == 0) return std::to_string(n / 1'000) + "k";
  return std::to_string(n);
}

// A fresh directory removed (with everything in it) when this goes out of scope,
// unless `keep`.
class ScopedDir {
 public:
  ScopedDir(fs::path path, bool keep) : path_(std::move(path)), keep_(keep) {
    fs::create_directories(path_);
  }
  ~ScopedDir() {
    std::error_code ec;
    if (!keep_) fs::remove_all(path_, ec);
  }
  ScopedDir(const ScopedDir&) = delete;
  ScopedDir& operator=(const ScopedDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  bool keep_;
};

// ---------------------------------------------------------------- one model size

struct SizeResult {
  size_t elements = 0;
  double json_mb = 0;  // compact JSON text of the generated payloads
  double generate_s = 0;
  double import_s = 0;
  double import_db_mb = 0;  // right after the import
  double import_wal_mb = 0;
  double import_closed_mb = 0;    // db + wal after closing the store once after the import
  long rss_before_import_mb = 0;  // mostly the generated model held by the benchmark
  size_t commits = 0;
  double history_s = 0;                            // sum of the CreateCommit calls
  LatencyStats commit, commit_first, commit_last;  // all, first 100, last 100 commits
  LatencyStats commit_cpu;                         // thread CPU time of each commit
  double import_cpu_s = 0;
  LatencyStats get_head, get_old, list_first, list_random, diff_adjacent, diff_far;
  LatencyStats query_type, query_name, query_instance_of, query_scan;  // first page of 100
  size_t diff_mismatches = 0;  // adjacent diffs whose entry count was not k
  double end_db_mb = 0;        // after everything, store still open
  double end_wal_mb = 0;
  double closed_db_mb = 0;  // after closing (SQLite checkpoints and removes the WAL)
  double closed_wal_mb = 0;
  long peak_rss_mb = 0;
};

// The model as the benchmark last committed it: payloads by position, with an
// id -> position index so random picks, updates and deletes are O(1).
class ModelState {
 public:
  explicit ModelState(std::vector<ElementChange> elements) : elements_(std::move(elements)) {
    index_.reserve(elements_.size() * 2);
    for (size_t i = 0; i < elements_.size(); ++i) index_[*elements_[i].element_id] = i;
  }
  size_t size() const { return elements_.size(); }
  const ElementChange& at(size_t i) const { return elements_[i]; }
  void Put(const std::string& id, Json payload) {
    auto it = index_.find(id);
    if (it != index_.end()) {
      elements_[it->second].payload = std::move(payload);
      return;
    }
    index_[id] = elements_.size();
    elements_.push_back({id, std::move(payload)});
  }
  void Erase(const std::string& id) {
    auto it = index_.find(id);
    if (it == index_.end()) return;
    size_t pos = it->second;
    index_.erase(it);
    if (pos + 1 != elements_.size()) {
      elements_[pos] = std::move(elements_.back());
      index_[*elements_[pos].element_id] = pos;
    }
    elements_.pop_back();
  }
  std::vector<std::string> Ids() const {
    std::vector<std::string> ids;
    ids.reserve(elements_.size());
    for (const auto& e : elements_) ids.push_back(*e.element_id);
    return ids;
  }

 private:
  std::vector<ElementChange> elements_;
  std::unordered_map<std::string, size_t> index_;
};

// Times `op` `samples` times; `op` gets the sample number and returns its Status.
Result<LatencyStats> Measure(size_t samples, const std::function<Status(size_t)>& op) {
  std::vector<double> us;
  us.reserve(samples);
  for (size_t i = 0; i < samples; ++i) {
    auto t0 = SteadyClock::now();
    Status st = op(i);
    us.push_back(MicrosSince(t0));
    if (!st.ok()) return st;
  }
  return Summarize(std::move(us));
}

// One history commit: k-2 (or k) updates of random elements' declaredName; every
// kChurnEvery-th commit also deletes one element and adds a copy of another.
CommitRequest MakeHistoryCommit(const ModelState& model, size_t commit_no, size_t k,
                                std::mt19937_64& rng) {
  CommitRequest req;
  req.name = "bench commit " + std::to_string(commit_no);
  bool churn = commit_no % kChurnEvery == 0 && model.size() > k + 1;
  size_t picks = std::min(churn ? k - 1 : k, model.size());
  std::uniform_int_distribution<size_t> pick(0, model.size() - 1);
  std::set<size_t> chosen;
  while (chosen.size() < picks) chosen.insert(pick(rng));
  size_t j = 0;
  for (size_t pos : chosen) {
    const ElementChange& e = model.at(pos);
    if (churn && j == 0) {
      req.changes.push_back({e.element_id, nullptr});  // delete
    } else {
      Json payload = e.payload;
      payload["declaredName"] = "bench c" + std::to_string(commit_no) + " e" + std::to_string(j);
      req.changes.push_back({e.element_id, std::move(payload)});
    }
    ++j;
  }
  if (churn) {
    // Add a copy of a random element (not one deleted above) under a fresh id.
    size_t src;
    do {
      src = pick(rng);
    } while (src == *chosen.begin());
    std::string id = NewUuid();
    Json payload = model.at(src).payload;
    if (payload.contains("elementId")) payload["elementId"] = id;
    if (payload.contains("@id")) payload["@id"] = id;
    payload["declaredName"] = "bench c" + std::to_string(commit_no) + " new";
    req.changes.push_back({id, std::move(payload)});
  }
  return req;
}

Result<SizeResult> RunSize(const Options& opts, const std::vector<ElementChange>& base, size_t n) {
  const std::string label = SizeLabel(n);
  SizeResult res;
  std::mt19937_64 rng(opts.seed + n);

  ScopedDir dir(fs::path(opts.work_dir) / ("tandem-bench-" + label + "-" + RandomHex(4)),
                opts.keep_stores);
  const fs::path db = dir.path() / "tandem.db";
  auto db_mb = [&] { return FileSize(db) / 1e6; };
  auto wal_mb = [&] { return FileSize(db.string() + "-wal") / 1e6; };

  Progress("%s: generating %zu elements from the %zu-element model", label.c_str(), n, base.size());
  auto t0 = SteadyClock::now();
  CommitRequest import;
  import.name = "import";
  import.changes = GenerateModel(base, n);
  res.generate_s = Seconds(t0);
  res.elements = import.changes.size();
  uint64_t json_bytes = 0;
  for (const auto& ch : import.changes) json_bytes += ch.payload.dump().size();
  res.json_mb = json_bytes / 1e6;
  res.rss_before_import_mb = CurrentRssMb();
  Progress("%s: generated in %.1fs, %.1f MB of JSON, RSS %ld MB; store in %s", label.c_str(),
           res.generate_s, res.json_mb, res.rss_before_import_mb, dir.path().c_str());

  RepositoryOptions repo_options;
  repo_options.node_cache_entries = opts.node_cache_entries;
  ASSIGN_OR_RETURN(auto store, SqliteStore::Open(db.string()));
  auto repo = std::make_unique<Repository>(*store, SystemClock::Instance(), repo_options);
  RETURN_IF_ERROR(repo->Bootstrap());
  ASSIGN_OR_RETURN(Resource resource, repo->CreateResource({"bench-" + label, std::nullopt,
                                                            std::nullopt, std::nullopt}));

  // ---- initial import: one commit of all n elements
  Progress("%s: importing %zu elements in one commit", label.c_str(), res.elements);
  t0 = SteadyClock::now();
  double cpu0 = ThreadCpuMicros();
  ASSIGN_OR_RETURN(Commit imported, repo->CreateCommit(resource.id, import, "bench"));
  res.import_s = Seconds(t0);
  res.import_cpu_s = (ThreadCpuMicros() - cpu0) / 1e6;
  res.import_db_mb = db_mb();
  res.import_wal_mb = wal_mb();
  if (imported.element_count != res.elements) {
    return Status::Corruption("import commit holds " + std::to_string(imported.element_count) +
                              " elements, expected " + std::to_string(res.elements));
  }
  Progress("%s: imported in %.2fs (%.0f elements/s), db %.1f MB + wal %.1f MB, peak RSS %ld MB",
           label.c_str(), res.import_s, res.elements / res.import_s, res.import_db_mb,
           res.import_wal_mb, PeakRssMb());

  // Close and reopen, as after a server restart: SQLite checkpoints the WAL into
  // the db on close, which gives the import's own size on disk. The history
  // then starts with cold caches.
  repo.reset();
  store.reset();
  res.import_closed_mb = db_mb() + wal_mb();
  ASSIGN_OR_RETURN(store, SqliteStore::Open(db.string()));
  repo = std::make_unique<Repository>(*store, SystemClock::Instance(), repo_options);
  RETURN_IF_ERROR(repo->Bootstrap());
  Progress("%s: closed and reopened the store: %.1f MB on disk", label.c_str(),
           res.import_closed_mb);

  // ---- history: small commits on top of the import
  ModelState model(std::move(import.changes));
  std::vector<std::string> commits{imported.id};
  std::vector<std::string> old_ids;  // element ids alive at history commit kOldCommit
  std::vector<double> commit_us, commit_cpu_us;
  commit_us.reserve(opts.history);
  commit_cpu_us.reserve(opts.history);
  for (size_t i = 1; i <= opts.history; ++i) {
    CommitRequest req = MakeHistoryCommit(model, i, opts.changes_per_commit, rng);
    t0 = SteadyClock::now();
    cpu0 = ThreadCpuMicros();
    auto c = repo->CreateCommit(resource.id, req, "bench");
    commit_us.push_back(MicrosSince(t0));
    commit_cpu_us.push_back(ThreadCpuMicros() - cpu0);
    if (!c.ok()) return c.status().WithContext("history commit " + std::to_string(i));
    commits.push_back(c->id);
    for (auto& ch : req.changes) {
      if (ch.payload.is_null()) {
        model.Erase(*ch.element_id);
      } else {
        model.Put(*ch.element_id, std::move(ch.payload));
      }
    }
    if (i == std::min(kOldCommit, opts.history)) old_ids = model.Ids();
    if (i % 100 == 0 || i == opts.history) {
      std::vector<double> last(commit_us.end() - std::min<size_t>(100, commit_us.size()),
                               commit_us.end());
      std::vector<double> last_cpu(commit_cpu_us.end() - last.size(), commit_cpu_us.end());
      Progress("%s: history %zu/%zu commits, last 100: p50 %.2f ms (CPU %.2f ms), RSS %ld MB",
               label.c_str(), i, opts.history, Summarize(last).p50 / 1e3,
               Summarize(last_cpu).p50 / 1e3, CurrentRssMb());
    }
  }
  res.commits = commit_us.size();
  for (double us : commit_us) res.history_s += us / 1e6;
  res.commit = Summarize(commit_us);
  res.commit_cpu = Summarize(commit_cpu_us);
  size_t window = std::min<size_t>(100, commit_us.size());
  res.commit_first = Summarize({commit_us.begin(), commit_us.begin() + window});
  res.commit_last = Summarize({commit_us.end() - window, commit_us.end()});
  if (old_ids.empty()) old_ids = model.Ids();  // no history: "old" is the import

  // ---- reads
  const std::string& head = commits.back();
  const std::string& old = commits[std::min(kOldCommit, commits.size() - 1)];
  std::vector<std::string> head_ids = model.Ids();
  auto random_of = [&](const std::vector<std::string>& v) -> const std::string& {
    return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
  };
  Progress("%s: GetElement x%zu at the head and at commit #%zu", label.c_str(), opts.reads,
           std::min(kOldCommit, commits.size() - 1));
  auto get_at = [&](const std::string& commit, const std::vector<std::string>& ids) {
    return Measure(opts.reads, [&](size_t) -> Status {
      auto e = repo->GetElement(resource.id, commit, random_of(ids));
      if (!e.ok()) return e.status().WithContext("GetElement");
      benchmark::DoNotOptimize(e);
      return Status::Ok();
    });
  };
  ASSIGN_OR_RETURN(res.get_head, get_at(head, head_ids));
  ASSIGN_OR_RETURN(res.get_old, get_at(old, old_ids));

  Progress("%s: ListElements (page of %zu) x%zu", label.c_str(), kPageSize, opts.page_reads);
  auto list_page = [&](std::optional<std::string> after) -> Status {
    auto page = repo->ListElements(resource.id, head, {std::move(after), std::nullopt, kPageSize});
    if (!page.ok()) return page.status().WithContext("ListElements");
    if (page->items.size() != kPageSize && head_ids.size() > 2 * kPageSize) {
      return Status::Corruption("ListElements returned " + std::to_string(page->items.size()) +
                                " items, expected " + std::to_string(kPageSize));
    }
    benchmark::DoNotOptimize(page);
    return Status::Ok();
  };
  ASSIGN_OR_RETURN(res.list_first,
                   Measure(opts.page_reads, [&](size_t) { return list_page(std::nullopt); }));
  // Cursors land anywhere in trie order; some pages near the end come back short.
  ASSIGN_OR_RETURN(res.list_random, Measure(opts.page_reads, [&](size_t) -> Status {
                     auto page = repo->ListElements(resource.id, head,
                                                    {random_of(head_ids), std::nullopt, kPageSize});
                     if (!page.ok()) return page.status().WithContext("ListElements");
                     benchmark::DoNotOptimize(page);
                     return Status::Ok();
                   }));

  if (commits.size() > 1) {
    Progress("%s: Diff of adjacent commits x%zu, Diff(import, head) x%zu", label.c_str(),
             opts.page_reads, kFarDiffSamples);
    std::uniform_int_distribution<size_t> pick_commit(1, commits.size() - 1);
    ASSIGN_OR_RETURN(res.diff_adjacent, Measure(opts.page_reads, [&](size_t) -> Status {
                       size_t i = pick_commit(rng);
                       auto d = repo->Diff(resource.id, commits[i - 1], commits[i],
                                           {std::nullopt, std::nullopt, kPageSize});
                       if (!d.ok()) return d.status().WithContext("Diff");
                       if (d->items.size() != opts.changes_per_commit) ++res.diff_mismatches;
                       benchmark::DoNotOptimize(d);
                       return Status::Ok();
                     }));
    ASSIGN_OR_RETURN(res.diff_far, Measure(kFarDiffSamples, [&](size_t) -> Status {
                       auto d = repo->Diff(resource.id, commits.front(), head,
                                           {std::nullopt, std::nullopt, kPageSize});
                       if (!d.ok()) return d.status().WithContext("Diff");
                       benchmark::DoNotOptimize(d);
                       return Status::Ok();
                     }));
  }

  // ---- queries (Query service): first page of 100 at the head
  Progress("%s: queries by @type, name, instanceOf (indexed) x%zu, by a property (scan) x%zu",
           label.c_str(), opts.page_reads, kScanQuerySamples);
  auto primitive = [](const char* property, const char* op, Json value) {
    QueryConstraint c;
    c.property = property;
    c.op = op;
    c.values = {std::move(value)};
    return c;
  };
  // A name the model repeats once per copy of the base model.
  std::string some_name = "rearWheel_1";
  auto query = [&](const QueryConstraint& where, size_t samples) {
    return Measure(samples, [&](size_t) -> Status {
      // As the API runs them: whole elements the index selects stay text.
      auto page = repo->QueryElements(resource.id, head,
                                      ElementQuery{where, {}, /*texts_when_indexed=*/true},
                                      {std::nullopt, std::nullopt, kPageSize});
      if (!page.ok()) return page.status().WithContext("QueryElements");
      if (page->items.empty() && page->texts.empty())
        return Status::Corruption("a benchmark query found nothing");
      benchmark::DoNotOptimize(page);
      return Status::Ok();
    });
  };
  ASSIGN_OR_RETURN(res.query_type, query(primitive("@type", "=", "PartUsage"), opts.page_reads));
  ASSIGN_OR_RETURN(res.query_name, query(primitive("name", "=", some_name), opts.page_reads));
  ASSIGN_OR_RETURN(res.query_instance_of,
                   query(primitive("@type", "instanceOf", "Usage"), opts.page_reads));
  ASSIGN_OR_RETURN(res.query_scan,
                   query(primitive("memberShortName", "=", "kg"), kScanQuerySamples));

  // ---- size on disk
  res.end_db_mb = db_mb();
  res.end_wal_mb = wal_mb();
  repo.reset();
  store.reset();
  res.closed_db_mb = db_mb();
  res.closed_wal_mb = wal_mb();
  res.peak_rss_mb = PeakRssMb();
  Progress("%s: done; open: db %.1f MB + wal %.1f MB; closed: db %.1f MB; peak RSS %ld MB",
           label.c_str(), res.end_db_mb, res.end_wal_mb, res.closed_db_mb, res.peak_rss_mb);
  return res;
}

// ---------------------------------------------------------------- report

// One table row: a label and the figure it shows for one model size.
struct Row {
  std::string label;
  std::function<double(const SizeResult&)> value;
  int decimals;
};

// Three rows (mean, p50, p99) for a latency, divided by `scale` (1e3: ms).
std::vector<Row> LatencyRows(const std::string& name, LatencyStats SizeResult::*field, double scale,
                             const std::string& unit, int decimals) {
  auto rows = std::vector<Row>{};
  const std::pair<const char*, double LatencyStats::*> stats[] = {
      {"mean", &LatencyStats::mean}, {"p50", &LatencyStats::p50}, {"p99", &LatencyStats::p99}};
  for (const auto& [stat_name, stat] : stats) {
    rows.push_back({name + " " + stat_name + " (" + unit + ")",
                    [field, stat, scale](const SizeResult& r) { return (r.*field).*stat / scale; },
                    decimals});
  }
  return rows;
}

void PrintSection(const std::string& title, const std::vector<Row>& rows,
                  const std::vector<SizeResult>& results) {
  constexpr int kLabel = 44, kCol = 12;
  std::printf("\n%-*s", kLabel, title.c_str());
  for (const auto& r : results) std::printf("%*s", kCol, SizeLabel(r.elements).c_str());
  std::printf("\n%s\n", std::string(kLabel + kCol * results.size(), '-').c_str());
  for (const auto& row : rows) {
    std::printf("%-*s", kLabel, row.label.c_str());
    for (const auto& r : results) std::printf("%*.*f", kCol, row.decimals, row.value(r));
    std::printf("\n");
  }
}

std::vector<Row> Concat(std::vector<std::vector<Row>> parts) {
  std::vector<Row> out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

void PrintTable(const Options& opts, const std::vector<SizeResult>& results, double load_start) {
  using R = const SizeResult&;
  std::printf("\ntandem-bench results: %zu history commits of k=%zu changes per model size\n",
              opts.history, opts.changes_per_commit);
  std::printf("1-minute load average: %.2f at start, %.2f at end (%ld CPUs)\n", load_start,
              LoadAverage(), sysconf(_SC_NPROCESSORS_ONLN));

  PrintSection("model",
               {
                   {"elements", [](R r) { return r.elements; }, 0},
                   {"payload JSON (MB, compact)", [](R r) { return r.json_mb; }, 1},
                   {"generation (s, not part of the store)", [](R r) { return r.generate_s; }, 2},
               },
               results);
  PrintSection("initial import (one commit of all elements)",
               {
                   {"time (s)", [](R r) { return r.import_s; }, 2},
                   {"CPU time (s)", [](R r) { return r.import_cpu_s; }, 2},
                   {"elements/s", [](R r) { return r.elements / r.import_s; }, 0},
                   {"MB/s of payload JSON", [](R r) { return r.json_mb / r.import_s; }, 1},
                   {"store open: db (MB)", [](R r) { return r.import_db_mb; }, 1},
                   {"store open: wal (MB)", [](R r) { return r.import_wal_mb; }, 1},
                   {"store closed: db (MB)", [](R r) { return r.import_closed_mb; }, 1},
               },
               results);
  PrintSection(
      "history (" + std::to_string(opts.history) +
          " commits, k=" + std::to_string(opts.changes_per_commit) + ")",
      Concat({
          {{"commits/s", [](R r) { return r.commits / r.history_s; }, 1}},
          LatencyRows("commit", &SizeResult::commit, 1e3, "ms", 2),
          {{"commit max (ms)", [](R r) { return r.commit.max / 1e3; }, 2},
           {"commit p50, first 100 commits (ms)", [](R r) { return r.commit_first.p50 / 1e3; }, 2},
           {"commit p50, last 100 commits (ms)", [](R r) { return r.commit_last.p50 / 1e3; }, 2}},
          LatencyRows("commit CPU time", &SizeResult::commit_cpu, 1e3, "ms", 2),
          {{"store growth per commit (KB)",
            [](R r) {
              return r.commits ? (r.closed_db_mb - r.import_closed_mb) * 1e3 / r.commits : 0.0;
            },
            1}},
      }),
      results);
  PrintSection(
      "reads (single thread)",
      Concat({
          LatencyRows("GetElement @head", &SizeResult::get_head, 1, "us", 0),
          LatencyRows("GetElement @commit #10", &SizeResult::get_old, 1, "us", 0),
          LatencyRows("ListElements first page of 100", &SizeResult::list_first, 1e3, "ms", 2),
          LatencyRows("ListElements random page of 100", &SizeResult::list_random, 1e3, "ms", 2),
          LatencyRows("Diff adjacent commits", &SizeResult::diff_adjacent, 1, "us", 0),
          LatencyRows("Diff import..head, first 100", &SizeResult::diff_far, 1e3, "ms", 2),
          LatencyRows("query @type = PartUsage, first 100", &SizeResult::query_type, 1e3, "ms", 2),
          LatencyRows("query name = rearWheel_1, first 100", &SizeResult::query_name, 1e3, "ms", 2),
          LatencyRows("query instanceOf Usage, first 100", &SizeResult::query_instance_of, 1e3,
                      "ms", 2),
          LatencyRows("query memberShortName = kg (scan), first 100", &SizeResult::query_scan, 1e3,
                      "ms", 1),
      }),
      results);
  PrintSection(
      "store on disk at the end, and memory",
      {
          {"store open: db (MB)", [](R r) { return r.end_db_mb; }, 1},
          {"store open: wal (MB)", [](R r) { return r.end_wal_mb; }, 1},
          {"store open: db + wal (MB)", [](R r) { return r.end_db_mb + r.end_wal_mb; }, 1},
          {"store closed: db + wal (MB)", [](R r) { return r.closed_db_mb + r.closed_wal_mb; }, 1},
          {"RSS before import, model generated (MB)",
           [](R r) { return static_cast<double>(r.rss_before_import_mb); }, 0},
          {"peak RSS of the process so far (MB)",
           [](R r) { return static_cast<double>(r.peak_rss_mb); }, 0},
      },
      results);
  for (const auto& r : results) {
    if (r.diff_mismatches) {
      std::printf("warning: %s: %zu adjacent diffs did not list exactly k=%zu elements\n",
                  SizeLabel(r.elements).c_str(), r.diff_mismatches, opts.changes_per_commit);
    }
  }
  std::fflush(stdout);
}

int Main(int argc, char** argv) {
  auto opts = ParseOptions(argc, argv);
  if (!opts.ok()) {
    std::fprintf(stderr, "tandem-bench: %s\n", opts.status().message().c_str());
    PrintUsage(stderr);
    return 2;
  }
  const std::string model_path = opts->shared_dir + "/" + kModelFile;
  auto base = LoadSysmlChanges(model_path);
  if (!base.ok()) {
    std::fprintf(stderr, "tandem-bench: %s (use --shared-dir or TANDEM_SHARED_DIR)\n",
                 base.status().ToString().c_str());
    return 1;
  }
  const double load_start = LoadAverage();
  Progress("model %s: %zu elements; load average %.2f; sizes:", model_path.c_str(), base->size(),
           load_start);
  for (size_t n : opts->sizes) Progress("  %s", SizeLabel(n).c_str());

  std::vector<SizeResult> results;
  for (size_t n : opts->sizes) {
    auto r = RunSize(*opts, *base, n);
    if (!r.ok()) {
      std::fprintf(stderr, "tandem-bench: size %zu failed: %s\n", n, r.status().ToString().c_str());
      if (!results.empty()) PrintTable(*opts, results, load_start);
      return 1;
    }
    results.push_back(std::move(r).value());
  }
  PrintTable(*opts, results, load_start);
  Progress("total %.1fs", Seconds(kStart));
  return 0;
}

}  // namespace
}  // namespace tandem

int main(int argc, char** argv) { return tandem::Main(argc, argv); }
