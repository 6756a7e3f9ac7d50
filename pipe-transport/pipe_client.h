// PipeClient: the thin waybill-pipe that Postfix's pipe(8) runs per message. It hands the
// envelope and stdin to waybill-piped --serve over pipe.socket and exits with the daemon's
// answer. Standard library and libc only: starting it must cost about what /bin/true costs.
//
//   auto args = parseClientArgs(argc, argv);      // nullopt: only the full program understands them
//   auto settings = loadClientSettings(*args);     // [pipe] socket and timeout, nothing else
//   ConversationResult r = converse(*settings, *args, STDIN_FILENO);
//   // Answered: exit r.answer.exit_code; Fallback: exec waybill-piped (stdin untouched);
//   // TempFail: exit 75 (the daemon died or went silent mid-message; Postfix retries)
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pipe_protocol.h"

namespace waybill::pipe {

struct ClientArgs {
  std::string config_file = "/etc/waybill/waybill.conf";  // as kDefaultConfigFile in core/config
  bool config_explicit = false;
  std::optional<std::string> socket;  // --pipe.socket on the command line wins over the file
  std::string sender;
  std::string recipient;
  std::string queue_id;
};

// Recognises exactly the master.cf command line (--config, --sender, --recipient, --queue-id,
// --pipe.socket; "--x=V", "--x V" and "-c FILE"). Anything else (--help, --version,
// --classify-only, other --section.key overrides, no --recipient) returns nullopt: the full
// program must see it, since the daemon would not honour it.
std::optional<ClientArgs> parseClientArgs(int argc, const char* const argv[]);

struct ClientSettings {
  std::string socket_path;  // empty: no daemon configured
  int timeout_seconds = kDefaultTimeoutSeconds;
};

// Reads [pipe] socket and timeout from configuration text in Boost.Program_options' INI syntax
// ('#' starts a comment, "[section]" then "key = value", or "section.key = value" before any
// section). Other keys are ignored: the full program validates the file.
ClientSettings settingsFromIni(std::string_view text);
// The file named by args (a missing default file means defaults); nullopt when an explicitly
// named file cannot be read or the socket is not "unix:/path" — the full program reports it.
std::optional<ClientSettings> loadClientSettings(const ClientArgs& args);

enum class Conversation { Answered, Fallback, TempFail };
struct ConversationResult {
  Conversation outcome = Conversation::TempFail;
  PipeAnswer answer;  // when Answered
  std::string why;    // when Fallback or TempFail
  bool quiet = false; // Fallback because no daemon is installed or running: nothing to report
};

// Nothing is read from input_fd before the daemon said READY, so Fallback leaves it untouched.
ConversationResult converse(const ClientSettings& settings, const ClientArgs& args, int input_fd);

}  // namespace waybill::pipe
