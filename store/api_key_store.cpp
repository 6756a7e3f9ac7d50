#include "store/api_key_store.h"

#include <nlohmann/json.hpp>

#include "store/pg_rows.h"
#include "util/uuid.h"

namespace waybill::store {
namespace {

constexpr const char* kColumns =
    "id::text, name, shown, to_jsonb(sender_domains)::text, to_char(created_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD HH24:MI:SS'), coalesce(to_char(last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), ''), "
    "coalesce(to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), '')";

ApiKeyRow rowAt(const PgResult& rows, int row) {
  ApiKeyRow key{std::string(rows.get(row, 0)), std::string(rows.get(row, 1)), std::string(rows.get(row, 2)), {},
                std::string(rows.get(row, 4)), std::string(rows.get(row, 5)), std::string(rows.get(row, 6))};
  key.sender_domains = nlohmann::json::parse(rows.get(row, 3)).get<std::vector<std::string>>();
  return key;
}

Result<std::optional<ApiKeyRow>> firstRow(Result<PgResult> rows) {
  if (!rows) return makeError(rows.error());
  if (rows->rows() == 0) return std::optional<ApiKeyRow>();
  return std::optional<ApiKeyRow>(rowAt(*rows, 0));
}

}  // namespace

Result<std::string> createApiKey(PgConnection& conn, const std::string& name, const std::string& digest,
                                 const std::string& shown, const std::vector<std::string>& sender_domains) {
  const std::string id = Uuid::random().toString();
  auto inserted = conn.exec(
      "INSERT INTO api_keys (id, name, digest, shown, sender_domains) "
      "SELECT $1::uuid, $2, $3, $4, ARRAY(SELECT jsonb_array_elements_text($5::jsonb)) "
      "WHERE NOT EXISTS (SELECT 1 FROM api_keys WHERE name = $2 AND revoked_at IS NULL)",
      {id, name, digest, shown, nlohmann::json(sender_domains).dump()});
  if (!inserted) return makeError(inserted.error());
  if (inserted->affected() != "1") return makeError("a live key named '" + name + "' exists already (revoke it first)");
  return id;
}

Result<std::vector<ApiKeyRow>> listApiKeys(PgConnection& conn, bool with_revoked) {
  auto rows = conn.exec(std::string("SELECT ") + kColumns + " FROM api_keys WHERE $1 OR revoked_at IS NULL "
                        "ORDER BY revoked_at IS NOT NULL, created_at DESC, name",
                        {with_revoked ? "true" : "false"});
  return mapRows(rows, rowAt);
}

Result<std::optional<ApiKeyRow>> revokeApiKey(PgConnection& conn, const std::string& name_or_id) {
  return firstRow(conn.exec(std::string("UPDATE api_keys SET revoked_at = now() WHERE revoked_at IS NULL AND "
                                        "(name = $1 OR id::text = lower($1)) RETURNING ") + kColumns,
                            {name_or_id}));
}

Result<std::optional<ApiKeyRow>> useApiKey(PgConnection& conn, const std::string& digest) {
  return firstRow(conn.exec(
      std::string("WITH live AS (SELECT * FROM api_keys WHERE digest = $1 AND revoked_at IS NULL), "
                  "touched AS (UPDATE api_keys k SET last_used_at = now() FROM live WHERE k.id = live.id "
                  "AND (live.last_used_at IS NULL OR live.last_used_at < now() - interval '1 minute') RETURNING 1) "
                  "SELECT ") + kColumns + " FROM live",
      {digest}));
}

Result<std::vector<std::pair<std::string, std::string>>> recipientIdsOf(PgConnection& conn, const std::string& message_id_header) {
  auto rows = conn.exec("SELECT lower(r.address), r.id::text FROM recipients r JOIN messages m ON m.id = r.message_id "
                        "WHERE m.message_id_header = $1 ORDER BY r.created_at, r.id",
                        {message_id_header});
  if (!rows) return makeError(rows.error());
  std::vector<std::pair<std::string, std::string>> ids;
  for (int row = 0; row < rows->rows(); ++row) ids.emplace_back(rows->get(row, 0), rows->get(row, 1));
  return ids;
}

}  // namespace waybill::store
