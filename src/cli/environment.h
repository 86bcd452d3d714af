// Environment: everything the tandem CLI takes from its process besides its
// arguments and standard streams, so tests can run it in-process.
//
// It holds the environment variables (TANDEM_SERVER, TANDEM_USER,
// TANDEM_PASSWORD, TANDEM_NEW_PASSWORD, TANDEM_CACERT), a way to read a
// secret from the terminal (absent when standard input is not a terminal),
// and a factory for the Transport (absent: HttplibTransport). A value type;
// the functions it holds are called from the CLI's thread only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cli/httplib_transport.h"
#include "net/http_url.h"
#include "cli/transport.h"
#include "common/status.h"

namespace tandem {

struct Environment {
  std::map<std::string, std::string, std::less<>> variables;

  // Shows `prompt`, reads one line with echo off, and returns it without the
  // newline. Unset when there is no terminal to ask.
  std::function<Result<std::string>(std::string_view prompt)> read_secret;

  // Creates the transport to the server. Unset: an HttplibTransport.
  std::function<std::unique_ptr<Transport>(const ServerUrl& url, const TransportOptions& options)>
      make_transport;

  // The value of variable `name`; unset and empty both give nullopt.
  std::optional<std::string> Variable(std::string_view name) const;
};

// The real process: `environ`, a termios prompt on stderr when stdin is a
// terminal, and HttplibTransport.
Environment ProcessEnvironment();

}  // namespace tandem
