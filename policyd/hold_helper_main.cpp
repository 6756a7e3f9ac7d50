// waybill-hold-helper: the one privileged step of scheduled sending. Releases (requeues) or
// deletes ONE message that sits in Postfix's hold queue, and nothing else:
//
//   waybill-hold-helper [-c POSTFIX_CONFIG_DIR] release|delete QUEUE_ID
//   waybill-hold-helper [-c POSTFIX_CONFIG_DIR] drop QUEUE_ID RECIPIENT...
//
// "drop" cancels recipients of the held message (suppressed since it was held) before it is
// released: their recipient records are marked done in place (postfix/queue_file.h), as the
// queue manager marks delivered ones; a held file is touched by no Postfix daemon meanwhile.
//
//   waybill-hold-helper --serve [-c POSTFIX_CONFIG_DIR]      (a socket-activated root service)
//   waybill-hold-helper --via SOCKET [-c DIR] ACTION QUEUE_ID ...  (policyd's unprivileged client)
//
// SECURITY: the package runs it as root only as waybill-hold-helper@.service, started per
// connection by waybill-hold-helper.socket, which only the waybill_policyd group (and root) may
// connect to; policyd runs `--via` that socket, so it keeps NoNewPrivileges and no capability.
// A request is the same arguments, NUL-separated, and the answer is the exit status (one byte);
// the served instance accepts only its own pinned -c directory. A sudoers rule naming exactly
// this program works too (policyd/README.md). It takes no other input: the queue id must look
// like one, the queue is always `hold`, the environment is replaced, and postsuper is run by
// absolute path.
// "release" uses `postsuper -r` (requeue) rather than `-H`: a requeued message starts a new
// queue lifetime, so mail held longer than maximal_queue_lifetime is delivered, not expired.
// EXIT STATUS: 0 done, 3 no such message in the hold queue (not 1, which sudo uses for its own
// failures), 64 usage, 75 postsuper failed.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/hold_command.h"
#include "postfix/queue_file.h"
#include "runtime/posix_io.h"

