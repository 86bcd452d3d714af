// tandem category list|create|rename|move|delete: the admin API's category tree.
#include <CLI/CLI.hpp>
#include <map>
#include <memory>
#include <set>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/request_target.h"

namespace tandem {
namespace {

using nlohmann::json;

constexpr char kCategories[] = "/api/v1/categories";

std::string CategoryPath(std::string_view id) {
  return std::string(kCategories) + "/" + PercentEncode(id);
}

// Prints categories as a tree: children indented under their parent.
void PrintCategoryTree(std::ostream& out, const json& categories) {
  std::set<std::string> ids;
  for (const auto& c : categories) ids.insert(Field(c, "id"));
  std::map<std::string, std::vector<const json*>> children;  // parent id -> children
  for (const auto& c : categories) {
    std::string parent = Field(c, "parentId");
    children[ids.count(parent) != 0 ? parent : ""].push_back(&c);
  }
  Table table({"ID", "NAME", "READ-ONLY", "DESCRIPTION"});
  std::set<std::string> printed;
  std::function<void(const std::string&, int)> walk = [&](const std::string& parent, int depth) {
    for (const json* c : children[parent]) {
      std::string id = Field(*c, "id");
      if (!printed.insert(id).second) continue;  // guards against a cycle
      table.AddRow({id, std::string(2 * depth, ' ') + Field(*c, "name"),
                    c->value("readOnly", false) ? "yes" : "",
                    OneLine(StringOr(*c, "description"))});
      walk(id, depth + 1);
    }
  };
  walk("", 0);
  table.Print(out);
}

Status ListCategories(CommandContext& ctx) {
  ASSIGN_OR_RETURN(json categories, ctx.api.GetAll(kCategories, std::nullopt));
  if (ctx.json) {
    PrintJson(ctx.out, categories);
  } else {
    PrintCategoryTree(ctx.out, categories);
  }
  return Status::Ok();
}

struct CategoryOptions {
  std::string name;
  std::string parent;
  std::string description;
};

Status CreateCategory(CommandContext& ctx, const CategoryOptions& o) {
  json body = {{"name", o.name}};
  if (!o.parent.empty()) body["parentId"] = o.parent;
  if (!o.description.empty()) body["description"] = o.description;
  ASSIGN_OR_RETURN(json category, ctx.api.Post(kCategories, body));
  if (ctx.json) {
    PrintJson(ctx.out, category);
  } else {
    ctx.out << "Created category " << Field(category, "id") << " (" << Field(category, "name")
            << ")\n";
  }
  return Status::Ok();
}

struct CategoryPatch {
  std::string id;
  std::string value;  // the new name or parent id
};

Status PatchCategory(CommandContext& ctx, const std::string& id, const json& body, std::string_view done) {
  ASSIGN_OR_RETURN(json category, ctx.api.Patch(CategoryPath(id), body));
  if (ctx.json) {
    PrintJson(ctx.out, category);
  } else {
    ctx.out << done << "\n";
  }
  return Status::Ok();
}

Status DeleteCategory(CommandContext& ctx, const std::string& id) {
  ASSIGN_OR_RETURN(json answer, ctx.api.Delete(CategoryPath(id)));
  if (ctx.json) {
    PrintJson(ctx.out, answer);
  } else {
    ctx.out << "Deleted category " << id << "\n";
  }
  return Status::Ok();
}

}  // namespace

void AddCategoryCommands(CLI::App& app, CommandAction& selected) {
  CLI::App* category =
      app.add_subcommand("category", "Manage categories, the folder tree that organises resources");
  category->require_subcommand(1);

  CLI::App* list = category->add_subcommand("list", "List all categories as a tree");
  OnSelect(list, selected, ListCategories);

  auto create_opts = std::make_shared<CategoryOptions>();
  CLI::App* create = category->add_subcommand("create", "Create a category");
  create->add_option("NAME", create_opts->name, "Name of the new category")->required();
  create->add_option("--parent", create_opts->parent,
                     "Id of the parent category (default: the root category)");
  create->add_option("--description", create_opts->description, "Description text");
  OnSelect(create, selected,
           [create_opts](CommandContext& ctx) { return CreateCategory(ctx, *create_opts); });

  auto rename_opts = std::make_shared<CategoryPatch>();
  CLI::App* rename = category->add_subcommand("rename", "Rename a category");
  rename->add_option("ID", rename_opts->id, "Id of the category")->required();
  rename->add_option("NAME", rename_opts->value, "Its new name")->required();
  OnSelect(rename, selected, [rename_opts](CommandContext& ctx) {
    return PatchCategory(ctx, rename_opts->id, {{"name", rename_opts->value}},
                 "Renamed category " + rename_opts->id + " to " + rename_opts->value);
  });

  auto move_opts = std::make_shared<CategoryPatch>();
  CLI::App* move = category->add_subcommand("move", "Move a category under another parent");
  move->add_option("ID", move_opts->id, "Id of the category")->required();
  move->add_option("--parent", move_opts->value, "Id of the new parent category")->required();
  OnSelect(move, selected, [move_opts](CommandContext& ctx) {
    return PatchCategory(ctx, move_opts->id, {{"parentId", move_opts->value}},
                 "Moved category " + move_opts->id + " under " + move_opts->value);
  });

  auto delete_id = std::make_shared<std::string>();
  CLI::App* remove = category->add_subcommand("delete", "Delete a category");
  remove->add_option("ID", *delete_id, "Id of the category")->required();
  OnSelect(remove, selected, [delete_id](CommandContext& ctx) { return DeleteCategory(ctx, *delete_id); });
}

}  // namespace tandem
