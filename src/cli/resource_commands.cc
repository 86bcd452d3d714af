// tandem resource list|create|show|rename|move|delete: the admin API's resources
// (each one a SysML v2 project with Tandem's bookkeeping around it).
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/request_target.h"

namespace tandem {
namespace {

using nlohmann::json;

constexpr char kResources[] = "/api/v1/resources";

std::string ResourcePath(std::string_view id) {
  return std::string(kResources) + "/" + PercentEncode(id);
}

struct ResourceListOptions {
  std::string category;
  std::optional<size_t> limit;
};

Status ListResources(CommandContext& ctx, const ResourceListOptions& o) {
  ASSIGN_OR_RETURN(json resources,
                   ctx.api.GetAll(AppendQuery(kResources, {{"categoryId", o.category}}), o.limit));
  if (ctx.json) {
    PrintJson(ctx.out, resources);
    return Status::Ok();
  }
  Table table({"ID", "NAME", "CATEGORY", "READ-ONLY", "CREATED"});
  for (const auto& r : resources) {
    table.AddRow({Field(r, "id"), Field(r, "name"), Field(r, "categoryId"),
                  r.value("readOnly", false) ? "yes" : "", FormatTime(Field(r, "created"))});
  }
  table.Print(ctx.out);
  return Status::Ok();
}

struct ResourceOptions {
  std::string name;
  std::string category;
  std::string project_id;
  std::string description;
};

Status CreateResource(CommandContext& ctx, const ResourceOptions& o) {
  json body = {{"name", o.name}};
  if (!o.category.empty()) body["categoryId"] = o.category;
  if (!o.project_id.empty()) body["projectId"] = o.project_id;
  if (!o.description.empty()) body["description"] = o.description;
  ASSIGN_OR_RETURN(json resource, ctx.api.Post(kResources, body));
  if (ctx.json) {
    PrintJson(ctx.out, resource);
  } else {
    ctx.out << "Created resource " << Field(resource, "id") << " (" << Field(resource, "name")
            << "), project " << Field(resource, "projectId") << "\n";
  }
  return Status::Ok();
}

Status ShowResource(CommandContext& ctx, const std::string& id) {
  ASSIGN_OR_RETURN(json r, ctx.api.Get(ResourcePath(id)));
  if (ctx.json) {
    PrintJson(ctx.out, r);
    return Status::Ok();
  }
  Table table;
  table.AddRow({"id:", Field(r, "id")});
  table.AddRow({"name:", Field(r, "name")});
  table.AddRow({"description:", Field(r, "description")});
  table.AddRow({"category:", Field(r, "categoryId")});
  table.AddRow({"project:", Field(r, "projectId")});
  table.AddRow({"default branch:", Field(r, "defaultBranchId")});
  table.AddRow({"read-only:", r.value("readOnly", false) ? "yes" : "no"});
  table.AddRow({"origin:", Field(r, "origin")});
  table.AddRow({"created:", FormatTime(Field(r, "created"))});
  table.Print(ctx.out);
  return Status::Ok();
}

struct ResourcePatch {
  std::string id;
  std::string value;  // the new name or category id
};

Status PatchResource(CommandContext& ctx, const std::string& id, const json& body, std::string_view done) {
  ASSIGN_OR_RETURN(json resource, ctx.api.Patch(ResourcePath(id), body));
  if (ctx.json) {
    PrintJson(ctx.out, resource);
  } else {
    ctx.out << done << "\n";
  }
  return Status::Ok();
}

Status DeleteResource(CommandContext& ctx, const std::string& id) {
  ASSIGN_OR_RETURN(json answer, ctx.api.Delete(ResourcePath(id)));
  if (ctx.json) {
    PrintJson(ctx.out, answer);
  } else {
    ctx.out << "Deleted resource " << id << "\n";
  }
  return Status::Ok();
}

}  // namespace

void AddResourceCommands(CLI::App& app, CommandAction& selected) {
  CLI::App* resource = app.add_subcommand(
      "resource", "Manage resources (SysML v2 projects) and their place in the category tree");
  resource->require_subcommand(1);

  auto list_opts = std::make_shared<ResourceListOptions>();
  CLI::App* list = resource->add_subcommand("list", "List resources");
  list->add_option("--category", list_opts->category, "Only resources in this category");
  list->add_option("--limit", list_opts->limit, "List at most N resources")
      ->check(CLI::PositiveNumber);
  OnSelect(list, selected, [list_opts](CommandContext& ctx) { return ListResources(ctx, *list_opts); });

  auto create_opts = std::make_shared<ResourceOptions>();
  CLI::App* create = resource->add_subcommand("create", "Create a resource");
  create->add_option("NAME", create_opts->name, "Name of the new resource")->required();
  create->add_option("--category", create_opts->category,
                     "Id of its category (default: the root category)");
  create->add_option("--project-id", create_opts->project_id,
                     "SysML v2 project id to use (default: the server picks one)");
  create->add_option("--description", create_opts->description, "Description text");
  OnSelect(create, selected,
           [create_opts](CommandContext& ctx) { return CreateResource(ctx, *create_opts); });

  auto show_id = std::make_shared<std::string>();
  CLI::App* show = resource->add_subcommand("show", "Show one resource");
  show->add_option("ID", *show_id, "Id of the resource")->required();
  OnSelect(show, selected, [show_id](CommandContext& ctx) { return ShowResource(ctx, *show_id); });

  auto rename_opts = std::make_shared<ResourcePatch>();
  CLI::App* rename = resource->add_subcommand("rename", "Rename a resource");
  rename->add_option("ID", rename_opts->id, "Id of the resource")->required();
  rename->add_option("NAME", rename_opts->value, "Its new name")->required();
  OnSelect(rename, selected, [rename_opts](CommandContext& ctx) {
    return PatchResource(ctx, rename_opts->id, {{"name", rename_opts->value}},
                 "Renamed resource " + rename_opts->id + " to " + rename_opts->value);
  });

  auto move_opts = std::make_shared<ResourcePatch>();
  CLI::App* move = resource->add_subcommand("move", "Move a resource to another category");
  move->add_option("ID", move_opts->id, "Id of the resource")->required();
  move->add_option("--category", move_opts->value, "Id of the new category")->required();
  OnSelect(move, selected, [move_opts](CommandContext& ctx) {
    return PatchResource(ctx, move_opts->id, {{"categoryId", move_opts->value}},
                 "Moved resource " + move_opts->id + " to category " + move_opts->value);
  });

  auto delete_id = std::make_shared<std::string>();
  CLI::App* remove = resource->add_subcommand("delete", "Delete a resource and all its history");
  remove->add_option("ID", *delete_id, "Id of the resource")->required();
  OnSelect(remove, selected, [delete_id](CommandContext& ctx) { return DeleteResource(ctx, *delete_id); });
}

}  // namespace tandem
