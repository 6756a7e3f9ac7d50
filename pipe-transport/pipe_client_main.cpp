// waybill-pipe: the Postfix pipe(8) transport for the bounce domain and the inbound domains.
// Postfix runs it once per message; it hands the message to the resident waybill-piped --serve
// (pipe.socket) and exits with its answer, or runs the full one-shot program, waybill-piped in
// the same directory, when no daemon takes the message.
//
//   master.cf: waybill-pipe unix - n n - 10 pipe flags=Rq user=waybill
//                argv=/usr/sbin/waybill-pipe --sender=${sender} --recipient=${recipient} --queue-id=${queue_id}
//   waybill-pipe --classify-only < bounce.eml     # (and --help, --version): the full program answers
//
// DIAGNOSTICS: exit 0 only after the daemon said the commit happened; 75 (EX_TEMPFAIL) when the
// daemon died, went silent for pipe.timeout or could not store, so Postfix retries (a retry of a
// stored message is recognised by its dedupe key). Daemon absent, refusing or BUSY before any
// byte of the message was read: exec waybill-piped with the same arguments, nothing lost.
// SECURITY: runs as Postfix's pipe user= (waybill); reads the configuration and stdin only.
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>

#include "pipe_client.h"

namespace {

using namespace waybill::pipe;

void report(int priority, const std::string& line) {
  openlog("waybill-pipe", LOG_PID, LOG_MAIL);
  syslog(priority, "%s", line.c_str());
  std::fprintf(stderr, "waybill-pipe: %s\n", line.c_str());
}

// The full program lives beside this one (/usr/sbin in the package, build/bin in the tree).
std::string fullProgram() {
  char self[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  std::string path = n > 0 ? std::string(self, static_cast<std::size_t>(n)) : std::string("/usr/sbin/waybill-pipe");
  return path.substr(0, path.rfind('/') + 1) + "waybill-piped";
}

int runFullProgram(char* argv[]) {
  const std::string program = fullProgram();
  ::execv(program.c_str(), argv);
  report(LOG_ERR, "cannot run " + program + ": " + std::strerror(errno) + "; Postfix will retry");
  return kExitTempFail;
}

}  // namespace

int main(int argc, char* argv[]) {
  const auto args = parseClientArgs(argc, argv);
  if (!args) return runFullProgram(argv);
  const auto settings = loadClientSettings(*args);
  if (!settings || settings->socket_path.empty()) return runFullProgram(argv);
  const ConversationResult result = converse(*settings, *args, STDIN_FILENO);
  switch (result.outcome) {
    case Conversation::Answered:
      if (result.answer.exit_code != 0) std::fprintf(stderr, "waybill-pipe: %s\n", result.answer.text.c_str());
      return result.answer.exit_code;
    case Conversation::Fallback:
      if (!result.quiet) report(LOG_WARNING, result.why + "; running the one-shot program");
      return runFullProgram(argv);
    case Conversation::TempFail:
      report(LOG_ERR, result.why + "; Postfix will retry");
      return kExitTempFail;
  }
  return kExitTempFail;
}
