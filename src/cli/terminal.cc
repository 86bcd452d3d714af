#include "cli/terminal.h"

#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <iostream>

namespace tandem {
namespace {

struct termios g_saved_termios;
volatile sig_atomic_t g_echo_off = 0;

void RestoreEchoAndReraise(int signal_number) {
  if (g_echo_off != 0) tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios);
  std::signal(signal_number, SIG_DFL);
  raise(signal_number);
}

}  // namespace

Result<std::string> ReadSecretFromTerminal(std::string_view prompt) {
  if (tcgetattr(STDIN_FILENO, &g_saved_termios) != 0) {
    return Status::InvalidArgument(
        "cannot read the terminal settings; set the password in the environment instead");
  }
  using SignalAction = struct sigaction;
  SignalAction handler{};
  SignalAction old_int{};
  SignalAction old_term{};
  handler.sa_handler = RestoreEchoAndReraise;
  sigemptyset(&handler.sa_mask);
  sigaction(SIGINT, &handler, &old_int);
  sigaction(SIGTERM, &handler, &old_term);

  struct termios quiet = g_saved_termios;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;  // the terminal still shows the newline the user types
  bool echo_off = false;
  bool got = false;
  std::string line;
  if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0) {
    echo_off = true;
    g_echo_off = 1;
    std::cerr << prompt << std::flush;
    got = static_cast<bool>(std::getline(std::cin, line));
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios);
    g_echo_off = 0;
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  if (!echo_off) {
    return Status::InvalidArgument(
        "cannot turn off terminal echo; set the password in the environment instead");
  }
  if (!got) return Status::InvalidArgument("no password entered (end of input)");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace tandem
