// waybill-piped: the whole of waybill-pipe's work — classify a message and store it (see
// pipe_store.h). Two ways to run it:
//
//   waybill-piped --serve                  # resident: PostgreSQL pool, unix socket pipe.socket,
//                                          # fed by the thin waybill-pipe (pipe_client_main.cpp)
//   waybill-piped --sender=S --recipient=R --queue-id=Q < message    # one-shot, as Postfix's
//                                          # pipe(8) would run it; what waybill-pipe falls back to
//   waybill-piped --classify-only < bounce.eml   # JSON lines, one per recipient result; stores nothing
//
// DIAGNOSTICS: one-shot exits 0 only after the message is stored (or was stored by an earlier
// attempt); every failure (database away, bad configuration, unreadable key file) exits 75,
// EX_TEMPFAIL, so Postfix keeps the message and retries. --serve exits 78 on unusable
// configuration. Problems go to syslog/stderr.
// SECURITY: runs as an unprivileged user (waybill); reads stdin or its socket, the configuration
// and the token key file. The socket is created with pipe.socket_mode (0660: waybill only).
#include <algorithm>
#include <cstdio>
#include <exception>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/config.h"
#include "dsn/bounce_reader.h"
#include "runtime/log.h"
#include "message_handler.h"
#include "pipe_daemon.h"
#include "report_json.h"

namespace {

namespace po = boost::program_options;
using namespace waybill;

struct StdinMessage {
  std::string data;
  std::size_t total_bytes = 0;  // what stdin held; more than data.size() when it was cut
};

// Reads stdin to its end (so Postfix's pipe(8) never sees a broken pipe), keeping max_bytes.
StdinMessage readStdin(std::size_t max_bytes) {
  StdinMessage message;
  char buffer[65536];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, stdin)) > 0) {
    message.total_bytes += n;
    const std::size_t room = max_bytes - std::min(max_bytes, message.data.size());
    message.data.append(buffer, std::min(n, room));
  }
  return message;
}

// The same words the daemon logs, so a cut message is never silent on either path.
StdinMessage readStdinSayingWhenCut(const Config& config, const std::string& queue_id) {
  StdinMessage message = readStdin(static_cast<std::size_t>(config.pipe.max_message_mb) << 20);
  if (message.total_bytes > message.data.size()) {
    log::warning("queue {}: message cut at pipe.max_message_mb ({} of {} bytes kept)", queue_id.empty() ? "-" : queue_id,
                 message.data.size(), message.total_bytes);
  }
  return message;
}

int storeOneShot(const Config& config, const po::variables_map& values) {
  // One connection per message: skip libpq's GSSAPI-encryption probe (it looks for Kerberos
  // credentials on every connect, ~1.5 ms of CPU). A database URL saying gssencmode=... still wins.
  setenv("PGGSSENCMODE", "disable", /*overwrite=*/0);
  const pipe::PipeEnvelope envelope{values["sender"].as<std::string>(), values["recipient"].as<std::string>(),
                                    values["queue-id"].as<std::string>()};
  const std::string raw = readStdinSayingWhenCut(config, envelope.queue_id).data;
  if (envelope.recipient.empty()) {
    log::error("--recipient is required (master.cf: --recipient=${{recipient}})");
    return pipe::kExitTempFail;
  }
  auto codec = pipe::loadTokenCodec(config);
  if (!codec) {
    log::error("{}", codec.error());
    return pipe::kExitTempFail;
  }
  return pipe::storeWithNewConnection(envelope, raw, config, codec->get()).exit_code;
}

// "--sender=" (an empty value, as master.cf passes for the null sender) is split into
// "--sender" "" because Program_options refuses an empty value after '='.
std::vector<std::string> splitEmptyValues(int argc, char* argv[]) {
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.size() > 3 && arg.rfind("--", 0) == 0 && arg.back() == '=') {
      args.push_back(arg.substr(0, arg.size() - 1));
      args.emplace_back();
    } else {
      args.push_back(std::move(arg));
    }
  }
  return args;
}

// "waybill-pipe" when the thin client ran us (its --help and --version are ours), else ours.
std::string programName(const char* argv0) {
  const std::string path = argv0 ? argv0 : "";
  const std::string base = path.substr(path.rfind('/') + 1);
  return base == "waybill-pipe" ? base : "waybill-piped";
}

}  // namespace

int main(int argc, char* argv[]) {
  const std::string summary = programName(argv[0]) == "waybill-piped"
                                  ? "Resident with --serve (behind the thin waybill-pipe), else one message from stdin."
                                  : "One message from stdin, handed to waybill-piped on pipe.socket, else stored here.";
  ConfigParser parser(programName(argv[0]),
                      "Postfix pipe(8) transport: stores bounces, complaints, unsubscribes, inbound mail.\n" + summary);
  // waybill-pipe is the per-message client: only waybill-piped runs resident.
  if (programName(argv[0]) == "waybill-piped")
    parser.programOptions().add_options()("serve", "run resident: take messages from waybill-pipe on pipe.socket");
  parser.programOptions().add_options()
      ("classify-only", "print the classification of the message on stdin as JSON lines; store nothing")
      ("sender", po::value<std::string>()->default_value(""), "envelope sender (${sender})")
      ("recipient", po::value<std::string>()->default_value(""), "envelope recipient (${recipient})")
      ("queue-id", po::value<std::string>()->default_value(""), "Postfix queue id (${queue_id})");
  const std::vector<std::string> args = splitEmptyValues(argc, argv);
  std::vector<const char*> arg_pointers;
  for (const std::string& arg : args) arg_pointers.push_back(arg.c_str());
  auto parsed = parser.parse(static_cast<int>(arg_pointers.size()), arg_pointers.data());
  if (!parsed) {
    std::fprintf(stderr, "%s: %s\n", programName(argv[0]).c_str(), parsed.error().c_str());
    return pipe::kExitTempFail;  // one-shot: Postfix keeps the message; --serve: systemd retries
  }
  // A command-line mistake too is 75, not 64: pipe(8) would bounce the message on EX_USAGE.
  if (parsed->exit_now) return parsed->exit_code == kUsageExitStatus ? pipe::kExitTempFail : parsed->exit_code;
  const Config& config = *parsed->config;
  const bool serve = parsed->program_values.count("serve") > 0;
  log::init(serve ? "waybill-piped" : "waybill-pipe",
            {.to_stderr = config.log.to_stderr, .to_syslog = config.log.to_syslog, .level = config.log.level});
  if (serve) return pipe::runDaemon(parser, static_cast<int>(arg_pointers.size()), arg_pointers.data(), parsed->config);
  // One boundary around the message: nothing a message holds may end this process but exit 75.
  try {
    if (parsed->program_values.count("classify-only")) {
      const std::string raw = readStdinSayingWhenCut(config, "").data;
      std::fputs(pipe::classificationLines(dsn::readBounce(raw)).c_str(), stdout);
      return 0;
    }
    return storeOneShot(config, parsed->program_values);
  } catch (const std::exception& e) {
    log::error("internal error: {}; Postfix will retry", e.what());
  } catch (...) {
    log::error("internal error; Postfix will retry");
  }
  return pipe::kExitTempFail;
}
