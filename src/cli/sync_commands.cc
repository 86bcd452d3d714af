// tandem sync list|create|show|delete|enable|disable|set-password|now|status|runs:
// the remote resource configurations of a target server (/api/v1/remote-configs),
// which copy resources from a source server and keep them up to date. All of
// them need the admin role on the target server.
#include "cli/sync_commands.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/password.h"
#include "cli/request_target.h"

namespace tandem {
namespace {

using nlohmann::json;

constexpr char kConfigs[] = "/api/v1/remote-configs";
constexpr char kSourcePasswordVariable[] = "TANDEM_SOURCE_PASSWORD";
const std::vector<std::string> kTriggers = {"commit", "tag", "manual"};

// ---------------------------------------------------------------- waiting

SyncWaitHooks& Hooks() {
  static SyncWaitHooks hooks;
  return hooks;
}

int64_t NowMicros() {
  if (Hooks().now_micros) return Hooks().now_micros();
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Sleep(std::chrono::milliseconds duration) {
  if (Hooks().sleep) {
    Hooks().sleep(duration);
  } else {
    std::this_thread::sleep_for(duration);
  }
}

bool IsTerminal(const std::ostream& stream) {
  if (Hooks().is_terminal) return Hooks().is_terminal(stream);
  return &stream == &std::cerr && isatty(STDERR_FILENO) == 1;
}

// ---------------------------------------------------------------- formatting

std::string ConfigPath(std::string_view id) {
  return std::string(kConfigs) + "/" + PercentEncode(id);
}

// A non-negative integer field, or 0.
uint64_t Count(const json& record, std::string_view key) {
  if (!record.is_object()) return 0;
  auto it = record.find(key);
  if (it == record.end() || !it->is_number()) return 0;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  if (it->is_number_integer())
    return static_cast<uint64_t>(std::max<int64_t>(0, it->get<int64_t>()));
  return static_cast<uint64_t>(std::max(0.0, it->get<double>()));
}

}  // namespace

std::string FormatBytes(uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
    value /= 1024.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, kUnits[unit]);
  return text;
}

namespace {

// "a, b" for a JSON array of ids, "-" when empty or absent.
std::string IdList(const json& record, std::string_view key) {
  if (!record.is_object()) return "-";
  auto it = record.find(key);
  if (it == record.end() || !it->is_array() || it->empty()) return "-";
  std::string out;
  for (const auto& id : *it) {
    if (!out.empty()) out += ", ";
    out += id.is_string() ? id.get<std::string>() : id.dump();
  }
  return out;
}

const json& Member(const json& record, std::string_view key) {
  static const json kNull;
  if (!record.is_object()) return kNull;
  auto it = record.find(key);
  return it == record.end() ? kNull : *it;
}

// "commit", "tag release-*", "manual", with ", once" for a one-time configuration.
std::string TriggerText(const json& config) {
  const json& trigger = Member(config, "trigger");
  std::string text = StringOr(trigger, "type", "-");
  if (text == "tag") text += " " + StringOr(trigger, "tag", "?");
  if (Member(config, "once") == true) text += ", once";
  return text;
}

// "3/10 resources, 120 commits, 4.5 MiB, 1.2 MiB/s".
std::string ProgressText(const json& progress) {
  return std::to_string(Count(progress, "resourcesDone")) + "/" +
         std::to_string(Count(progress, "resourcesTotal")) + " resources, " +
         std::to_string(Count(progress, "commitsDone")) + " commits, " +
         FormatBytes(Count(progress, "bytesDone")) + ", " +
         FormatBytes(Count(progress, "bytesPerSecond")) + "/s";
}

// The state of a status record with what goes with it.
std::string StateText(const json& status) {
  std::string state = StringOr(status, "state", "-");
  const json& progress = Member(status, "progress");
  if (state == "running" && progress.is_object()) return state + ": " + ProgressText(progress);
  if (state == "waiting" && Member(status, "nextAttempt").is_string()) {
    return state + ": next attempt at " + FormatTime(Field(status, "nextAttempt"));
  }
  return state;
}

// A resource row's name: the project name, else the source id, else the
// category a selection named (rows about missing categories have no resource).
std::string RowName(const json& row) {
  std::string name = StringOr(row, "name");
  if (!name.empty()) return name;
  name = StringOr(row, "sourceId");
  if (!name.empty()) return name;
  name = StringOr(row, "categoryId");
  if (!name.empty()) return "category " + name;
  return "-";
}

std::string RowMessage(const json& row) {
  std::string message = StringOr(row, "message");
  return message.empty() ? "-" : OneLine(message, 1000);
}

}  // namespace

void PrintResourceRows(std::ostream& out, const json& rows) {
  Table table({"RESOURCE", "STATE", "MESSAGE"});
  for (const auto& row : rows) {
    table.AddRow({RowName(row), Field(row, "state"), RowMessage(row)});
  }
  table.Print(out);
}

namespace {

const json& ReportOf(const json& run) { return Member(run, "report"); }

const json& RowsOf(const json& run) {
  static const json kEmpty = json::array();
  const json& rows = Member(ReportOf(run), "resources");
  return rows.is_array() ? rows : kEmpty;
}

// Rows of a report that did not end synchronized ("excluded" is by design).
size_t UnsyncedRows(const json& rows) {
  size_t n = 0;
  for (const auto& row : rows) {
    std::string state = StringOr(row, "state");
    if (state != "synced" && state != "excluded") ++n;
  }
  return n;
}

// "3/4 synced", or "-" without rows.
std::string RowSummary(const json& rows) {
  if (rows.empty()) return "-";
  size_t synced = 0;
  for (const auto& row : rows) synced += StringOr(row, "state") == "synced" ? 1 : 0;
  return std::to_string(synced) + "/" + std::to_string(rows.size()) + " synced";
}

// ---------------------------------------------------------------- passwords

// The source account's password: TANDEM_SOURCE_PASSWORD, else one prompt.
Result<std::string> SourcePassword(const Environment& env, std::string_view user,
                                   std::string_view url) {
  return RemotePassword(env, kSourcePasswordVariable, user, "the source " + std::string(url));
}

// The server answers 401 both when this client's login fails and when the
// source refuses the configured account; RunCli would then suggest checking
// the login. For the source's refusal, point at the source account instead.
Status SourceAware(Status status) {
  if (status.code() != StatusCode::kUnauthenticated ||
      status.message().find("the source") == std::string::npos) {
    return status;
  }
  return Status::PermissionDenied(
      status.message() +
      "\nhint: check the source account's user name and password (TANDEM_SOURCE_PASSWORD)");
}

// ---------------------------------------------------------------- commands

Status ListConfigs(CommandContext& ctx) {
  ASSIGN_OR_RETURN(json configs, ctx.api.GetAll(kConfigs, std::nullopt));
  if (ctx.json) {
    PrintJson(ctx.out, configs);
    return Status::Ok();
  }
  Table table({"ID", "NAME", "SOURCE", "TRIGGER", "ENABLED"});
  for (const auto& c : configs) {
    table.AddRow({Field(c, "id"), Field(c, "name"), Field(Member(c, "source"), "url"),
                  TriggerText(c), Field(c, "enabled")});
  }
  table.Print(ctx.out);
  return Status::Ok();
}

void PrintConfig(std::ostream& out, const json& c) {
  const json& source = Member(c, "source");
  Table table;
  table.AddRow({"id:", Field(c, "id")});
  table.AddRow({"name:", Field(c, "name")});
  table.AddRow({"source:", Field(source, "url")});
  table.AddRow({"source user:", Field(source, "username")});
  table.AddRow({"resources:", IdList(c, "resources")});
  table.AddRow({"categories:", IdList(c, "categories")});
  table.AddRow({"target category:", Field(c, "targetCategoryId")});
  table.AddRow({"trigger:", TriggerText(c)});
  table.AddRow({"enabled:", Field(c, "enabled")});
  table.AddRow({"created:", FormatTime(Field(c, "created"))});
  table.Print(out);
}

struct ConfigOptions {
  std::string name;
  std::string source_url;
  std::string source_user;
  std::string target_category;
  std::vector<std::string> resources;
  std::vector<std::string> categories;
  std::string trigger = "commit";
  std::string tag;
  bool once = false;
  bool disabled = false;
};

// Checks what CLI11 cannot express; runs while parsing, so a mistake is
// reported before any password is asked for.
void ValidateConfigOptions(const ConfigOptions& o) {
  if (o.resources.empty() && o.categories.empty()) {
    throw CLI::ValidationError("select what to synchronize: give --resource ID or --category ID");
  }
  if (o.trigger == "tag" && o.tag.empty()) {
    throw CLI::ValidationError("--trigger tag needs --tag NAME (the tag that starts a run)");
  }
  if (o.trigger != "tag" && !o.tag.empty()) {
    throw CLI::ValidationError("--tag is only used with --trigger tag");
  }
}

Status CreateConfig(CommandContext& ctx, const ConfigOptions& o) {
  ASSIGN_OR_RETURN(std::string password, SourcePassword(ctx.env, o.source_user, o.source_url));
  json trigger = {{"type", o.trigger}};
  if (o.trigger == "tag") trigger["tag"] = o.tag;
  json body = {
      {"name", o.name},
      {"source", {{"url", o.source_url}, {"username", o.source_user}, {"password", password}}},
      {"resources", o.resources},
      {"categories", o.categories},
      {"targetCategoryId", o.target_category},
      {"trigger", trigger},
      {"once", o.once},
      {"enabled", !o.disabled}};
  Result<json> posted = ctx.api.Post(kConfigs, body);
  if (!posted.ok()) return SourceAware(posted.status());
  json created = std::move(posted).value();
  if (ctx.json) {
    PrintJson(ctx.out, created);
    return Status::Ok();
  }
  std::string id = Field(created, "id");
  ctx.out << "Created remote configuration " << id << " (" << o.name << "), trigger "
          << TriggerText(created) << "\n";
  if (o.disabled) {
    ctx.out << "It is disabled; start it with: tandem sync enable " << id << "\n";
  } else if (o.trigger == "manual") {
    ctx.out << "Run it with: tandem sync now " << id << "\n";
  } else {
    ctx.out << "The first run has started; follow it with: tandem sync status " << id << "\n";
  }
  return Status::Ok();
}

Status ShowConfig(CommandContext& ctx, const std::string& id) {
  ASSIGN_OR_RETURN(json config, ctx.api.Get(ConfigPath(id)));
  if (ctx.json) {
    PrintJson(ctx.out, config);
  } else {
    PrintConfig(ctx.out, config);
  }
  return Status::Ok();
}

Status DeleteConfig(CommandContext& ctx, const std::string& id) {
  ASSIGN_OR_RETURN(json answer, ctx.api.Delete(ConfigPath(id)));
  if (ctx.json) {
    PrintJson(ctx.out, answer);
  } else {
    ctx.out << "Deleted remote configuration " << id
            << "; the resources it copied stay on this server\n";
  }
  return Status::Ok();
}

Status SetEnabled(CommandContext& ctx, const std::string& id, bool enabled) {
  ASSIGN_OR_RETURN(json config, ctx.api.Patch(ConfigPath(id), {{"enabled", enabled}}));
  if (ctx.json) {
    PrintJson(ctx.out, config);
  } else {
    ctx.out << (enabled ? "Enabled" : "Disabled") << " remote configuration " << id << " ("
            << Field(config, "name") << ")\n";
  }
  return Status::Ok();
}

Status SetPassword(CommandContext& ctx, const std::string& id) {
  // The record names the account and server for the prompt, and shows that
  // the configuration exists before anyone types a password.
  ASSIGN_OR_RETURN(json config, ctx.api.Get(ConfigPath(id)));
  const json& source = Member(config, "source");
  ASSIGN_OR_RETURN(std::string password,
                   SourcePassword(ctx.env, Field(source, "username"), Field(source, "url")));
  Result<json> patched = ctx.api.Patch(ConfigPath(id), {{"source", {{"password", password}}}});
  if (!patched.ok()) return SourceAware(patched.status());
  json updated = std::move(patched).value();
  if (ctx.json) {
    PrintJson(ctx.out, updated);
  } else {
    ctx.out << "Changed the source password of remote configuration " << id << " ("
            << Field(updated, "name") << ")\n";
  }
  return Status::Ok();
}

// Shows how a run goes on standard error: a bar redrawn in place on a
// terminal, otherwise a line when something changed (at most every 5 s, and
// at least every minute).
class ProgressDisplay {
 public:
  ProgressDisplay(std::ostream& err, bool terminal) : err_(err), terminal_(terminal) {}

