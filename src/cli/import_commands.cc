// tandem import --from URL --project ID [--user U] --target-category C, and
// tandem import list|status|cancel: imports of projects with their history
// from another server's SysML v2 API (/api/v1/imports). Starting one follows
// it to its end with a progress line on standard error; the source password
// comes from TANDEM_IMPORT_PASSWORD or a prompt.
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/password.h"
#include "cli/sync_commands.h"

namespace tandem {
namespace {

using nlohmann::json;

constexpr char kImports[] = "/api/v1/imports";
constexpr char kImportPasswordVariable[] = "TANDEM_IMPORT_PASSWORD";

struct ImportOptions {
  std::string from;
  std::string project;
  std::string user;
  std::string target_category;
  bool no_verify = false;
  bool no_wait = false;
  int64_t timeout_seconds = 86'400;
};

uint64_t Number(const json& record, std::string_view key) {
  auto it = record.find(key);
  return it != record.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

// "commits 12/40 (3 already here), 1,204 changes" and the like.
std::string ProgressText(const json& status) {
  const json& commits = status.contains("commits") ? status["commits"] : json::object();
  uint64_t done = Number(commits, "imported") + Number(commits, "present");
  std::string text = Field(status, "phase") + ": commits " + std::to_string(done) + "/" +
                     std::to_string(Number(commits, "total"));
  if (Number(commits, "present") > 0)
    text += " (" + std::to_string(Number(commits, "present")) + " already here)";
  text += ", " + std::to_string(Number(status, "changes")) + " changes";
  if (Field(status, "phase") == "verifying")
    text += ", " + std::to_string(Number(status, "verifiedCommits")) + " compared";
  return text;
}

void PrintImport(std::ostream& out, const json& s) {
  out << "import     " << Field(s, "id") << "\n"
      << "state      " << Field(s, "state") << " (" << ProgressText(s) << ")\n"
      << "from       " << Field(s, "from") << " project " << Field(s, "projectId") << "\n"
      << "into       category " << Field(s, "targetCategoryId") << "\n"
      << "started    " << FormatTime(Field(s, "started")) << " by " << Field(s, "startedBy")
      << "\n";
  if (s.contains("finished") && !s["finished"].is_null())
    out << "finished   " << FormatTime(Field(s, "finished")) << "\n";
  if (s.contains("error") && s["error"].is_string())
    out << "error      " << Field(s, "error") << "\n";
}

// The end of an import as the command's outcome: Ok only when it succeeded.
Status Outcome(CommandContext& ctx, const json& s) {
  if (ctx.json) {
    PrintJson(ctx.out, s);
  } else {
    PrintImport(ctx.out, s);
  }
  std::string state = StringOr(s, "state");
  if (state == "succeeded") return Status::Ok();
  return ctx.api.ReportedFailure(
      state == "cancelled" ? 409 : 502,
      "the import " + state + ": " + StringOr(s, "error", "no reason given"));
}

Status StartImport(CommandContext& ctx, const ImportOptions& o) {
  if (o.from.empty() || o.project.empty() || o.target_category.empty()) {
    return Status::InvalidArgument(
        "tandem import needs --from, --project and --target-category "
        "(or one of: list, status ID, cancel ID)");
  }
  json body = {{"from", o.from}, {"projectId", o.project}, {"targetCategoryId", o.target_category}};
  if (o.no_verify) body["verify"] = false;
  if (!o.user.empty()) {
    body["username"] = o.user;
    ASSIGN_OR_RETURN(body["password"],
                     RemotePassword(ctx.env, kImportPasswordVariable, o.user, o.from));
  }
  ASSIGN_OR_RETURN(json started, ctx.api.Post(kImports, body));
  std::string id = StringOr(started, "id");
  if (o.no_wait) {
    if (ctx.json) {
      PrintJson(ctx.out, started);
    } else {
      ctx.out << "Started import " << id << "; follow it with: tandem import status " << id << "\n";
    }
    return Status::Ok();
  }
  const int64_t deadline = SyncWaitNowMicros() + o.timeout_seconds * 1'000'000;
  const bool terminal = SyncWaitIsTerminal(ctx.err);
  std::string last;
  constexpr int kMaxConnectionFailures = 10;  // polls in a row
  int connection_failures = 0;
  json status = started;
  while (StringOr(status, "state") == "running") {
    std::string text = ProgressText(status);
    if (terminal) {
      ctx.err << "\r\x1b[K"
              << "import: " << text << std::flush;
    } else if (text != last) {
      ctx.err << "import: " << text << "\n" << std::flush;
    }
    last = text;
    if (SyncWaitNowMicros() >= deadline) {
      if (terminal) ctx.err << "\r\x1b[K" << std::flush;
      return Status::IOError(
          "no result after " + std::to_string(o.timeout_seconds) +
          " s; the import goes on at the server: follow it with 'tandem import status " + id + "'");
    }
    SyncWaitSleep(kSyncPollInterval);
    Result<json> polled = ctx.api.Get(std::string(kImports) + "/" + id);
    if (!polled.ok()) {
      if (ctx.api.last_failure() == ApiFailure::kConnection &&
          ++connection_failures < kMaxConnectionFailures) {
        continue;  // a blip; the import goes on at the server
      }
      if (terminal) ctx.err << "\r\x1b[K" << std::flush;
      return polled.status();
    }
    connection_failures = 0;
    status = std::move(polled).value();
  }
  if (terminal) ctx.err << "\r\x1b[K" << std::flush;
  return Outcome(ctx, status);
}

Status ListImports(CommandContext& ctx) {
  ASSIGN_OR_RETURN(json list, ctx.api.Get(kImports));
  if (ctx.json) {
    PrintJson(ctx.out, list);
    return Status::Ok();
  }
  Table table({"ID", "STATE", "PROJECT", "FROM", "STARTED", "PROGRESS"});
  for (const auto& s : list) {
    table.AddRow({Field(s, "id"), Field(s, "state"), Field(s, "projectId"), Field(s, "from"),
                  FormatTime(Field(s, "started")), ProgressText(s)});
  }
  table.Print(ctx.out);
  return Status::Ok();
}

// Prints an import's status as the command's answer.
Status ShowImport(CommandContext& ctx, const Result<json>& answer) {
  RETURN_IF_ERROR(answer.status());
  if (ctx.json) {
    PrintJson(ctx.out, *answer);
  } else {
    PrintImport(ctx.out, *answer);
  }
  return Status::Ok();
}

}  // namespace

void AddImportCommands(CLI::App& app, CommandAction& selected) {
  auto o = std::make_shared<ImportOptions>();
  CLI::App* command = app.add_subcommand("import",
                                         "Import a project with all its branches, tags and commits "
                                         "from another server's SysML v2 API, "
                                         "keeping every id (needs the admin role, or sync-manager "
                                         "for the target category); the source "
                                         "password comes from TANDEM_IMPORT_PASSWORD or a prompt. "
                                         "Importing it again adds what is new.");
  command->require_subcommand(0, 1);
  command->add_option(
      "--from", o->from,
      "Base URL of the source's SysML v2 API, e.g. https://other:8443/sysml/v2 for a Tandem");
  command->add_option("--project", o->project, "Id of the project at the source");
  command->add_option("--user", o->user, "Account at the source (none: no authentication)");
  command->add_option("--target-category", o->target_category,
                      "Id of the category here that receives the copy");
  command->add_flag("--no-verify", o->no_verify,
                    "Do not compare branch heads and tagged commits with the source's elements");
  command->add_flag("--no-wait", o->no_wait, "Only start the import; do not follow it");
  command
      ->add_option("--timeout", o->timeout_seconds,
                   "Stop following the import after this many seconds")
      ->check(CLI::PositiveNumber)
      ->default_str("86400");
  // CLI11 runs a parent's callback after its subcommand's: start only when none was chosen.
  command->callback([&selected, command, o] {
    if (command->get_subcommands().empty()) {
      selected = [o](CommandContext& ctx) { return StartImport(ctx, *o); };
    }
  });

  CLI::App* list =
      command->add_subcommand("list", "List the imports since the server started, newest first");
  OnSelect(list, selected, ListImports);
  auto id = std::make_shared<std::string>();
  CLI::App* status = command->add_subcommand("status", "Show one import");
  status->add_option("ID", *id, "Id of the import")->required();
  OnSelect(status, selected, [id](CommandContext& ctx) {
    return ShowImport(ctx, ctx.api.Get(std::string(kImports) + "/" + *id));
  });
  auto cancel_id = std::make_shared<std::string>();
  CLI::App* cancel =
      command->add_subcommand("cancel", "Cancel a running import; what it stored stays");
  cancel->add_option("ID", *cancel_id, "Id of the import")->required();
  OnSelect(cancel, selected, [cancel_id](CommandContext& ctx) {
    return ShowImport(ctx, ctx.api.Delete(std::string(kImports) + "/" + *cancel_id));
  });
}

}  // namespace tandem
