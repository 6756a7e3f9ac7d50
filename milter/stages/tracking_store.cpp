#include "stages/tracking_store.h"

#include <nlohmann/json.hpp>

#include "util/utf8.h"

namespace waybill::milter {

Result<bool> copyInjected(PgConnection& conn, const Uuid& recipient_id) {
  auto rows = conn.exec("SELECT 1 FROM message_copies WHERE recipient_id = $1::uuid", {recipient_id.toString()});
  if (!rows) return makeError(rows.error());
  return rows->rows() > 0;
}

Status recordCopy(PgConnection& conn, const Uuid& message_id, const Uuid& recipient_id, const std::string& address) {
  auto result = conn.exec(
      "INSERT INTO message_copies (recipient_id, message_id, address) VALUES ($1::uuid, $2::uuid, $3) "
      "ON CONFLICT DO NOTHING",
      {recipient_id.toString(), message_id.toString(), toValidUtf8(address)});
  if (!result) return makeError(result.error());
  return {};
}

Status recordLinks(PgConnection& conn, const Uuid& message_id, const Uuid& recipient_id,
                   const std::vector<std::string>& urls) {
  if (urls.empty()) return {};
  nlohmann::json list = nlohmann::json::array();
  for (const auto& url : urls) list.push_back(toValidUtf8(url));
  auto result = conn.exec(
      "INSERT INTO links (recipient_id, position, message_id, url) "
      "SELECT $1::uuid, ordinality::int, $2::uuid, url "
      "FROM jsonb_array_elements_text($3::jsonb) WITH ORDINALITY AS t(url, ordinality) "
      "ON CONFLICT DO NOTHING",
      {recipient_id.toString(), message_id.toString(), list.dump()});
  if (!result) return makeError(result.error());
  return {};
}

}  // namespace waybill::milter
