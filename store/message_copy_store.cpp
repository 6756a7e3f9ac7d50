#include "store/message_copy_store.h"

#include <nlohmann/json.hpp>

#include "util/utf8.h"

namespace waybill::store {

namespace {

nlohmann::json idList(const std::vector<Uuid>& ids) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& id : ids) list.push_back(id.toString());
  return list;
}

}  // namespace

Result<InjectedCopies> copiesInjected(PgConnection& conn, const std::vector<Uuid>& recipient_ids) {
  InjectedCopies copies;  // ids as text
  if (recipient_ids.empty()) return copies;
  auto rows = conn.exec(
      "SELECT c.recipient_id::text, c.confirmed OR EXISTS (SELECT 1 FROM message_copy_queue_ids q "
      "  WHERE q.recipient_id = c.recipient_id AND q.queued_at IS NOT NULL) "
      "FROM message_copies c WHERE c.recipient_id IN (SELECT value::uuid FROM jsonb_array_elements_text($1::jsonb))",
      {idList(recipient_ids).dump()});
  if (!rows) return makeError(rows.error());
  for (int row = 0; row < rows->rows(); ++row)
    (rows->get(row, 1) == "t" ? copies.settled : copies.unsettled).emplace(rows->get(row, 0));
  return copies;
}

Status recordCopies(PgConnection& conn, const Uuid& message_id, const std::vector<Uuid>& recipient_ids,
                    const std::vector<std::string>& addresses, const std::vector<bool>& confirmed) {
  if (recipient_ids.empty()) return {};
  nlohmann::json list = nlohmann::json::array();
  for (const auto& address : addresses) list.push_back(toValidUtf8(address));
  nlohmann::json flags = nlohmann::json::array();
  for (bool flag : confirmed) flags.push_back(flag);
  auto result = conn.exec(
      "INSERT INTO message_copies (recipient_id, message_id, address, confirmed) "
      "SELECT r.value::uuid, $2::uuid, a.value, c.value::boolean "
      "FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY AS r(value, n) "
      "JOIN jsonb_array_elements_text($3::jsonb) WITH ORDINALITY AS a(value, n) USING (n) "
      "JOIN jsonb_array_elements_text($4::jsonb) WITH ORDINALITY AS c(value, n) USING (n) "
      "ON CONFLICT (recipient_id) DO UPDATE SET confirmed = message_copies.confirmed OR EXCLUDED.confirmed",
      {idList(recipient_ids).dump(), message_id.toString(), list.dump(), flags.dump()});
  if (!result) return makeError(result.error());
  return {};
}

Status recordCopyQueueId(PgConnection& conn, const Uuid& message_id, const Uuid& recipient_id,
                         const std::string& queue_id) {
  if (queue_id.empty()) return {};
  // One statement: the copy row, and recipients.queue_id when the original has recorded it.
  auto result = conn.exec(
      "WITH copy AS (INSERT INTO message_copy_queue_ids (queue_id, recipient_id, message_id) "
      "VALUES ($1, $2::uuid, $3::uuid) ON CONFLICT DO NOTHING) "
      "UPDATE recipients SET queue_id = $1 WHERE id = $2::uuid AND queue_id IS DISTINCT FROM $1",
      {queue_id, recipient_id.toString(), message_id.toString()});
  if (!result) return makeError(result.error());
  return {};
}

}  // namespace waybill::store
