// tandem commit and tandem log: writing a commit from a JSON file through the
// SysML v2 API, and listing history through the admin API.
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/commit_file.h"
#include "cli/output.h"
#include "cli/request_target.h"

namespace tandem {
namespace {

using nlohmann::json;

struct CommitOptions {
  std::string resource;
  std::string file;
  std::string branch;
  std::string previous;
  std::string description;
};

Status CreateCommit(CommandContext& ctx, const CommitOptions& o) {
  // Check the file before talking to the server.
  ASSIGN_OR_RETURN(std::string text, ReadCommitFile(o.file, ctx.in));
  ASSIGN_OR_RETURN(json body, ParseCommitFile(text, o.file));
  if (!o.description.empty()) body["description"] = o.description;
  if (!o.previous.empty()) body["previousCommit"] = {{"@id", o.previous}};

  ASSIGN_OR_RETURN(ResourceInfo resource, LookupResource(ctx, o.resource));
  std::string branch = o.branch.empty() ? resource.default_branch_id : o.branch;
  std::string target =
      AppendQuery(ProjectPath(resource.id) + "/commits", {{"branchId", branch}});
  ASSIGN_OR_RETURN(json commit, ctx.api.Post(target, body));
  if (ctx.json) {
    PrintJson(ctx.out, commit);
    return Status::Ok();
  }
  std::string id = StringOr(commit, "@id");
  if (id.empty()) return ctx.api.BadResponse("the new commit has no \"@id\"");
  ChangeCounts counts = CountChanges(body);
  size_t total = counts.written + counts.deleted;
  ctx.out << "Created commit " << id;
  if (!branch.empty()) ctx.out << " on branch " << branch;
  ctx.out << ": " << total << (total == 1 ? " element" : " elements") << " changed ("
          << counts.written << " written, " << counts.deleted << " deleted)\n";
  return Status::Ok();
}

struct LogOptions {
  std::string resource;
  std::string branch;
  std::optional<size_t> limit;
};

// "(tag: v1, v2)" or "".
std::string TagList(const json& commit) {
  auto tags = commit.find("tags");
  if (tags == commit.end() || !tags->is_array() || tags->empty()) return "";
  std::string out = "(tag: ";
  for (size_t i = 0; i < tags->size(); ++i) {
    if (i > 0) out += ", ";
    out += Field((*tags)[i], "name");
  }
  return out + ")";
}

Status Log(CommandContext& ctx, const LogOptions& o) {
  std::string target = AppendQuery("/api/v1/resources/" + PercentEncode(o.resource) + "/commits",
                                   {{"branchId", o.branch}});
  ASSIGN_OR_RETURN(json commits, ctx.api.GetAll(target, o.limit));
  if (ctx.json) {
    PrintJson(ctx.out, commits);
    return Status::Ok();
  }
  Table table;
  for (const auto& c : commits) {
    std::string text = OneLine(StringOr(c, "description", StringOr(c, "name")));
    std::string tags = TagList(c);
    if (!tags.empty()) text = text.empty() ? tags : text + " " + tags;
    table.AddRow(
        {ShortId(Field(c, "id")), FormatTime(Field(c, "created")), Field(c, "author"), text});
  }
  table.Print(ctx.out);
  return Status::Ok();
}

}  // namespace

void AddCommitCommands(CLI::App& app, CommandAction& selected) {
  auto commit_opts = std::make_shared<CommitOptions>();
  CLI::App* commit = app.add_subcommand(
      "commit", "Commit element changes from a JSON file and print the new commit id");
  commit->add_option("RESOURCE", commit_opts->resource, "Id of the resource")->required();
  commit
      ->add_option("FILE", commit_opts->file,
                   "JSON file: {\"change\": [DataVersion...]} or a bare array of changes; "
                   "- reads standard input")
      ->required();
  commit->add_option("--branch", commit_opts->branch,
                     "Id of the branch to commit to (default: the default branch)");
  commit->add_option("--previous", commit_opts->previous,
                     "Id of the commit expected at the branch head; the server refuses the "
                     "commit if the head moved");
  commit->add_option("--description", commit_opts->description,
                     "Commit message (overrides one in the file)");
  OnSelect(commit, selected,
           [commit_opts](CommandContext& ctx) { return CreateCommit(ctx, *commit_opts); });

  auto log_opts = std::make_shared<LogOptions>();
  CLI::App* log = app.add_subcommand("log", "Show a resource's commits, newest first");
  log->add_option("RESOURCE", log_opts->resource, "Id of the resource")->required();
  log->add_option("--branch", log_opts->branch, "Only commits on this branch (id)");
  log->add_option("--limit", log_opts->limit, "Show at most N commits")->check(CLI::PositiveNumber);
  OnSelect(log, selected, [log_opts](CommandContext& ctx) { return Log(ctx, *log_opts); });
}

}  // namespace tandem
