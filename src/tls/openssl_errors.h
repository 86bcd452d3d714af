// Turning OpenSSL's per-thread error queue into text for messages.
#pragma once

#include <string>

namespace tandem {

// Drains this thread's OpenSSL error queue into "reason; reason" (without
// OpenSSL's numeric codes); "" when the queue is empty.
std::string TakeOpenSslErrors();

}  // namespace tandem
