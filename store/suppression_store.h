// SuppressionStore: the one writer of `suppressions`, and the operator's reads and removals.
// Every row's trigger tells each waybill-policyd and milter (sql/migrations/0013), so a write here
// reaches every SuppressionFeed within a second.
//
// The one rule: a recipient is suppressed once per (recipient, scope, scope_value) — the table's
// unique key. An automatic source (a bounce, a complaint, an unsubscription) that finds the key
// already there changes nothing: the first reason and its details stay. Only the operator's
// explicit `waybill suppress add` replaces the reason (Existing::Replace): they are correcting it.
//
//   addSuppression(conn, {.recipient = "b@y.test", .scope = "global", .reason = "hard_bounce", .source = "pipe"});
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/pg_connection.h"
#include "util/result.h"

namespace waybill::store {

enum class Existing {
  Keep,     // automatic sources: the first suppression of a key stays as it was
  Replace,  // the operator: reason and source become theirs
};

struct SuppressionRow {
  std::string recipient;  // lower-cased by the writer
  std::string scope;      // sender | domain | global
  std::string scope_value;
  std::string reason;
  std::string source;                       // pipe, trackd, cli, ...
  std::optional<std::string> details_json{};  // unset: '{}'
};

Status addSuppression(PgConnection& conn, const SuppressionRow& row, Existing existing = Existing::Keep);

// The same INSERT for a statement that computes its rows (trackd's batch): `select` is a whole
// query returning recipient, scope, scope_value, reason, source, details.
std::string insertSuppressionsSql(std::string_view select, Existing existing = Existing::Keep);

// True when there was such a suppression.
Result<bool> removeSuppression(PgConnection& conn, const std::string& recipient, const std::string& scope,
                               const std::string& scope_value);

struct SuppressionListing {
  std::string recipient, scope, scope_value, reason, source, since;  // since: UTC, ISO 8601
};
// Every suppression, or those of one recipient (already lower-case).
Result<std::vector<SuppressionListing>> listSuppressions(PgConnection& conn, const std::optional<std::string>& recipient);

}  // namespace waybill::store
