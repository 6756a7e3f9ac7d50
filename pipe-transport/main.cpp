// waybill-pipe: the Postfix pipe(8) transport for the bounce domain and the inbound domains.
// Postfix hands it one message on stdin; it classifies and stores it (see pipe_store.h).
//
//   master.cf: waybill-pipe unix - n n - 10 pipe flags=Rq user=waybill
//                argv=/usr/sbin/waybill-pipe --sender=${sender} --recipient=${recipient} --queue-id=${queue_id}
//   waybill-pipe --classify-only < bounce.eml     # JSON lines, one per recipient result; stores nothing
//
// DIAGNOSTICS: exit 0 only after the message is stored (or was stored by an earlier attempt);
// every failure (database away, bad configuration, unreadable key file) exits 75, EX_TEMPFAIL, so
// Postfix keeps the message and retries rather than bouncing a bounce. Problems go to syslog/stderr.
// SECURITY: runs as an unprivileged user; reads stdin, the configuration and the token key file.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "db/pg_connection.h"
#include "dsn/bounce_reader.h"
#include "log/log.h"
#include "pipe_store.h"
#include "report_json.h"
#include "token/key_ring.h"

namespace {

namespace po = boost::program_options;
using namespace waybill;

constexpr int kExitTempFail = 75;                       // sysexits.h EX_TEMPFAIL
constexpr std::size_t kMaxMessageBytes = 64u << 20;     // larger input is cut (Postfix's default limit is 10 MB)

std::string readStdin() {
  std::string data;
  char buffer[65536];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, stdin)) > 0 && data.size() < kMaxMessageBytes) {
    data.append(buffer, n);
  }
  if (data.size() > kMaxMessageBytes) data.resize(kMaxMessageBytes);
  return data;
}

std::unique_ptr<TokenCodec> loadCodec(const Config& config, bool& failed) {
  failed = false;
  if (config.tracking.key_file.empty()) return nullptr;
  auto ring = KeyRing::loadFile(config.tracking.key_file);
  if (!ring) {
    log::error("option 'tracking.key_file': {}", ring.error());
    failed = true;
    return nullptr;
  }
  return std::make_unique<TokenCodec>(std::make_shared<const KeyRing>(std::move(*ring)));
}

int store(const Config& config, const pipe::PipeEnvelope& envelope, const std::string& raw) {
  // One connection per message: skip libpq's GSSAPI-encryption probe (it looks for Kerberos
  // credentials on every connect, ~1.5 ms of CPU). A database URL saying gssencmode=... still wins.
  setenv("PGGSSENCMODE", "disable", /*overwrite=*/0);
  bool key_failed = false;
  auto codec = loadCodec(config, key_failed);
  if (key_failed) return kExitTempFail;
  auto conn = PgConnection::connect(config.database);
  if (!conn) {
    log::error("queue {}: {}; Postfix will retry", envelope.queue_id, conn.error());
    return kExitTempFail;
  }
  auto outcome = pipe::storeMessage(*conn, envelope, raw, config, codec.get());
  if (!outcome) {
    log::error("queue {}: storing failed: {}; Postfix will retry", envelope.queue_id, outcome.error());
    return kExitTempFail;
  }
  log::info("queue {} to {}: {}", envelope.queue_id, envelope.recipient,
            *outcome == pipe::StoreOutcome::Stored ? "stored" : "already stored");
  return 0;
}

}  // namespace

int main(int argc, char* argv[]) {
  ConfigParser parser("waybill-pipe", "Postfix pipe(8) transport: stores bounces, complaints, unsubscribes, inbound mail.");
  parser.programOptions().add_options()
      ("classify-only", "print the classification of the message on stdin as JSON lines; store nothing")
      ("sender", po::value<std::string>()->default_value(""), "envelope sender (${sender})")
      ("recipient", po::value<std::string>()->default_value(""), "envelope recipient (${recipient})")
      ("queue-id", po::value<std::string>()->default_value(""), "Postfix queue id (${queue_id})");
  // "--sender=" (an empty value, as a hand-written master.cf may pass for the null sender) is
  // split into "--sender" "" because Program_options refuses an empty value after '='.
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
  std::vector<const char*> arg_pointers;
  for (const std::string& arg : args) arg_pointers.push_back(arg.c_str());
  auto parsed = parser.parse(static_cast<int>(arg_pointers.size()), arg_pointers.data());
  if (!parsed) {
    std::fprintf(stderr, "waybill-pipe: %s\n", parsed.error().c_str());
    return kExitTempFail;
  }
  if (parsed->exit_now) return parsed->exit_code;
  const Config& config = *parsed->config;
  log::init("waybill-pipe", {.to_stderr = config.log.to_stderr, .to_syslog = config.log.to_syslog, .level = config.log.level});

  std::string raw = readStdin();
  if (parsed->program_values.count("classify-only")) {
    std::fputs(pipe::classificationLines(dsn::readBounce(raw)).c_str(), stdout);
    return 0;
  }
  pipe::PipeEnvelope envelope{parsed->program_values["sender"].as<std::string>(),
                              parsed->program_values["recipient"].as<std::string>(),
                              parsed->program_values["queue-id"].as<std::string>()};
  if (envelope.recipient.empty()) {
    log::error("--recipient is required (master.cf: --recipient=${{recipient}})");
    return kExitTempFail;
  }
  return store(config, envelope, raw);
}
