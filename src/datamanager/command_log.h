// CommandLog: appends one line per datamanager command to
// DATA_DIR/datamanager.log: UTC time, OS user, process id, the arguments
// (any user:password@ in a URL masked; the tool takes passwords only from
// the environment) and the result. A log that cannot be written is reported
// on stderr and does not fail the command. Not thread-safe.
#pragma once

#include <string>
#include <vector>

namespace tandem::datamanager {

class CommandLog {
 public:
  CommandLog(std::string data_dir, const std::vector<std::string>& args);
  void Record(int exit_code, const std::string& result);

 private:
  std::string path_;
  std::string args_;
};

// The argument with the user-information part of a URL (`user:pw@`) masked.
std::string MaskCredentials(const std::string& arg);

}  // namespace tandem::datamanager