  void Update(const json& status, int64_t now) {
    std::string state = StringOr(status, "state", "-");
    const json& progress = Member(status, "progress");
    std::string text = state == "running"
                           ? (progress.is_object() ? ProgressText(progress) : "running")
                           : "waiting for the run to start (" + StateText(status) + ")";
    if (terminal_) {
      std::string bar;
      if (state == "running" && progress.is_object()) {
        uint64_t total = Count(progress, "resourcesTotal");
        uint64_t done = std::min(Count(progress, "resourcesDone"), total);
        size_t filled = total == 0 ? 0 : static_cast<size_t>(done * kBarWidth / total);
        bar = "[" + std::string(filled, '#') + std::string(kBarWidth - filled, '-') + "] ";
      }
      err_ << "\r\x1b[K" << bar << text << std::flush;
      drawn_ = true;
      return;
    }
    bool due = !printed_ || (text != last_text_ && now - last_time_ >= kChangedEvery) ||
               now - last_time_ >= kUnchangedEvery;
    if (!due) return;
    err_ << "sync: " << text << "\n" << std::flush;
    printed_ = true;
    last_text_ = text;
    last_time_ = now;
  }

  // Clears the bar so that what follows starts on a clean line.
  void Finish() {
    if (drawn_) err_ << "\r\x1b[K" << std::flush;
    drawn_ = false;
  }

