// waybill-logd: follows Postfix's delivery log ([logd] log_file) and records every delivery
// attempt of mail Waybill accepted as a delivered / deferred / bounced event (docs/delivery-log.md).
//
// SECURITY: runs as an unprivileged user that may read the mail log (group adm on Debian; the
// packaged unit grants CAP_DAC_READ_SEARCH for postlogd's root-only file); it reads that one file
// (and its rotated predecessor) and talks to PostgreSQL, nothing else; it
// serves nothing but the optional loopback /metrics. Log lines are untrusted text (remote replies
// are quoted in them): core/postfix/delivery_log_line.h parses them totally, with a length cap.
// DIAGNOSTICS: syslog facility mail (and stderr): where it starts reading, missed lines after a
// lost rotated file, database outages (one line per 30 s).
#include <atomic>
#include <thread>

#include "delivery_log_reader.h"
#include "runtime/metrics_server.h"
#include "runtime/daemon.h"

namespace waybill::logd {

const runtime::DaemonProgram kProgram{"waybill-logd",
                                      "Records Postfix's delivery attempts (from its log) as Waybill events."};

// SIGHUP (systemctl reload, or a logrotate script's HUP meant for the syslog daemon) never stops the
// reader: the configuration is read again and checked (rotation and truncation are noticed without a
// signal).
int serve(runtime::Daemon& daemon, const Config& config) {
  LogdMetrics metrics;
  auto metrics_server = metrics::MetricsServer::start(config.logd.metrics_listen, metrics.registry);
  if (!metrics_server) return daemon.fail(metrics_server.error());
  std::atomic<bool> stop{false};
  DeliveryLogReader reader(config, metrics);
  std::thread worker([&] { reader.run(stop); });
  daemon.ready("started" + (*metrics_server)->startedNote());

  daemon.waitForStop("finishing the batch in flight");
  stop = true;
  worker.join();
  return 0;
}

}  // namespace waybill::logd

int main(int argc, char** argv) {
  return waybill::runtime::runDaemon(waybill::logd::kProgram, argc, argv, waybill::logd::serve);
}
