#include "store/delivery_outcome_store.h"

namespace waybill {

std::string deliveryOutcomeKey(std::string_view type, std::string_view recipient_id, std::string_view queue_id) {
  return std::string(type) + "/" + std::string(recipient_id) + "/" + std::string(queue_id);
}

Result<bool> claimDeliveryOutcome(PgConnection& conn, std::string_view type, const std::string& recipient_id,
                                  std::string_view queue_id, std::string_view source) {
  auto rows = conn.exec(
      "INSERT INTO delivery_outcomes (dedupe_key, source) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1",
      {deliveryOutcomeKey(type, recipient_id, queue_id), std::string(source)});
  if (!rows) return makeError(rows.error());
  return rows->rows() == 1;
}

}  // namespace waybill