 private:
  static constexpr size_t kBarWidth = 24;
  static constexpr int64_t kChangedEvery = 5'000'000;     // micros
  static constexpr int64_t kUnchangedEvery = 60'000'000;  // micros

  std::ostream& err_;
  bool terminal_;
  bool drawn_ = false;
  bool printed_ = false;
  std::string last_text_;
  int64_t last_time_ = 0;
};

struct RunNowOptions {
  std::string id;
  bool no_wait = false;
  int64_t timeout_seconds = 3600;
};

// `finished` of a status record's lastRun, or "" when there was none. The
// server writes fixed-width RFC 3339 UTC times, which sort as strings.
std::string LastRunFinished(const json& status) {
  return StringOr(Member(status, "lastRun"), "finished");
}

// Prints the outcome of `run`; partial and error runs fail the command
// (exit code 1). `status` is the status record seen after the run, for the hint.
Status ReportRun(CommandContext& ctx, const json& run, const json& status) {
  std::string outcome = StringOr(run, "outcome", "-");
  const json& report = ReportOf(run);
  const json& rows = RowsOf(run);
  if (ctx.json) {
    PrintJson(ctx.out, run);
  } else {
    ctx.out << "Run " << outcome << ", finished " << FormatTime(Field(run, "finished")) << ": "
            << Count(report, "commits") << " commits, " << FormatBytes(Count(report, "bytes"))
            << "\n";
    if (!rows.empty()) PrintResourceRows(ctx.out, rows);
  }
  if (outcome == "ok") return Status::Ok();
  if (outcome == "partial") {
    return Status::Conflict("the run was partial: " + std::to_string(UnsyncedRows(rows)) + " of " +
                            std::to_string(rows.size()) + " resources are not synchronized");
  }
  std::string message =
      outcome == "error" ? "the run failed" : "the run ended with outcome '" + outcome + "'";
  std::string error = StringOr(report, "error");
  if (!error.empty()) message += ": " + error;
  std::string hint = StringOr(Member(status, "lastError"), "hint");
  if (!hint.empty()) message += "\nhint: " + hint;
  return Status::IOError(message);
}

Status RunNow(CommandContext& ctx, const RunNowOptions& o) {
  std::string path = ConfigPath(o.id);
  if (o.no_wait) {
    ASSIGN_OR_RETURN(json answer, ctx.api.Post(path + "/sync", json::object()));
    if (ctx.json) {
      PrintJson(ctx.out, answer);
    } else {
      ctx.out << "Asked for a run of remote configuration " << o.id
              << "; follow it with: tandem sync status " << o.id << "\n";
    }
    return Status::Ok();
  }

  // The run asked for here is the first one to finish after this status was
  // read; when a run is already going, the server queues one more after it,
  // so wait for the second.
  ASSIGN_OR_RETURN(json before, ctx.api.Get(path + "/status"));
  std::string baseline = LastRunFinished(before);
  size_t runs_needed = StringOr(before, "state") == "running" ? 2 : 1;
  RETURN_IF_ERROR(ctx.api.Post(path + "/sync", json::object()).status());

  const int64_t start = NowMicros();
  const int64_t deadline = start + o.timeout_seconds * 1'000'000;
  constexpr int kMaxConnectionFailures = 10;        // polls in a row
  constexpr int64_t kEndedWithoutRun = 15'000'000;  // micros
  ProgressDisplay display(ctx.err, IsTerminal(ctx.err));
  int connection_failures = 0;
  bool saw_running = false;
  int64_t stopped_since = -1;  // when running was seen to end without a new run; -1: not yet
  json status;
  json run;
  while (true) {
    if (NowMicros() >= deadline) {
      display.Finish();
      std::string follow = "tandem sync status " + o.id;
      return Status::IOError("no result after " + std::to_string(o.timeout_seconds) +
                             " s; the run goes on at the server: follow it with '" + follow + "'");
    }
    Sleep(kSyncPollInterval);
    Result<json> polled = ctx.api.Get(path + "/status");
    if (!polled.ok()) {
      if (ctx.api.last_failure() == ApiFailure::kConnection &&
          ++connection_failures < kMaxConnectionFailures) {
        continue;  // a blip; the run goes on at the server
      }
      display.Finish();
      return polled.status();
    }
    connection_failures = 0;
    status = std::move(polled).value();
    int64_t now = NowMicros();
    if (StringOr(status, "state") == "running") {
      display.Update(status, now);
      saw_running = true;
      stopped_since = -1;
      continue;
    }
    std::string finished = LastRunFinished(status);
    if (!finished.empty() && finished > baseline) {
      ASSIGN_OR_RETURN(json runs, ctx.api.Get(path + "/runs"));
      if (!runs.is_array() || runs.empty()) {
        display.Finish();
        return ctx.api.BadResponse("the status names a finished run, but the run list is empty");
      }
      size_t newer = 0;
      for (const auto& r : runs) newer += StringOr(r, "finished") > baseline ? 1 : 0;
      if (newer >= runs_needed) {
        run = runs[0];
        break;
      }
    }
    display.Update(status, now);
    // A run that stopped without leaving a record (the configuration was
    // disabled or broke) would otherwise be waited for until the deadline.
    if (saw_running) {
      if (stopped_since < 0) stopped_since = now;
      if (now - stopped_since >= kEndedWithoutRun) {
        display.Finish();
        return Status::IOError("the run stopped without recording a result (state " +
                               StateText(status) + "); see 'tandem sync status " + o.id + "'");
      }
    }
  }
  display.Finish();
  return ReportRun(ctx, run, status);
}

Status ShowStatus(CommandContext& ctx, const std::string& id) {
  ASSIGN_OR_RETURN(json s, ctx.api.Get(ConfigPath(id) + "/status"));
  if (ctx.json) {
    PrintJson(ctx.out, s);
    return Status::Ok();
  }
  const json& last_run = Member(s, "lastRun");
  const json& last_error = Member(s, "lastError");
  Table table;
  table.AddRow({"configuration:", Field(s, "name") + " (" + Field(s, "id") + ")"});
  table.AddRow({"state:", StateText(s)});
  table.AddRow({"last run:", last_run.is_object() ? FormatTime(Field(last_run, "finished")) + ", " +
                                                        Field(last_run, "outcome")
                                                  : "never"});
  table.AddRow({"last success:", Member(s, "lastSuccess").is_string()
                                     ? FormatTime(Field(s, "lastSuccess"))
                                     : "never"});
  if (last_error.is_object()) {
    table.AddRow({"last error:", FormatTime(Field(last_error, "time")) + ": " +
                                     OneLine(StringOr(last_error, "message", "-"), 1000)});
    std::string hint = StringOr(last_error, "hint");
    if (!hint.empty()) table.AddRow({"hint:", hint});
  } else {
    table.AddRow({"last error:", "-"});
  }
  table.AddRow({"consecutive failures:", Member(s, "consecutiveFailures").is_number()
                                             ? std::to_string(Count(s, "consecutiveFailures"))
                                             : "0"});
  table.Print(ctx.out);
  const json& rows = Member(s, "resources");
  ctx.out << "\n";
  if (!rows.is_array() || rows.empty()) {
    ctx.out << "No resources synchronized yet\n";
  } else {
    PrintResourceRows(ctx.out, rows);
  }
  return Status::Ok();
}

struct ListRunsOptions {
  std::string id;
  std::optional<size_t> limit;
};

Status ListRuns(CommandContext& ctx, const ListRunsOptions& o) {
  ASSIGN_OR_RETURN(json runs, ctx.api.Get(ConfigPath(o.id) + "/runs"));
  if (!runs.is_array()) return ctx.api.BadResponse("the run list is not a JSON array");
  if (o.limit && runs.size() > *o.limit)
    runs.erase(runs.begin() + static_cast<ptrdiff_t>(*o.limit), runs.end());
  if (ctx.json) {
    PrintJson(ctx.out, runs);
    return Status::Ok();
  }
  Table table({"STARTED", "FINISHED", "OUTCOME", "COMMITS", "DATA", "RESOURCES", "ERROR"});
  for (const auto& run : runs) {
    const json& report = ReportOf(run);
    table.AddRow({FormatTime(Field(run, "started")), FormatTime(Field(run, "finished")),
                  Field(run, "outcome"), std::to_string(Count(report, "commits")),
                  FormatBytes(Count(report, "bytes")), RowSummary(RowsOf(run)),
                  OneLine(StringOr(report, "error"), 1000)});
  }
  table.Print(ctx.out);
  return Status::Ok();
}

// Adds a subcommand taking one configuration ID and running `run` with it.
CLI::App* AddIdCommand(CLI::App* parent, const std::string& name, const std::string& help,
                       CommandAction& selected,
                       std::function<Status(CommandContext&, const std::string&)> run) {
  auto id = std::make_shared<std::string>();
  CLI::App* command = parent->add_subcommand(name, help);
  command->add_option("ID", *id, "Id of the remote configuration")->required();
  OnSelect(command, selected,
           [id, run = std::move(run)](CommandContext& ctx) { return run(ctx, *id); });
  return command;
}

}  // namespace

void SetSyncWaitHooks(SyncWaitHooks hooks) { Hooks() = std::move(hooks); }
int64_t SyncWaitNowMicros() { return NowMicros(); }
void SyncWaitSleep(std::chrono::milliseconds duration) { Sleep(duration); }
bool SyncWaitIsTerminal(const std::ostream& stream) { return IsTerminal(stream); }

void AddSyncCommands(CLI::App& app, CommandAction& selected) {
  CLI::App* sync = app.add_subcommand(
      "sync",
      "Manage remote configurations that copy resources from a source server to this one "
      "(needs the admin role)");
  sync->require_subcommand(1);

  CLI::App* list = sync->add_subcommand("list", "List remote configurations");
  OnSelect(list, selected, ListConfigs);

  auto create_opts = std::make_shared<ConfigOptions>();
  CLI::App* create = sync->add_subcommand(
      "create",
      "Create a remote configuration; the source password comes from TANDEM_SOURCE_PASSWORD or "
      "a prompt. The server checks the source before it accepts.");
  create->add_option("NAME", create_opts->name, "Name of the configuration")->required();
  create->add_option("--source", create_opts->source_url, "URL of the source server")->required();
  create->add_option("--source-user", create_opts->source_user, "Account at the source server")
      ->required();
  create
      ->add_option("--target-category", create_opts->target_category,
                   "Id of the category here that receives the copies")
      ->required();
  create
      ->add_option("--resource", create_opts->resources,
                   "Id of a source resource to copy (repeatable)")
      ->allow_extra_args(false);  // one id per flag: `--resource A NAME` keeps NAME
  create
      ->add_option("--category", create_opts->categories,
                   "Id of a source category whose resources to copy (repeatable)")
      ->allow_extra_args(false);  // one id per flag: `--resource A NAME` keeps NAME
  create
      ->add_option("--trigger", create_opts->trigger,
                   "When to run: commit (on every change at the source), tag (when a tag named "
                   "--tag appears) or manual (only 'tandem sync now')")
      ->check(CLI::IsMember(kTriggers))
      ->default_str("commit");
  create->add_option("--tag", create_opts->tag, "Tag name that starts a run (--trigger tag)");
  create->add_flag("--once", create_opts->once,
                   "Copy once; the configuration completes after its first successful run");
  create->add_flag("--disabled", create_opts->disabled, "Create it disabled (no runs)");
  create->parse_complete_callback([create_opts] { ValidateConfigOptions(*create_opts); });
  OnSelect(create, selected,
           [create_opts](CommandContext& ctx) { return CreateConfig(ctx, *create_opts); });

  AddIdCommand(sync, "show", "Show a remote configuration", selected, ShowConfig);
  AddIdCommand(sync, "delete", "Delete a remote configuration; the resources it copied stay",
               selected, DeleteConfig);
  AddIdCommand(
      sync, "enable", "Enable a remote configuration", selected,
      [](CommandContext& ctx, const std::string& id) { return SetEnabled(ctx, id, true); });
  AddIdCommand(
      sync, "disable", "Disable a remote configuration (no more runs)", selected,
      [](CommandContext& ctx, const std::string& id) { return SetEnabled(ctx, id, false); });
  AddIdCommand(sync, "set-password",
               "Change the source password, from TANDEM_SOURCE_PASSWORD or a prompt", selected,
               SetPassword);

  auto now_opts = std::make_shared<RunNowOptions>();
  CLI::App* now = sync->add_subcommand(
      "now",
      "Start a run and follow it to its end; exit code 0 when every resource is synchronized, "
      "1 otherwise");
  now->add_option("ID", now_opts->id, "Id of the remote configuration")->required();
  now->add_flag("--no-wait", now_opts->no_wait, "Only ask for the run; do not follow it");
  now->add_option("--timeout", now_opts->timeout_seconds,
                  "Stop following the run after this many seconds")
      ->check(CLI::PositiveNumber)
      ->default_str("3600");
  OnSelect(now, selected, [now_opts](CommandContext& ctx) { return RunNow(ctx, *now_opts); });

  AddIdCommand(sync, "status",
               "Show a configuration's state, last run, last error and its resources", selected,
               ShowStatus);

  auto runs_opts = std::make_shared<ListRunsOptions>();
  CLI::App* runs = sync->add_subcommand("runs", "List a configuration's runs, newest first");
  runs->add_option("ID", runs_opts->id, "Id of the remote configuration")->required();
  runs->add_option("--limit", runs_opts->limit, "Show at most N runs")->check(CLI::PositiveNumber);
  OnSelect(runs, selected, [runs_opts](CommandContext& ctx) { return ListRuns(ctx, *runs_opts); });
}

}  // namespace tandem
