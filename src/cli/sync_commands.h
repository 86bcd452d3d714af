// The seams of `tandem sync now`, which polls the server until a run ends.
//
// AddSyncCommands (commands.h) registers `tandem sync ...`; while following a
// run, `sync now` sleeps between polls, measures its deadline and decides
// whether to draw a progress bar. Tests replace those three with
// SetSyncWaitHooks so that nothing sleeps for real. The hooks are process-wide:
// set them from one thread, before running the CLI.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

namespace tandem {

struct SyncWaitHooks {
  // A monotonic clock in microseconds. Unset: std::chrono::steady_clock.
  std::function<int64_t()> now_micros;
  // Waits between two polls. Unset: std::this_thread::sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep;
  // Whether `stream` is a terminal that can show a redrawn progress bar.
  // Unset: true only for std::cerr when standard error is a terminal.
  std::function<bool(const std::ostream& stream)> is_terminal;
};

// Replaces the hooks; members left unset use the defaults. SetSyncWaitHooks({})
// restores all defaults.
void SetSyncWaitHooks(SyncWaitHooks hooks);

// The hooks as the commands that follow server-side work (sync now, import)
// use them: a monotonic clock in microseconds, a sleep between polls, and
// whether a stream shows a redrawn progress line.
int64_t SyncWaitNowMicros();
void SyncWaitSleep(std::chrono::milliseconds duration);
bool SyncWaitIsTerminal(const std::ostream& stream);

// "512 B", "4.5 KiB", "1.2 MiB", "3.0 GiB".
std::string FormatBytes(uint64_t bytes);

// The rows of a run report as a RESOURCE / STATE / MESSAGE table.
void PrintResourceRows(std::ostream& out, const nlohmann::json& rows);

// How often `sync now` asks for the status while it follows a run.
inline constexpr std::chrono::milliseconds kSyncPollInterval{300};

}  // namespace tandem
