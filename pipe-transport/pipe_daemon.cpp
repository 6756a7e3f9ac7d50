// PipeDaemon implementation.
#include "pipe_daemon.h"
#include "util/posix_io.h"

#include <pthread.h>
#include <systemd/sd-daemon.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>

#include "log/log.h"
#include "message_handler.h"
#include "metrics/database_probe.h"
#include "metrics/metrics_server.h"
#include "metrics/refreshing_collectable.h"
#include "pipe_server.h"

namespace waybill::pipe {
namespace {

constexpr int kExitConfig = 78;  // sysexits.h EX_CONFIG

MessageResult resultOf(const PipeAnswer& answer) {
  if (answer.exit_code != 0) return MessageResult::TempFail;
  return answer.text == "already stored" ? MessageResult::AlreadyStored : MessageResult::Stored;
}

// Each message: one transaction through the pool, counted and timed.
RequestHandler storeHandler(ConnectionPool& pool, const Config& config, const TokenCodec* codec, PipeMetrics& metrics) {
  return [&pool, &config, codec, &metrics](PipeRequest& request) {
    const auto started = std::chrono::steady_clock::now();
    if (request.truncated) log::warning("queue {}: message cut at pipe.max_message_mb", request.queue_id);
    const PipeEnvelope envelope{request.sender, request.recipient, request.queue_id};
    PipeAnswer answer = envelope.recipient.empty()
                            ? PipeAnswer{kExitTempFail, "no recipient (master.cf: --recipient=${recipient})"}
                            : storeWithPool(pool, envelope, request.message, config, codec);
    metrics.countMessage(resultOf(answer), std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return answer;
  };
}

}  // namespace

int runDaemon(const Config& config) {
  // Connections live long here, but the first connect after an outage should not pay libpq's
  // Kerberos probe either. A database URL saying gssencmode=... still wins.
  setenv("PGGSSENCMODE", "disable", /*overwrite=*/0);
  const sigset_t stop_signals = blockStopSignals();
  auto codec = loadTokenCodec(config);
  if (!codec) {
    log::error("{}", codec.error());
    return kExitConfig;
  }
  auto listener = PipeServer::listen(config.pipe);
  if (!listener) {
    log::error("{}", listener.error());
    return kExitConfig;
  }
  ConnectionPool pool(DatabaseConfig{config.database.url, config.pipe.pool_size, config.database.connect_timeout_seconds});
  PipeMetrics metrics;
  auto scraped = std::make_shared<metrics::RefreshingCollectable>(
      metrics.registry(), [&] { metrics.databaseUp().Set(metrics::databaseAnswers(pool) ? 1 : 0); });
  auto metrics_server = metrics::MetricsServer::start(config.pipe.metrics_listen, scraped);
  if (!metrics_server) {
    log::error("{}", metrics_server.error());
    return kExitConfig;
  }
  const PipeServerOptions options{config.pipe.max_connections, config.pipe.timeout_seconds,
                                  static_cast<std::size_t>(config.pipe.max_message_mb) << 20};
  PipeServer server(*listener, options, metrics, storeHandler(pool, config, codec->get(), metrics));
  std::thread signal_waiter([&] {
    int received = 0;
    sigwait(&stop_signals, &received);
    log::info("signal {}: finishing the messages in flight", received);
    sd_notify(0, "STOPPING=1");
    server.stop();
  });
  sd_notify(0, "READY=1");
  log::info("serving on {} ({} database connections, {} messages at once)",
            listener->unix_path.empty() ? "the systemd socket" : config.pipe.socket, config.pipe.pool_size,
            config.pipe.max_connections);
  if (!server.run()) {
    // Threads still inside the store use the pool and the codec: leave without destroying them.
    // Their clients exit 75; a retry finds a transaction that did commit by its dedupe key.
    std::_Exit(0);
  }
  pthread_kill(signal_waiter.native_handle(), SIGTERM);  // wakes sigwait if run() ended on its own
  signal_waiter.join();
  log::info("stopped");
  return 0;
}

}  // namespace waybill::pipe
