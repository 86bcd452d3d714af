// What every datamanager command gets: its parsed invocation, the opened
// store with a Repository and Authenticator over it, output streams and the
// environment. Commands return a one-line summary for the log (and print
// their own results), or a Status whose code decides the exit code.
// Internal to src/datamanager. Not thread-safe.
#pragma once

#include <ostream>
#include <string>

#include "auth/authenticator.h"
#include "datamanager/command_line.h"
#include "datamanager/data_manager.h"
#include "repo/repository.h"
#include "store/garbage_collector.h"

namespace tandem::datamanager {

struct CommandContext {
  const Invocation& invocation;
  std::string data_dir;
  Store& store;
  Repository& repo;
  Authenticator& auth;
  std::ostream& out;
  std::ostream& err;
  const Environment& env;
  // server.max-json-depth of the configuration (its default without one):
  // --verify flags element versions nested deeper.
  size_t max_json_depth;

  // A progress line on err ("what: done/total"); on a terminal each overwrites the last.
  void Progress(const std::string& what, uint64_t done, uint64_t total) const;
};

// Validates and normalizes UUIDs given on the command line (InvalidArgument
// naming the bad one and where it came from).
Result<std::vector<std::string>> ParseIds(const std::vector<std::string>& ids,
                                          const std::string& where);

// Runs garbage collection with progress and says what it freed.
Result<std::string> CollectGarbageWithReport(CommandContext& ctx);

Result<std::string> ListResources(CommandContext& ctx);
Result<std::string> DeleteResources(CommandContext& ctx);
Result<std::string> DeleteBranches(CommandContext& ctx);
Result<std::string> ListUsers(CommandContext& ctx);
Result<std::string> DeleteUsers(CommandContext& ctx);
Result<std::string> RemoveReadOnlyFlag(CommandContext& ctx);
Result<std::string> Verify(CommandContext& ctx);

}  // namespace tandem::datamanager
