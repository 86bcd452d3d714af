// Reading a secret from the controlling terminal with echo turned off.
//
// Used for password prompts when TANDEM_PASSWORD is not set. Echo is
// restored afterwards, also when the user presses Ctrl-C at the prompt.
// Touches process-wide terminal state: call from one thread at a time.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace tandem {

// Writes `prompt` to stderr, reads one line from stdin (a terminal) with echo
// off, and returns it without the line ending. InvalidArgument on end of input.
Result<std::string> ReadSecretFromTerminal(std::string_view prompt);

}  // namespace tandem
