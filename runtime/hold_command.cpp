#include "runtime/hold_command.h"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

extern char** environ;

namespace waybill::policy {

std::string localHostName() {
  char name[256] = {};
  return gethostname(name, sizeof name - 1) == 0 ? name : "";
}

bool isQueueId(std::string_view text) {
  return text.size() >= 5 && text.size() <= 32 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
         });
}

std::vector<std::string> holdHelperArgv(const PolicydConfig& config, HoldAction action, std::string_view queue_id,
                                        const std::vector<std::string>& recipients) {
  std::vector<std::string> argv;
  std::istringstream words(config.hold_helper);
  for (std::string word; words >> word;) argv.push_back(word);
  const char* verb = action == HoldAction::Release ? "release" : action == HoldAction::Delete ? "delete" : "drop";
  argv.insert(argv.end(), {"-c", config.postfix_config_dir, verb, std::string(queue_id)});
  if (action == HoldAction::Drop) argv.insert(argv.end(), recipients.begin(), recipients.end());
  return argv;
}

Result<HoldOutcome> runHoldHelper(const PolicydConfig& config, HoldAction action, std::string_view queue_id,
                                  const std::vector<std::string>& recipients) {
  if (!isQueueId(queue_id)) return makeError(fmt::format("'{}' is not a Postfix queue id", queue_id));
  const auto argv = holdHelperArgv(config, action, queue_id, recipients);
  std::vector<char*> raw;
  for (const auto& word : argv) raw.push_back(const_cast<char*>(word.c_str()));
  raw.push_back(nullptr);
  pid_t pid = 0;
  if (const int rc = posix_spawnp(&pid, raw[0], nullptr, nullptr, raw.data(), environ); rc != 0)
    return makeError(fmt::format("cannot run '{}': {}", argv[0], std::strerror(rc)));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return makeError(fmt::format("waiting for '{}': {}", argv[0], std::strerror(errno)));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return HoldOutcome::Done;
  if (WIFEXITED(status) && WEXITSTATUS(status) == kHoldHelperNotHeld) return HoldOutcome::NotHeld;
  return makeError(fmt::format("'{}' failed (status {})", config.hold_helper, status));
}

}  // namespace waybill::policy
