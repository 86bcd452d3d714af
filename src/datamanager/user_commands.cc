// -lu and -du: listing and deleting users.
#include "common/canonical_json.h"
#include "common/clock.h"
#include "common/log_safe.h"
#include "datamanager/command_context.h"

namespace tandem::datamanager {

Result<std::string> ListUsers(CommandContext& ctx) {
  ASSIGN_OR_RETURN(auto users, ctx.auth.ListUsers());
  Json list = Json::array();
  for (const auto& u : users) {
    Json scopes = ParseJsonOrDiscarded(u.scopes);
    list.push_back({{"name", u.name},
                    {"role", u.role},
                    {"scopes", scopes.is_array() ? scopes : Json::array()},
                    {"created", FormatTimestamp(u.created)}});
  }
  if (ctx.invocation.Has("json")) {
    ctx.out << list.dump(2) << "\n";
  } else {
    for (const auto& u : list) {
      std::string line = u["name"].get<std::string>() + "  " + u["role"].get<std::string>() +
                         "  created " + u["created"].get<std::string>();
      if (!u["scopes"].empty()) line += "  scopes " + u["scopes"].dump();
      ctx.out << TerminalSafe(line) << "\n";
    }
  }
  return "listed " + std::to_string(list.size()) + " users";
}

Result<std::string> DeleteUsers(CommandContext& ctx) {
  const auto& names = ctx.invocation.positional;
  if (names.empty()) return Status::InvalidArgument("--delete-user needs at least one user name");
  RETURN_IF_ERROR(ctx.auth.DeleteUsers(names));
  std::string text = "deleted user(s):";
  for (const auto& n : names) text += " " + n;
  text += " (with their tokens)";
  ctx.out << text << "\n";
  return text;
}

}  // namespace tandem::datamanager
