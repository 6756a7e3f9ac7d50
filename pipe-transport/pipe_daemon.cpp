// PipeDaemon implementation.
#include "pipe_daemon.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

#include "runtime/log.h"
#include "message_handler.h"
#include "store/database_probe.h"
#include "runtime/metrics_server.h"
#include "runtime/refreshing_collectable.h"
#include "pipe_server.h"
#include "runtime/daemon.h"
#include "runtime/snapshot.h"

namespace waybill::pipe {
namespace {

MessageResult resultOf(const PipeAnswer& answer) {
  if (answer.exit_code != 0) return MessageResult::TempFail;
  return answer.text == "already stored" ? MessageResult::AlreadyStored : MessageResult::Stored;
}

// What a message is classified and stored with; SIGHUP replaces both as one.
struct InForce {
  std::shared_ptr<const Config> config;
  std::shared_ptr<const TokenCodec> codec;  // null without tracking.key_file
};

Result<std::shared_ptr<const InForce>> loadInForce(std::shared_ptr<const Config> config) {
  auto codec = loadTokenCodec(*config);
  if (!codec) return makeError(codec.error());
  return std::make_shared<const InForce>(InForce{std::move(config), std::shared_ptr<const TokenCodec>(std::move(*codec))});
}

// Each message: one transaction through the pool, counted and timed.
RequestHandler storeHandler(ConnectionPool& pool, const runtime::Snapshot<InForce>& settings, PipeMetrics& metrics) {
  return [&pool, &settings, &metrics](PipeRequest& request) {
    const auto started = std::chrono::steady_clock::now();
    const std::shared_ptr<const InForce> in_force = settings.get();
    const Config& config = *in_force->config;
    const TokenCodec* codec = in_force->codec.get();
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

int runDaemon(const ConfigParser& parser, int argc, const char* const argv[],
              std::shared_ptr<const Config> started_with) {
  runtime::Daemon daemon(parser, "waybill-piped", argc, argv, started_with);
  const Config& config = *started_with;
  // Connections live long here, but the first connect after an outage should not pay libpq's
  // Kerberos probe either. A database URL saying gssencmode=... still wins.
  setenv("PGGSSENCMODE", "disable", /*overwrite=*/0);
  daemon.blockSignals();
  auto first = loadInForce(started_with);
  if (!first) return daemon.fail(first.error());
  runtime::Snapshot<InForce> settings(std::move(*first));
  daemon.onReload([&settings](const std::shared_ptr<const Config>& fresh) -> Result<std::string> {
    auto loaded = loadInForce(fresh);
    if (!loaded) return makeError(loaded.error());
    settings.set(std::move(*loaded));
    return std::string("token keys and the [pipe] classification settings");
  });
  auto listener = PipeServer::listen(config.pipe);
  if (!listener) return daemon.fail(listener.error());
  DatabaseConfig database = config.database;
  database.pool_size = config.pipe.pool_size;
  ConnectionPool pool(database);
  PipeMetrics metrics;
  auto scraped = std::make_shared<metrics::RefreshingCollectable>(
      metrics.registry(), [&] { metrics.databaseUp().Set(metrics::databaseAnswers(pool) ? 1 : 0); });
  auto metrics_server = metrics::MetricsServer::start(config.pipe.metrics_listen, scraped);
  if (!metrics_server) return daemon.fail(metrics_server.error());
  const PipeServerOptions options{config.pipe.max_connections, config.pipe.timeout_seconds,
                                  static_cast<std::size_t>(config.pipe.max_message_mb) << 20};
  PipeServer server(*listener, options, metrics, storeHandler(pool, settings, metrics));
  const auto signal_waiter = daemon.stopOnSignal("finishing the messages in flight", [&server] { server.stop(); });
  daemon.ready(fmt::format("serving on {} ({} database connections, {} messages at once)",
                           listener->unix_path.empty() ? "the systemd socket" : config.pipe.socket,
                           config.pipe.pool_size, config.pipe.max_connections));
  if (!server.run()) {
    // Threads still inside the store use the pool and the codec: leave without destroying them.
    // Their clients exit 75; a retry finds a transaction that did commit by its dedupe key.
    std::_Exit(0);
  }
  log::info("stopped");
  return 0;
}

}  // namespace waybill::pipe
