#include "store/suppression_store.h"

#include <fmt/format.h>

#include "store/pg_rows.h"

namespace waybill::store {
namespace {

constexpr const char* kListSuppressions =
    "SELECT recipient, scope, scope_value, reason, coalesce(source, ''), "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM suppressions";

}  // namespace

std::string insertSuppressionsSql(std::string_view select, Existing existing) {
  return fmt::format(
      "INSERT INTO suppressions (recipient, scope, scope_value, reason, source, details)\n{}\n"
      "ON CONFLICT (recipient, scope, scope_value) DO {}",
      select, existing == Existing::Keep ? "NOTHING" : "UPDATE SET reason = EXCLUDED.reason, source = EXCLUDED.source");
}

Status addSuppression(PgConnection& conn, const SuppressionRow& row, Existing existing) {
  static const std::string kKeep =
      insertSuppressionsSql("SELECT lower($1), $2, $3, $4, $5, COALESCE($6::jsonb, '{}'::jsonb)", Existing::Keep);
  static const std::string kReplace =
      insertSuppressionsSql("SELECT lower($1), $2, $3, $4, $5, COALESCE($6::jsonb, '{}'::jsonb)", Existing::Replace);
  auto done = conn.exec(existing == Existing::Keep ? kKeep : kReplace,
                        {row.recipient, row.scope, row.scope_value, row.reason, row.source, row.details_json});
  if (!done) return makeError(done.error());
  return {};
}

Result<bool> removeSuppression(PgConnection& conn, const std::string& recipient, const std::string& scope,
                               const std::string& scope_value) {
  auto done = conn.exec("DELETE FROM suppressions WHERE recipient = $1 AND scope = $2 AND scope_value = $3",
                        {recipient, scope, scope_value});
  if (!done) return makeError(done.error());
  return done->affected() != "0";
}

Result<std::vector<SuppressionListing>> listSuppressions(PgConnection& conn, const std::optional<std::string>& recipient) {
  const std::string sql = kListSuppressions;
  auto rows = recipient ? conn.exec(sql + " WHERE recipient = $1 ORDER BY scope, scope_value", {*recipient})
                        : conn.exec(sql + " ORDER BY recipient, scope, scope_value");
  return mapRows(rows, textRow<SuppressionListing, 6>);
}

}  // namespace waybill::store
