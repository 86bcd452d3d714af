// tandem server, and tandem user list|create|delete|passwd|role: server
// identity and the admin API's user accounts.
#include <CLI/CLI.hpp>
#include <memory>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/password.h"
#include "cli/request_target.h"

namespace tandem {
namespace {

using nlohmann::json;

constexpr char kUsers[] = "/api/v1/users";
const std::vector<std::string> kRoles = {"admin", "writer", "reader"};

std::string UserPath(std::string_view name) {
  return std::string(kUsers) + "/" + PercentEncode(name);
}

Status ShowServer(CommandContext& ctx) {
  ASSIGN_OR_RETURN(json server, ctx.api.Get("/api/v1/server"));
  if (ctx.json) {
    PrintJson(ctx.out, server);
    return Status::Ok();
  }
  Table table;
  table.AddRow({"url:", ctx.server});
  table.AddRow({"server id:", Field(server, "serverId")});
  table.AddRow({"version:", Field(server, "version")});
  table.Print(ctx.out);
  return Status::Ok();
}

Status ListUsers(CommandContext& ctx) {
  ASSIGN_OR_RETURN(json users, ctx.api.GetAll(kUsers, std::nullopt));
  if (ctx.json) {
    PrintJson(ctx.out, users);
    return Status::Ok();
  }
  Table table({"NAME", "ROLE", "CREATED"});
  for (const auto& u : users) {
    table.AddRow({Field(u, "name"), Field(u, "role"), FormatTime(Field(u, "created"))});
  }
  table.Print(ctx.out);
  return Status::Ok();
}

struct UserOptions {
  std::string name;
  std::string role;
};

Status CreateUser(CommandContext& ctx, const UserOptions& o) {
  ASSIGN_OR_RETURN(std::string password, NewPassword(ctx.env, o.name));
  ASSIGN_OR_RETURN(
      json user,
      ctx.api.Post(kUsers, {{"name", o.name}, {"password", password}, {"role", o.role}}));
  if (ctx.json) {
    PrintJson(ctx.out, user);
  } else {
    ctx.out << "Created user " << o.name << " (" << o.role << ")\n";
  }
  return Status::Ok();
}

Status PrintPatched(CommandContext& ctx, const json& answer, std::string_view done) {
  if (ctx.json) {
    PrintJson(ctx.out, answer);
  } else {
    ctx.out << done << "\n";
  }
  return Status::Ok();
}

Status ChangePassword(CommandContext& ctx, const std::string& name) {
  ASSIGN_OR_RETURN(std::string password, NewPassword(ctx.env, name));
  ASSIGN_OR_RETURN(json answer, ctx.api.Patch(UserPath(name), {{"password", password}}));
  return PrintPatched(ctx, answer, "Changed the password of " + name);
}

Status ChangeRole(CommandContext& ctx, const UserOptions& o) {
  ASSIGN_OR_RETURN(json answer, ctx.api.Patch(UserPath(o.name), {{"role", o.role}}));
  return PrintPatched(ctx, answer, "Changed the role of " + o.name + " to " + o.role);
}

Status DeleteUser(CommandContext& ctx, const std::string& name) {
  ASSIGN_OR_RETURN(json answer, ctx.api.Delete(UserPath(name)));
  return PrintPatched(ctx, answer, "Deleted user " + name);
}

}  // namespace

void AddServerCommands(CLI::App& app, CommandAction& selected) {
  CLI::App* server = app.add_subcommand("server", "Show the server's id and version");
  OnSelect(server, selected, ShowServer);

  CLI::App* user = app.add_subcommand("user", "Manage user accounts (needs the admin role)");
  user->require_subcommand(1);

  CLI::App* list = user->add_subcommand("list", "List users and their roles");
  OnSelect(list, selected, ListUsers);

  auto create_opts = std::make_shared<UserOptions>();
  CLI::App* create = user->add_subcommand(
      "create", "Create a user; the password comes from TANDEM_NEW_PASSWORD or a prompt");
  create->add_option("NAME", create_opts->name, "Login name")->required();
  create->add_option("--role", create_opts->role, "admin, writer or reader")
      ->required()
      ->check(CLI::IsMember(kRoles));
  OnSelect(create, selected,
           [create_opts](CommandContext& ctx) { return CreateUser(ctx, *create_opts); });

  auto delete_name = std::make_shared<std::string>();
  CLI::App* remove = user->add_subcommand("delete", "Delete a user");
  remove->add_option("NAME", *delete_name, "Login name")->required();
  OnSelect(remove, selected,
           [delete_name](CommandContext& ctx) { return DeleteUser(ctx, *delete_name); });

  auto passwd_name = std::make_shared<std::string>();
  CLI::App* passwd = user->add_subcommand(
      "passwd", "Set a user's password from TANDEM_NEW_PASSWORD or a prompt (asked twice)");
  passwd->add_option("NAME", *passwd_name, "Login name")->required();
  OnSelect(passwd, selected,
           [passwd_name](CommandContext& ctx) { return ChangePassword(ctx, *passwd_name); });

  auto role_opts = std::make_shared<UserOptions>();
  CLI::App* role = user->add_subcommand("role", "Change a user's role");
  role->add_option("NAME", role_opts->name, "Login name")->required();
  role->add_option("ROLE", role_opts->role, "admin, writer or reader")
      ->required()
      ->check(CLI::IsMember(kRoles));
  OnSelect(role, selected,
           [role_opts](CommandContext& ctx) { return ChangeRole(ctx, *role_opts); });
}

}  // namespace tandem
