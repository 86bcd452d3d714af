// LogSafe: text a client chose (a path, a user name), made fit for one line of
// the server log, so that a CR or LF in it cannot forge log lines.
// TerminalSafe: text from a server or a store (names, descriptions, error
// messages quoting them) made fit for a terminal, so that it cannot move the
// cursor, clear the screen, set the title or fake table rows. Pure functions;
// thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace tandem {

// Printable ASCII stays; every other byte becomes "\xNN". Longer than `max`
// characters: cut, with "..." appended.
std::string LogSafe(std::string_view text, size_t max = 256);

// Control characters become visible escapes: C0 (including TAB, CR and LF),
// DEL and bytes that are not UTF-8 as "\xNN", C1 code points (U+0080..U+009F,
// which some terminals obey like ESC sequences) as "\u00NN". Everything else,
// non-ASCII letters included, stays as it is, so a clean text is returned
// unchanged and escaping twice changes nothing more.
std::string TerminalSafe(std::string_view text);

}  // namespace tandem
