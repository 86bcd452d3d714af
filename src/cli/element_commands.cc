// tandem elements and tandem element: reading a resource's model elements at
// a commit (default: the head of the default branch) through the SysML v2 API.
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/request_target.h"

namespace tandem {
namespace {

using nlohmann::json;

// The commit to read: `commit` when given, else the head of the project's
// default branch (GET project -> defaultBranch -> GET branch -> head).
// Returns "" when the default branch has no commits yet.
Result<std::string> ResolveCommit(CommandContext& ctx, const std::string& project_id,
                                  const std::string& commit) {
  if (!commit.empty()) return commit;
  std::string project_path = ProjectPath(project_id);
  ASSIGN_OR_RETURN(json project, ctx.api.Get(project_path));
  std::string branch_id = RefField(project, "defaultBranch");
  if (branch_id == "-") {
    return ctx.api.BadResponse("project " + project_id + " has no defaultBranch");
  }
  ASSIGN_OR_RETURN(json branch,
                   ctx.api.Get(project_path + "/branches/" + PercentEncode(branch_id)));
  std::string head = RefField(branch, "head");
  return head == "-" ? std::string() : head;
}

// What a person calls the element: its declared name, else its name.
std::string ElementName(const json& element) {
  std::string name = StringOr(element, "declaredName", StringOr(element, "name"));
  return name.empty() ? "-" : name;
}

struct ElementsOptions {
  std::string resource;
  std::string commit;
  std::optional<size_t> limit;
};

Status ListElements(CommandContext& ctx, const ElementsOptions& o) {
  ASSIGN_OR_RETURN(ResourceInfo resource, LookupResource(ctx, o.resource));
  ASSIGN_OR_RETURN(std::string commit, ResolveCommit(ctx, resource.id, o.commit));
  if (commit.empty()) {
    if (ctx.json) {
      PrintJson(ctx.out, json::array());
    } else {
      ctx.out << "No elements: the default branch has no commits yet\n";
    }
    return Status::Ok();
  }
  std::string target =
      ProjectPath(resource.id) + "/commits/" + PercentEncode(commit) + "/elements";
  ASSIGN_OR_RETURN(json elements, ctx.api.GetAll(target, o.limit));
  if (ctx.json) {
    PrintJson(ctx.out, elements);
    return Status::Ok();
  }
  Table table({"ID", "TYPE", "NAME"});
  for (const auto& e : elements) table.AddRow({Field(e, "@id"), Field(e, "@type"), ElementName(e)});
  table.Print(ctx.out);
  bool maybe_more = o.limit.has_value() && elements.size() == *o.limit;
  ctx.out << elements.size() << (elements.size() == 1 ? " element" : " elements")
          << (maybe_more ? " shown" : "") << " at commit " << commit << "\n";
  return Status::Ok();
}

struct ElementOptions {
  std::string resource;
  std::string element;
  std::string commit;
};

Status ShowElement(CommandContext& ctx, const ElementOptions& o) {
  ASSIGN_OR_RETURN(ResourceInfo resource, LookupResource(ctx, o.resource));
  ASSIGN_OR_RETURN(std::string commit, ResolveCommit(ctx, resource.id, o.commit));
  if (commit.empty()) {
    return Status::NotFound("element " + o.element + ": the default branch has no commits yet");
  }
  ASSIGN_OR_RETURN(json element,
                   ctx.api.Get(ProjectPath(resource.id) + "/commits/" +
                               PercentEncode(commit) + "/elements/" + PercentEncode(o.element)));
  PrintJson(ctx.out, element);
  return Status::Ok();
}

}  // namespace

void AddElementCommands(CLI::App& app, CommandAction& selected) {
  auto list_opts = std::make_shared<ElementsOptions>();
  CLI::App* elements = app.add_subcommand(
      "elements", "List a resource's elements at a commit (default: head of the default branch)");
  elements->add_option("RESOURCE", list_opts->resource, "Id of the resource")->required();
  elements->add_option("--commit", list_opts->commit, "Id of the commit to read");
  elements->add_option("--limit", list_opts->limit, "List at most N elements")
      ->check(CLI::PositiveNumber);
  OnSelect(elements, selected,
           [list_opts](CommandContext& ctx) { return ListElements(ctx, *list_opts); });

  auto show_opts = std::make_shared<ElementOptions>();
  CLI::App* element =
      app.add_subcommand("element", "Print one element's JSON at a commit (default: head)");
  element->add_option("RESOURCE", show_opts->resource, "Id of the resource")->required();
  element->add_option("ELEMENT_ID", show_opts->element, "Id of the element")->required();
  element->add_option("--commit", show_opts->commit, "Id of the commit to read");
  OnSelect(element, selected,
           [show_opts](CommandContext& ctx) { return ShowElement(ctx, *show_opts); });
}

}  // namespace tandem
