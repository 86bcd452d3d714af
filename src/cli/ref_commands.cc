// tandem branch list|create|delete and tandem tag list|create|delete: a
// resource's branches and tags, through the SysML v2 API of its project.
#include <CLI/CLI.hpp>
#include <memory>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/request_target.h"

namespace tandem {
namespace {

using nlohmann::json;

// "branches" or "tags", as in the SysML v2 API's paths.
struct RefKind {
  const char* collection;
  const char* noun;  // "branch" / "tag"
};
constexpr RefKind kBranch{"branches", "branch"};
constexpr RefKind kTag{"tags", "tag"};

Status ListBranches(CommandContext& ctx, const std::string& resource_id) {
  ASSIGN_OR_RETURN(ResourceInfo resource, LookupResource(ctx, resource_id));
  ASSIGN_OR_RETURN(json branches,
                   ctx.api.GetAll(ProjectPath(resource.id) + "/branches", std::nullopt));
  if (ctx.json) {
    PrintJson(ctx.out, branches);
    return Status::Ok();
  }
  Table table({"", "ID", "NAME", "HEAD"});
  for (const auto& b : branches) {
    std::string id = Field(b, "@id");
    table.AddRow(
        {id == resource.default_branch_id ? "*" : "", id, Field(b, "name"), RefField(b, "head")});
  }
  table.Print(ctx.out);
  return Status::Ok();
}

Status ListTags(CommandContext& ctx, const std::string& resource_id) {
  ASSIGN_OR_RETURN(ResourceInfo resource, LookupResource(ctx, resource_id));
  ASSIGN_OR_RETURN(json tags,
                   ctx.api.GetAll(ProjectPath(resource.id) + "/tags", std::nullopt));
  if (ctx.json) {
    PrintJson(ctx.out, tags);
    return Status::Ok();
  }
  Table table({"ID", "NAME", "COMMIT", "DESCRIPTION"});
  for (const auto& t : tags) {
    table.AddRow({Field(t, "@id"), Field(t, "name"), RefField(t, "taggedCommit"),
                  OneLine(StringOr(t, "description"))});
  }
  table.Print(ctx.out);
  return Status::Ok();
}

struct RefCreateOptions {
  std::string resource;
  std::string name;
  std::string commit;
  std::string description;
};

Status CreateRef(CommandContext& ctx, const RefKind& kind, const RefCreateOptions& o) {
  ASSIGN_OR_RETURN(ResourceInfo resource, LookupResource(ctx, o.resource));
  json body;
  if (&kind == &kBranch) {
    body = {{"@type", "Branch"}, {"name", o.name}, {"head", {{"@id", o.commit}}}};
  } else {
    body = {{"@type", "Tag"}, {"name", o.name}, {"taggedCommit", {{"@id", o.commit}}}};
    if (!o.description.empty()) body["description"] = o.description;
  }
  ASSIGN_OR_RETURN(json created,
                   ctx.api.Post(ProjectPath(resource.id) + "/" + kind.collection, body));
  if (ctx.json) {
    PrintJson(ctx.out, created);
  } else {
    ctx.out << "Created " << kind.noun << " " << Field(created, "@id") << " (" << o.name
            << ") at commit " << o.commit << "\n";
  }
  return Status::Ok();
}

struct RefDeleteOptions {
  std::string resource;
  std::string id;
};

Status DeleteRef(CommandContext& ctx, const RefKind& kind, const RefDeleteOptions& o) {
  ASSIGN_OR_RETURN(ResourceInfo resource, LookupResource(ctx, o.resource));
  ASSIGN_OR_RETURN(json answer, ctx.api.Delete(ProjectPath(resource.id) + "/" +
                                               kind.collection + "/" + PercentEncode(o.id)));
  if (ctx.json) {
    PrintJson(ctx.out, answer);
  } else {
    ctx.out << "Deleted " << kind.noun << " " << o.id << "\n";
  }
  return Status::Ok();
}

// Adds "<noun> create" and "<noun> delete" under `parent`.
void AddCreateAndDelete(CLI::App* parent, const RefKind& kind, CommandAction& selected) {
  std::string noun = kind.noun;
  auto create_opts = std::make_shared<RefCreateOptions>();
  CLI::App* create = parent->add_subcommand("create", "Create a " + noun + " at a commit");
  create->add_option("RESOURCE", create_opts->resource, "Id of the resource")->required();
  create->add_option("NAME", create_opts->name, "Name of the new " + noun)->required();
  create
      ->add_option(
          "--commit", create_opts->commit,
          &kind == &kBranch ? "Id of the commit the branch starts at" : "Id of the commit to tag")
      ->required();
  if (&kind == &kTag) create->add_option("--description", create_opts->description, "Tag text");
  OnSelect(create, selected, [create_opts, &kind](CommandContext& ctx) {
    return CreateRef(ctx, kind, *create_opts);
  });

  auto delete_opts = std::make_shared<RefDeleteOptions>();
  CLI::App* remove = parent->add_subcommand("delete", "Delete a " + noun);
  remove->add_option("RESOURCE", delete_opts->resource, "Id of the resource")->required();
  remove
      ->add_option(&kind == &kBranch ? "BRANCH_ID" : "TAG_ID", delete_opts->id, "Id of the " + noun)
      ->required();
  OnSelect(remove, selected, [delete_opts, &kind](CommandContext& ctx) {
    return DeleteRef(ctx, kind, *delete_opts);
  });
}

}  // namespace

void AddRefCommands(CLI::App& app, CommandAction& selected) {
  CLI::App* branch = app.add_subcommand("branch", "List, create and delete a resource's branches");
  branch->require_subcommand(1);
  auto branch_resource = std::make_shared<std::string>();
  CLI::App* branch_list =
      branch->add_subcommand("list", "List branches; * marks the default branch");
  branch_list->add_option("RESOURCE", *branch_resource, "Id of the resource")->required();
  OnSelect(branch_list, selected,
           [branch_resource](CommandContext& ctx) { return ListBranches(ctx, *branch_resource); });
  AddCreateAndDelete(branch, kBranch, selected);

  CLI::App* tag = app.add_subcommand("tag", "List, create and delete a resource's tags");
  tag->require_subcommand(1);
  auto tag_resource = std::make_shared<std::string>();
  CLI::App* tag_list = tag->add_subcommand("list", "List tags");
  tag_list->add_option("RESOURCE", *tag_resource, "Id of the resource")->required();
  OnSelect(tag_list, selected,
           [tag_resource](CommandContext& ctx) { return ListTags(ctx, *tag_resource); });
  AddCreateAndDelete(tag, kTag, selected);
}

}  // namespace tandem
