// waybill-milter: Postfix milter that tracks, completes and records every submitted message.
//
// SECURITY: runs as an unprivileged user; reads the token key and DKIM keys, nothing else secret.
// DIAGNOSTICS: syslog facility mail (and stderr); every tempfail is logged with its cause.
#include <fmt/format.h>

#include "config/config.h"
#include "db/connection_pool.h"
#include "libmilter_adapter.h"
#include "log/log.h"
#include "pipeline.h"
#include "stages/control_headers.h"
#include "stages/record_message.h"
#include "stages/standard_headers.h"

int main(int argc, char** argv) {
  using namespace waybill;
  ConfigParser parser("waybill-milter", "Postfix milter: tracking, List-Unsubscribe, Message-ID/Date, VERP, DKIM.");
  auto parsed = parser.parse(argc, argv);
  if (!parsed) {
    fmt::print(stderr, "waybill-milter: {}\n", parsed.error());
    return 78;  // EX_CONFIG
  }
  if (parsed->exit_now) return parsed->exit_code;
  const Config& config = *parsed->config;
  if (config.database.url.empty()) {
    fmt::print(stderr, "waybill-milter: option 'database.url': required\n");
    return 78;
  }
  log::init("waybill-milter", {config.log.to_stderr, config.log.to_syslog, config.log.level});

  ConnectionPool pool(config.database);
  if (auto probe = pool.acquire(); !probe)
    log::warning("database not reachable yet, messages will be tempfailed until it is: {}", probe.error());

  milter::Pipeline pipeline;
  pipeline.add(std::make_unique<milter::ControlHeadersStage>(config.tracking.default_mode));
  pipeline.add(std::make_unique<milter::StandardHeadersStage>(config.milter.message_id_domain,
                                                              [] { return std::chrono::system_clock::now(); }));
  pipeline.add(std::make_unique<milter::RecordMessageStage>(pool));
  return milter::runMilter(pipeline, config.milter.socket, config.milter.timeout_seconds);
}
