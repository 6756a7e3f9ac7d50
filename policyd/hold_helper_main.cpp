// waybill-hold-helper: the one privileged step of scheduled sending. Releases (requeues) or
// deletes ONE message that sits in Postfix's hold queue, and nothing else:
//
//   waybill-hold-helper [-c POSTFIX_CONFIG_DIR] release|delete QUEUE_ID
//
// SECURITY: meant to run as root through a sudoers rule naming exactly this program (see
// policyd/README.md). It takes no other input: the queue id must look like one, the queue is
// always `hold`, the environment is replaced, and postsuper is run by absolute path.
// "release" uses `postsuper -r` (requeue) rather than `-H`: a requeued message starts a new
// queue lifetime, so mail held longer than maximal_queue_lifetime is delivered, not expired.
// EXIT STATUS: 0 done, 1 no such message in the hold queue, 64 usage, 75 postsuper failed.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "policy/hold_command.h"

namespace {

int usage() {
  std::fprintf(stderr, "usage: waybill-hold-helper [-c POSTFIX_CONFIG_DIR] release|delete QUEUE_ID\n");
  return 64;
}

bool safeConfigDir(const std::string& dir) {
  return !dir.empty() && dir[0] == '/' && dir.find("..") == std::string::npos && dir.find('\n') == std::string::npos;
}

// Runs a Postfix program with its output captured; returns its exit status, or -1.
int runProgram(const char* path, const char* const argv[], std::string& output) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(pipe_fds[1], STDERR_FILENO);
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    char search_path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    char* const clean_environment[] = {search_path, nullptr};
    execve(path, const_cast<char* const*>(argv), clean_environment);
    _exit(127);
  }
  close(pipe_fds[1]);
  char buffer[4096];
  for (ssize_t got; (got = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) output.append(buffer, static_cast<std::size_t>(got));
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_dir = "/etc/postfix";
  int at = 1;
  if (argc == 5 && std::strcmp(argv[1], "-c") == 0) {
    config_dir = argv[2];
    at = 3;
  } else if (argc != 3) {
    return usage();
  }
  const std::string action = argv[at], queue_id = argv[at + 1];
  if ((action != "release" && action != "delete") || !waybill::policy::isQueueId(queue_id) || !safeConfigDir(config_dir))
    return usage();
  const char* const postsuper_argv[] = {"postsuper", "-c", config_dir.c_str(), action == "release" ? "-r" : "-d",
                                        queue_id.c_str(), "hold", nullptr};
  std::string output;
  const int status = runProgram("/usr/sbin/postsuper", postsuper_argv, output);
  std::fputs(output.c_str(), stderr);
  if (status != 0) return 75;
  const char* done = action == "release" ? "Requeued: 1 message" : "Deleted: 1 message";
  if (output.find(done) == std::string::npos) return 1;
  if (action == "release") {
    // A requeued message waits in maildrop until pickup's next scan (up to 60 s): wake it now.
    const char* const kick_argv[] = {"postkick", "-c", config_dir.c_str(), "public", "pickup", "W", nullptr};
    std::string kick_output;
    if (runProgram("/usr/sbin/postkick", kick_argv, kick_output) != 0)
      std::fprintf(stderr, "waybill-hold-helper: postkick failed (pickup will find the message on its next scan): %s",
                   kick_output.c_str());
  }
  return 0;
}
