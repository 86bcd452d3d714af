// The tandem CLI's commands, registered on a CLI11 App.
//
// Each Add*Commands function adds one or two top-level subcommands with their
// options and help text. When the parser selects one of them, its callback
// stores the command's action in `selected`; RunCli runs it afterwards.
// `selected` must outlive the App's parse() call. Single-threaded.
#pragma once

#include "cli/command_context.h"

namespace CLI {
class App;
}  // namespace CLI

namespace tandem {

void AddServerCommands(CLI::App& app, CommandAction& selected);    // server, user
void AddCategoryCommands(CLI::App& app, CommandAction& selected);  // category
void AddResourceCommands(CLI::App& app, CommandAction& selected);  // resource
void AddCommitCommands(CLI::App& app, CommandAction& selected);    // commit, log
void AddRefCommands(CLI::App& app, CommandAction& selected);       // branch, tag
void AddElementCommands(CLI::App& app, CommandAction& selected);   // elements, element
void AddSyncCommands(CLI::App& app, CommandAction& selected);      // sync (sync_commands.h)
void AddBundleCommands(CLI::App& app, CommandAction& selected);    // bundle
void AddImportCommands(CLI::App& app, CommandAction& selected);    // import

// Makes `command` store `action` in `selected` when the parser chooses it.
void OnSelect(CLI::App* command, CommandAction& selected, CommandAction action);

}  // namespace tandem