namespace {

constexpr const char* kUsage =
    "usage: waybill-hold-helper [-c POSTFIX_CONFIG_DIR] release|delete QUEUE_ID\n"
    "       waybill-hold-helper [-c POSTFIX_CONFIG_DIR] drop QUEUE_ID RECIPIENT...\n"
    "       waybill-hold-helper --via SOCKET [-c DIR] ACTION QUEUE_ID [RECIPIENT...]\n"
    "       waybill-hold-helper --serve [-c POSTFIX_CONFIG_DIR]   (stdin: one connection)\n";

int usage() {
  std::fputs(kUsage, stderr);
  return 64;
}

// --help: what the program is for (run as root by its socket unit, for waybill-policyd only).
int help() {
  std::printf("%s\nReleases (release), deletes (delete) or cancels recipients of (drop) one message in the\n"
              "Postfix hold queue of POSTFIX_CONFIG_DIR (default /etc/postfix). The package runs it as root\n"
              "behind waybill-hold-helper.socket (--serve), which waybill-policyd reaches with --via for\n"
              "scheduled sending; nothing else needs it.\n"
              "Exit status: 0 done, 3 no such message in the hold queue, 64 usage, 75 postsuper failed.\n",
              kUsage);
  return 0;
}

bool knownOption(const std::string& arg) { return arg == "-c" || arg == "--serve" || arg == "--via"; }

// A request or an answer never needs more: 64 KB holds a queue id and many recipients.
constexpr std::size_t kMaxRequestBytes = 65536;

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

// An address as a recipient record holds it: bounded (RFC 5321), one line, no NUL.
bool plausibleAddress(const std::string& address) {
  return !address.empty() && address.size() <= 320 && address.find_first_of("\n\r") == std::string::npos;
}

// Marks the named recipients of hold/QUEUE_ID done. 0 done, 1 no such held message, 75 failure.
int dropRecipients(const std::string& config_dir, const std::string& queue_id, const std::vector<std::string>& recipients) {
  const char* const postconf_argv[] = {"postconf", "-c", config_dir.c_str(), "-h", "queue_directory", nullptr};
  std::string queue_directory;
  if (runProgram("/usr/sbin/postconf", postconf_argv, queue_directory) != 0) return 75;
  while (!queue_directory.empty() && (queue_directory.back() == '\n' || queue_directory.back() == ' ')) queue_directory.pop_back();
  const std::string path = queue_directory + "/hold/" + queue_id;
  const int fd = open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? waybill::policy::kHoldHelperNotHeld : 75;
  std::string bytes;
  char buffer[65536];
  for (ssize_t got; (got = read(fd, buffer, sizeof buffer)) > 0;) bytes.append(buffer, static_cast<std::size_t>(got));
  auto offsets = waybill::postfix::recipientRecordOffsets(bytes, recipients);
  if (!offsets) {
    std::fprintf(stderr, "waybill-hold-helper: %s: %s\n", path.c_str(), offsets.error().c_str());
    close(fd);
    return 75;
  }
  // A recipient the file does not hold is not delivered by releasing it (a per-recipient copy
  // carries it, and passes the milter's own check): nothing to cancel here.
  int status = 0;
  for (const auto offset : *offsets)
    if (pwrite(fd, &waybill::postfix::kRecordDone, 1, static_cast<off_t>(offset)) != 1) status = 75;
  if (fsync(fd) != 0) status = 75;
  close(fd);
  std::fprintf(stderr, "waybill-hold-helper: %s: %zu recipient record(s) cancelled for %zu address(es)\n",
               queue_id.c_str(), offsets->size(), recipients.size());
  return status;
}

// The work itself, on arguments as the command line gives them (without the program name).
int runRequest(const std::vector<std::string>& args) {
  std::string config_dir = "/etc/postfix";
  std::size_t at = 0;
  if (args.size() >= 2 && args[0] == "-c") {
    config_dir = args[1];
    at = 2;
  }
  if (args.size() - at < 2) return usage();
  const std::string action = args[at], queue_id = args[at + 1];
  const std::vector<std::string> recipients(args.begin() + static_cast<std::ptrdiff_t>(at + 2), args.end());
  const bool drop = action == "drop";
  if ((action != "release" && action != "delete" && !drop) || !waybill::policy::isQueueId(queue_id) ||
      !safeConfigDir(config_dir) || drop == recipients.empty())
    return usage();
  for (const auto& recipient : recipients)
    if (!plausibleAddress(recipient)) return usage();
  if (drop) return dropRecipients(config_dir, queue_id, recipients);
  const char* const postsuper_argv[] = {"postsuper", "-c", config_dir.c_str(), action == "release" ? "-r" : "-d",
                                        queue_id.c_str(), "hold", nullptr};
  std::string output;
  const int status = runProgram("/usr/sbin/postsuper", postsuper_argv, output);
  std::fputs(output.c_str(), stderr);
  if (status != 0) return 75;
  const char* done = action == "release" ? "Requeued: 1 message" : "Deleted: 1 message";
  if (output.find(done) == std::string::npos) return waybill::policy::kHoldHelperNotHeld;
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

// Reads until EOF (the client shuts its side down), at most kMaxRequestBytes; false past that.
bool readAll(int fd, std::string& bytes) {
  char buffer[4096];
  for (;;) {
    const ssize_t got = read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return false;
    if (got == 0) return true;
    bytes.append(buffer, static_cast<std::size_t>(got));
    if (bytes.size() > kMaxRequestBytes) return false;
  }
}

// --serve: one request on stdin (the accepted connection), its status written back. The -c of the
// request must be the pinned one, so the socket reaches no other Postfix instance.
int serve(const std::string& pinned_config_dir) {
  std::string request;
  int status = 64;
  if (readAll(STDIN_FILENO, request) && !request.empty() && request.back() == '\0') {
    std::vector<std::string> args;
    for (std::size_t start = 0, end; (end = request.find('\0', start)) != std::string::npos; start = end + 1)
      args.emplace_back(request, start, end - start);
    if (args.size() >= 2 && args[0] == "-c" && args[1] == pinned_config_dir) status = runRequest(args);
    else std::fprintf(stderr, "waybill-hold-helper: refused a request not for -c %s\n", pinned_config_dir.c_str());
  } else {
    std::fprintf(stderr, "waybill-hold-helper: malformed request\n");
  }
  const unsigned char answer = static_cast<unsigned char>(status);
  return write(STDOUT_FILENO, &answer, 1) == 1 ? 0 : 75;
}

// --via SOCKET: hands the request to the served helper and exits with its answer (75 when it
// cannot be reached, with a line saying why).
int forward(const std::string& socket_path, const std::vector<std::string>& args) {
  const auto fail = [&](const char* what) {
    std::fprintf(stderr, "waybill-hold-helper: %s %s: %s\n", what, socket_path.c_str(), std::strerror(errno));
    return 75;
  };
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof address.sun_path) return usage();
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("cannot make a socket for");
  std::string request;
  for (const auto& arg : args) request += arg + '\0';
  int status = 75;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    status = fail("cannot connect to");
  } else if (!waybill::sendAll(fd, request) || shutdown(fd, SHUT_WR) != 0) {
    status = fail("cannot send the request to");
  } else {
    unsigned char answer = 0;
    ssize_t got;
    while ((got = read(fd, &answer, 1)) < 0 && errno == EINTR) {
    }
    status = got == 1 ? answer : fail("no answer from");
  }
  close(fd);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) return help();
  for (const auto& arg : args) {
    if (arg.size() > 1 && arg[0] == '-' && !knownOption(arg)) {
      std::fprintf(stderr, "waybill-hold-helper: unrecognised option '%s' (see waybill-hold-helper --help)\n", arg.c_str());
      return 64;
    }
  }
  if (!args.empty() && args[0] == "--serve") {
    if (args.size() == 1) return serve("/etc/postfix");
    if (args.size() == 3 && args[1] == "-c" && safeConfigDir(args[2])) return serve(args[2]);
    return usage();
  }
  if (args.size() >= 2 && args[0] == "--via") return forward(args[1], std::vector<std::string>(args.begin() + 2, args.end()));
  return runRequest(args);
}
