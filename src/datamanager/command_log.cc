#include "datamanager/command_log.h"

#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "common/clock.h"

namespace tandem::datamanager {
namespace {

std::string OsUser() {
  if (const passwd* pw = getpwuid(geteuid()); pw && pw->pw_name) return pw->pw_name;
  return "uid " + std::to_string(geteuid());
}

// One line: newlines in messages would let one entry pose as several.
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

}  // namespace

std::string MaskCredentials(const std::string& arg) {
  auto scheme = arg.find("://");
  if (scheme == std::string::npos) return arg;
  auto at = arg.find('@', scheme + 3);
  auto slash = arg.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return arg;
  return arg.substr(0, scheme + 3) + "***@" + arg.substr(at + 1);
}

CommandLog::CommandLog(std::string data_dir, const std::vector<std::string>& args)
    : path_((std::filesystem::path(data_dir) / "datamanager.log").string()) {
  for (const auto& a : args) args_ += (args_.empty() ? "" : " ") + MaskCredentials(a);
}

void CommandLog::Record(int exit_code, const std::string& result) {
  std::error_code ec;
  if (!std::filesystem::is_directory(std::filesystem::path(path_).parent_path(), ec)) return;
  std::string line = FormatTimestamp(SystemClock::Instance().NowMicros()) + " user=" + OsUser() +
                     " pid=" + std::to_string(getpid()) + " args=[" + OneLine(args_) +
                     "] exit=" + std::to_string(exit_code) + " result=" + OneLine(MaskCredentials(result)) + "\n";
  int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::cerr << "datamanager: cannot write the log " << path_ << ": " << std::strerror(errno)
              << "\n";
    return;
  }
  // One write() with O_APPEND: concurrent datamanager runs do not interleave lines.
  ssize_t n = write(fd, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) {
    std::cerr << "datamanager: cannot write the log " << path_ << ": " << std::strerror(errno)
              << "\n";
  }
  close(fd);
}

}  // namespace tandem::datamanager
