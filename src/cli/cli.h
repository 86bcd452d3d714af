// RunCli: the `tandem` command-line client, callable in-process.
//
// tandem talks to a Tandem server over its SysML v2 API (/sysml/v2) and its
// administration API (/api/v1) with HTTP Basic authentication. RunCli parses
// the arguments (CLI11), finds the password (TANDEM_PASSWORD or a prompt),
// runs one command, and prints to `out` (results) and `err` (errors, hints).
// It returns the process exit code:
//   0  success
//   1  the server answered with an error ("error: 409 Conflict: ...")
//   2  usage error: bad arguments, a bad commit file, no password available
//   3  no answer from the server ("is tandem-server running at URL?")
// Thread-compatible: concurrent calls need separate streams and Environments
// (and, with a real terminal, only one may prompt at a time).
#pragma once

#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "cli/environment.h"

namespace tandem {

inline constexpr int kExitOk = 0;
inline constexpr int kExitServerError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitConnection = 3;

inline constexpr char kDefaultServer[] = "http://127.0.0.1:8111";
inline constexpr char kDefaultUser[] = "admin";

// Runs tandem with `args` (the arguments after the program name).
int RunCli(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
           std::ostream& err, const Environment& env);

// main(): RunCli with the process's arguments, streams and environment.
int RunCliMain(int argc, char** argv);

}  // namespace tandem
