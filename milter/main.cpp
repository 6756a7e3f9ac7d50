// waybill-milter: Postfix milter that tracks, completes and records every submitted message.
//
// SECURITY: runs as an unprivileged user; reads the token key and DKIM keys, nothing else secret.
// DIAGNOSTICS: syslog facility mail (and stderr); every tempfail is logged with its cause.
#include <fmt/format.h>

#include <csignal>
#include <cstdlib>

#include "config/config.h"
#include "db/connection_pool.h"
#include "libmilter_adapter.h"
#include "log/log.h"
#include "pipeline.h"
#include "stages/control_headers.h"
#include "stages/record_message.h"
#include "stages/schedule_hold.h"
#include "stages/standard_headers.h"
#include "stages/track_links.h"

namespace {

// Tracking needs both the public base URL and the token keys; without them the milter still
// completes and records messages, and says once why nothing is tracked.
std::unique_ptr<waybill::milter::Stage> makeTrackLinksStage(const waybill::Config& config, waybill::ConnectionPool& pool,
                                                            std::unique_ptr<waybill::milter::SendmailInjector>& injector) {
  using namespace waybill;
  if (config.tracking.base_url.empty() || config.tracking.key_file.empty()) {
    log::warning("tracking off: options 'tracking.base_url' and 'tracking.key_file' are both needed");
    return nullptr;
  }
  auto keys = KeyRing::loadFile(config.tracking.key_file);
  if (!keys) {
    fmt::print(stderr, "waybill-milter: option 'tracking.key_file': {}\n", keys.error());
    std::exit(78);
  }
  injector = std::make_unique<milter::SendmailInjector>(config.milter.reinject_command);
  milter::TrackLinksSettings settings{config.tracking.base_url, config.tracking.rewrite_text_links, config.milter.spool_dir,
                                      static_cast<std::size_t>(config.milter.spool_memory_limit_kb) * 1024};
  return std::make_unique<milter::TrackLinksStage>(std::make_shared<const KeyRing>(std::move(*keys)), settings, pool,
                                                   *injector);
}

}  // namespace

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
  std::unique_ptr<milter::SendmailInjector> injector;
  if (auto tracking = makeTrackLinksStage(config, pool, injector)) pipeline.add(std::move(tracking));
  pipeline.add(std::make_unique<milter::RecordOnceStage>(std::make_unique<milter::RecordMessageStage>(pool)));
  pipeline.add(std::make_unique<milter::ScheduleHoldStage>(pool, [] { return std::chrono::system_clock::now(); }));
  std::signal(SIGPIPE, SIG_IGN);  // a re-inject command that dies early must not take the milter along
  return milter::runMilter(pipeline, config.milter.socket, config.milter.timeout_seconds,
                           {config.milter.spool_dir, static_cast<std::size_t>(config.milter.spool_memory_limit_kb) * 1024});
}
