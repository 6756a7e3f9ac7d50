#include "stages/copy_injector.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include <fmt/format.h>

extern char** environ;

namespace waybill::milter {
namespace {

Status writeAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return makeError(fmt::format("writing to the re-inject command: {}", std::strerror(errno)));
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

// Waits for the child; EX_OK is the only success (sendmail says 75 when the queue is not writable).
Status waitFor(pid_t pid, const std::string& program) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return makeError(fmt::format("waiting for {}: {}", program, std::strerror(errno)));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  if (WIFEXITED(status)) return makeError(fmt::format("{} exited with status {}", program, WEXITSTATUS(status)));
  return makeError(fmt::format("{} was killed by signal {}", program, WTERMSIG(status)));
}

}  // namespace

std::vector<CopyResult> CopyInjector::injectAll(const std::string& sender, const std::vector<CopyRequest>& copies,
                                                const mime::BodySpool& body) {
  std::vector<CopyResult> results;
  for (const auto& copy : copies) {
    if (!results.empty() && !results.back().queued()) {
      results.push_back({CopyResult::State::Failed, "not attempted after an earlier copy failed"});
      continue;
    }
    Status injected = inject(sender, copy.recipient, copy.header_block, body);
    results.push_back(injected ? CopyResult{CopyResult::State::Queued, ""} : CopyResult{CopyResult::State::Failed, injected.error()});
  }
  return results;
}

SendmailInjector::SendmailInjector(const std::string& command) {
  std::istringstream words(command);
  for (std::string word; words >> word;) argv_.push_back(word);
}

Status SendmailInjector::inject(const std::string& sender, const std::string& recipient,
                                const std::string& header_block, const mime::BodySpool& body) {
  if (argv_.empty()) return makeError("option 'milter.reinject_command' is empty");
  std::vector<std::string> args = argv_;
  args.emplace_back("-f");
  args.push_back(sender);
  args.emplace_back("--");
  args.push_back(recipient);
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return makeError(fmt::format("pipe: {}", std::strerror(errno)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[0], STDIN_FILENO);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[0]);
  if (spawned != 0) {
    ::close(pipe_fds[1]);
    return makeError(fmt::format("cannot run {}: {}", argv_[0], std::strerror(spawned)));
  }
  Status written = writeAll(pipe_fds[1], header_block);
  if (written)
    written = body.forEachChunk([&](std::string_view chunk) { return writeAll(pipe_fds[1], chunk); });
  ::close(pipe_fds[1]);
  Status exited = waitFor(pid, argv_[0]);
  if (!exited) return exited;  // the command's own verdict explains a broken pipe best
  return written;
}

}  // namespace waybill::milter
