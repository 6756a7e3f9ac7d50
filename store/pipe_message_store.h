// PipeMessageStore: what waybill-pipe keeps of every message for the bounce domain
// (`pipe_messages`, sql/migrations/0005) and the soft bounces it counts (`soft_bounces`), and
// the inbound mail it stores (`inbound_messages`, whose trigger sends NOTIFY waybill_inbound).
// A delivery Postfix retries carries the same dedupe key, so each is stored once.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "store/pg_connection.h"
#include "util/result.h"

namespace waybill::store {

struct PipeMessageRow {
  std::string dedupe_key;
  std::optional<std::string> queue_id;
  std::string envelope_sender;
  std::string envelope_recipient;
  std::string kind;
  std::optional<std::string> recipient_id;
  std::string classification_json;
};
// False when this delivery was stored before (a retry). `raw` is stored as sent.
Result<bool> insertPipeMessage(PgConnection& conn, const PipeMessageRow& row, std::string_view raw);

// Records one soft bounce of `address` and returns how many it had within the last `days`.
Result<long long> recordSoftBounce(PgConnection& conn, const std::string& address, int days);

struct InboundRow {
  std::string queue_id, envelope_sender, envelope_recipient;
  std::string message_id_header, from_header, to_header, subject;
  std::string headers_json, text_body, html_body, attachments_json;
  std::string dedupe_key;
};
// False when this delivery was stored before (a retry).
Result<bool> insertInbound(PgConnection& conn, const InboundRow& row, std::string_view raw);

}  // namespace waybill::store
