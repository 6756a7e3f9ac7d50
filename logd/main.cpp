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
#include <fmt/format.h>

#include <atomic>
#include <thread>

#include "delivery_log_reader.h"
#include "runtime/log.h"
#include "runtime/metrics_server.h"
#include "runtime/daemon.h"

int main(int argc, char** argv) {
  using namespace waybill;
  ConfigParser parser("waybill-logd", "Records Postfix's delivery attempts (from its log) as Waybill events.");
  runtime::Daemon daemon(parser, "waybill-logd", argc, argv);
  if (!daemon.started()) return daemon.exitCode();
  const Config& config = daemon.config();
  // SIGHUP (systemctl reload, or a logrotate script's HUP meant for the syslog daemon) never stops
  // the reader: the configuration is read again and checked (rotation and truncation are noticed
  // without a signal).
  daemon.blockSignals();

  logd::LogdMetrics metrics;
  auto metrics_server = metrics::MetricsServer::start(config.logd.metrics_listen, metrics.registry);
  if (!metrics_server) return daemon.fail(metrics_server.error());
  std::atomic<bool> stop{false};
  logd::DeliveryLogReader reader(config, metrics);
  std::thread worker([&] { reader.run(stop); });
  daemon.ready(fmt::format(
      "started{}", (*metrics_server)->enabled() ? fmt::format(", metrics on port {}", (*metrics_server)->port()) : ""));

  daemon.waitForStop("finishing the batch in flight");
  stop = true;
  worker.join();
  log::info("stopped");
  return 0;
}
