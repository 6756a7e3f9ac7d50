// MessageHandler implementation: store, retry a dead pooled connection once, log, answer.
#include "message_handler.h"

#include <exception>
#include <functional>

#include "runtime/log.h"
#include "token/key_ring.h"

namespace waybill::pipe {

Result<std::unique_ptr<TokenCodec>> loadTokenCodec(const Config& config) {
  if (config.tracking.key_file.empty()) return std::unique_ptr<TokenCodec>();
  auto ring = KeyRing::loadFile(config.tracking.key_file);
  if (!ring) return makeError("option 'tracking.key_file': " + ring.error());
  return std::make_unique<TokenCodec>(std::make_shared<const KeyRing>(std::move(*ring)));
}

PipeAnswer answerFor(const PipeEnvelope& envelope, const Result<StoreOutcome>& outcome) {
  if (!outcome) {
    log::error("queue {}: storing failed: {}; Postfix will retry", envelope.queue_id, outcome.error());
    return {kExitTempFail, "storing failed: " + outcome.error()};
  }
  const char* what = *outcome == StoreOutcome::Stored ? "stored" : "already stored";
  log::info("queue {} to {}: {}", envelope.queue_id, envelope.recipient, what);
  return {0, what};
}

PipeAnswer answerForAnything(const PipeEnvelope& envelope, const std::function<PipeAnswer()>& work) {
  try {
    return work();
  } catch (const std::exception& e) {
    return answerFor(envelope, makeError(std::string("internal error: ") + e.what()));
  } catch (...) {
    return answerFor(envelope, makeError("internal error"));
  }
}

PipeAnswer storeWithNewConnection(const PipeEnvelope& envelope, std::string_view raw, const Config& config,
                                  const TokenCodec* codec) {
  return answerForAnything(envelope, [&] {
    auto conn = PgConnection::connect(config.database);
    if (!conn) return answerFor(envelope, makeError(conn.error()));
    return answerFor(envelope, storeMessage(*conn, envelope, raw, config, codec));
  });
}

PipeAnswer storeWithPool(ConnectionPool& pool, const PipeEnvelope& envelope, std::string_view raw,
                         const Config& config, const TokenCodec* codec) {
  // A retry after a lost connection is safe: the dedupe key stores nothing twice.
  return answerForAnything(envelope, [&] {
    return answerFor(envelope, pool.withConnection([&](PgConnection& conn) {
      return storeMessage(conn, envelope, raw, config, codec);
    }));
  });
}

}  // namespace waybill::pipe
