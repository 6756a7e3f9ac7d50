#include "store/recipient_store.h"

#include "util/utf8.h"

namespace waybill::store {
namespace {

constexpr const char* kRecipientById = R"SQL(
SELECT r.id, r.message_id, r.address, m.envelope_sender
FROM recipients r JOIN messages m ON m.id = r.message_id WHERE r.id = $1
)SQL";

// One statement tells "not our Message-ID" from "ours, but not a recipient of it".
constexpr const char* kRecipientByHeaders = R"SQL(
SELECT m.id, r.id, r.address, m.envelope_sender
FROM messages m LEFT JOIN recipients r ON r.message_id = m.id AND lower(r.address) = lower($3)
WHERE m.message_id_header IN ($1, $2)
ORDER BY r.id IS NULL, m.created_at DESC LIMIT 1
)SQL";

}  // namespace

Result<std::optional<RecipientRecord>> recipientById(PgConnection& conn, const std::string& recipient_id) {
  auto rows = conn.exec(kRecipientById, {recipient_id});
  if (!rows) return makeError(rows.error());
  if (rows->rows() == 0) return std::optional<RecipientRecord>();
  return std::optional<RecipientRecord>(RecipientRecord{std::string(rows->get(0, 0)), std::string(rows->get(0, 1)),
                                                        std::string(rows->get(0, 2)), std::string(rows->get(0, 3))});
}

Result<MessageMatch> recipientByMessageIdAndAddress(PgConnection& conn, const std::string& message_id_header,
                                                    const std::string& address) {
  auto rows = conn.exec(kRecipientByHeaders, {toValidUtf8(message_id_header), toValidUtf8("<" + message_id_header + ">"),
                                              toValidUtf8(address)});
  if (!rows) return makeError(rows.error());
  MessageMatch found;
  if (rows->rows() == 0) return found;
  found.message_is_ours = true;
  if (rows->isNull(0, 1)) return found;
  found.row = RecipientRecord{std::string(rows->get(0, 1)), std::string(rows->get(0, 0)), std::string(rows->get(0, 2)),
                              std::string(rows->get(0, 3))};
  return found;
}

Status updateRecipientStatus(PgConnection& conn, const std::string& recipient_id, const std::string& status,
                             const std::string& detail, const std::string& from) {
  auto rows = conn.exec(
      "UPDATE recipients SET status = $2, status_detail = $3, updated_at = now() "
      "WHERE id = $1 AND status = ANY($4::text[])",
      {recipient_id, status, detail, from});
  if (!rows) return makeError(rows.error());
  return {};
}

}  // namespace waybill::store
