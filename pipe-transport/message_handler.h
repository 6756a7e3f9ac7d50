// MessageHandler: one message from Postfix to an answer for Postfix — store it and say what
// happened as an exit status (0 stored, 75 EX_TEMPFAIL) plus one line. Shared by the one-shot
// program (own connection) and waybill-piped --serve (pooled connections), so both tell
// Postfix the same truth and log the same lines.
//
//   auto codec = loadTokenCodec(config);               // once per process
//   PipeAnswer answer = storeWithPool(pool, envelope, raw, config, codec->get());
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "config/config.h"
#include "store/connection_pool.h"
#include "pipe_protocol.h"
#include "pipe_store.h"
#include "token/tracking_token.h"
#include "util/result.h"

namespace waybill::pipe {

// nullptr (not an error) when tracking.key_file is not set.
Result<std::unique_ptr<TokenCodec>> loadTokenCodec(const Config& config);

// Logs the outcome and turns it into the answer Postfix gets.
PipeAnswer answerFor(const PipeEnvelope& envelope, const Result<StoreOutcome>& outcome);

// The last boundary around one message: an exception from anything in work (a parser, the
// serializer, the logger) is logged and answered 75, so neither daemon nor one-shot dies of it.
PipeAnswer answerForAnything(const PipeEnvelope& envelope, const std::function<PipeAnswer()>& work);

// One-shot: a connection of its own for this one message.
PipeAnswer storeWithNewConnection(const PipeEnvelope& envelope, std::string_view raw, const Config& config,
                                  const TokenCodec* codec);

// Daemon: a pooled connection; one retry on a fresh connection when the pooled one turned out
// dead (PostgreSQL restarted since it was opened), which the dedupe key makes safe.
PipeAnswer storeWithPool(ConnectionPool& pool, const PipeEnvelope& envelope, std::string_view raw,
                         const Config& config, const TokenCodec* codec);

}  // namespace waybill::pipe
