#include "store/api_idempotency_store.h"

#include <nlohmann/json.hpp>

#include "util/utf8.h"

namespace waybill::store {

Result<IdempotencyClaim> claimIdempotencyKey(PgConnection& conn, const std::string& api_key_id, const std::string& key,
                                             const std::string& request_digest) {
  // Answers are kept 24 hours; older rows go first, so an old key is a new claim.
  if (auto expired = conn.exec("DELETE FROM api_idempotency WHERE created_at < now() - interval '24 hours'"); !expired)
    return makeError(expired.error());
  auto claimed = conn.exec(
      "INSERT INTO api_idempotency (api_key_id, idempotency_key, request_digest) VALUES ($1::uuid, $2, $3) "
      "ON CONFLICT DO NOTHING RETURNING 1",
      {api_key_id, key, request_digest});
  if (!claimed) return makeError(claimed.error());
  IdempotencyClaim claim;
  if (claimed->rows() == 1) return claim;
  auto rows = conn.exec(
      "SELECT request_digest, status, coalesce(content_type, ''), coalesce(headers, '[]'::jsonb)::text, coalesce(body, '') "
      "FROM api_idempotency WHERE api_key_id = $1::uuid AND idempotency_key = $2",
      {api_key_id, key});
  if (!rows) return makeError(rows.error());
  if (rows->rows() == 0) return claimIdempotencyKey(conn, api_key_id, key, request_digest);  // given up meanwhile
  if (rows->get(0, 0) != request_digest) {
    claim.state = IdempotencyClaim::State::OtherRequest;
  } else if (rows->isNull(0, 1)) {
    claim.state = IdempotencyClaim::State::InFlight;
  } else {
    claim.state = IdempotencyClaim::State::Answered;
    claim.answer.status = std::stoi(std::string(rows->get(0, 1)));
    claim.answer.content_type = std::string(rows->get(0, 2));
    claim.answer.headers = nlohmann::json::parse(rows->get(0, 3)).get<std::vector<std::pair<std::string, std::string>>>();
    claim.answer.body = std::string(rows->get(0, 4));
  }
  return claim;
}

Status keepIdempotentAnswer(PgConnection& conn, const std::string& api_key_id, const std::string& key,
                            const StoredAnswer& answer) {
  auto kept = conn.exec(
      "UPDATE api_idempotency SET status = $3::int, content_type = $4, headers = $5::jsonb, body = $6 "
      "WHERE api_key_id = $1::uuid AND idempotency_key = $2",
      {api_key_id, key, std::to_string(answer.status), answer.content_type,
       nlohmann::json(answer.headers).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), toValidUtf8(answer.body)});
  if (!kept) return makeError(kept.error());
  return {};
}

Status releaseIdempotencyKey(PgConnection& conn, const std::string& api_key_id, const std::string& key) {
  auto released = conn.exec("DELETE FROM api_idempotency WHERE api_key_id = $1::uuid AND idempotency_key = $2",
                            {api_key_id, key});
  if (!released) return makeError(released.error());
  return {};
}

}  // namespace waybill::store
