// LogSafe: text a client chose (a path, a user name), made fit for one line of
// the server log, so that a CR or LF in it cannot forge log lines. Pure
// function; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace tandem {

// Printable ASCII stays; every other byte becomes "\xNN". Longer than `max`
// characters: cut, with "..." appended.
std::string LogSafe(std::string_view text, size_t max = 256);

}  // namespace tandem
