#include "cli/command_context.h"

#include "cli/output.h"
#include "cli/request_target.h"

namespace tandem {

Result<ResourceInfo> LookupResource(CommandContext& ctx, std::string_view resource_id) {
  ASSIGN_OR_RETURN(nlohmann::json record,
                   ctx.api.Get("/api/v1/resources/" + PercentEncode(resource_id)));
  if (!record.is_object()) {
    return ctx.api.BadResponse("resource " + std::string(resource_id) + " is not a JSON object");
  }
  ResourceInfo info;
  info.id = StringOr(record, "id", std::string(resource_id));
  info.default_branch_id = StringOr(record, "defaultBranchId");
  info.record = std::move(record);
  return info;
}

std::string ProjectPath(std::string_view resource_id) {
  return "/sysml/v2/projects/" + PercentEncode(resource_id);
}

}  // namespace tandem
