// Reading a query's rows into values: the loop every listing and report query shares, and the
// all-text row of the operator's listings.
//
//   return mapRows(conn.exec("SELECT recipient, scope, ... FROM suppressions"), textRow<SuppressionListing, 6>);
//   return appendRows(data.days, conn.exec(...), [](const PgResult& rows, int r) { return DayVolume{...}; });
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "store/pg_connection.h"

namespace waybill {

// Appends row_of(result, row) for each row, or returns the query's error.
template <typename T, typename RowOf>
Status appendRows(std::vector<T>& into, const Result<PgResult>& result, RowOf row_of) {
  if (!result) return makeError(result.error());
  for (int row = 0; row < result->rows(); ++row) into.push_back(row_of(*result, row));
  return {};
}

// The rows as values made by row_of(result, row), or the query's error.
template <typename RowOf, typename Row = std::invoke_result_t<RowOf&, const PgResult&, int>>
Result<std::vector<Row>> mapRows(const Result<PgResult>& result, RowOf row_of) {
  std::vector<Row> rows;
  if (auto appended = appendRows(rows, result, row_of); !appended) return makeError(appended.error());
  return rows;
}

namespace pg_rows_detail {
template <typename Row, std::size_t... Column>
Row textRow(const PgResult& result, int row, std::index_sequence<Column...>) {
  return Row{std::string(result.get(row, static_cast<int>(Column)))...};
}
}  // namespace pg_rows_detail

// A row whose Columns columns are the std::string members of the aggregate Row, in order.
template <typename Row, std::size_t Columns>
Row textRow(const PgResult& result, int row) {
  return pg_rows_detail::textRow<Row>(result, row, std::make_index_sequence<Columns>{});
}

}  // namespace waybill
