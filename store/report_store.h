// ReportStore: the queries of `waybill report` over the reporting views and functions
// (sql/migrations/0006 and later). The period is resolved once to concrete UTC days, so every
// query and the page agree; what the report shows and how is decided in core/report and the CLI.
#pragma once

#include <string>

#include "report/report_data.h"
#include "store/pg_connection.h"
#include "util/result.h"

namespace waybill::store {

// "Nd" -> N days before today (UTC); "YYYY-MM-DD" -> that day: an SQL expression built from the
// parsed value only, so SQL never sees the operator's raw text.
Result<std::string> reportDayExpression(const std::string& text, bool allow_relative);
// The default end of a period: tomorrow (UTC), so today is included.
std::string reportTomorrowExpression();

// Sets data.since, data.until and data.generated_at from the two day expressions above.
Status resolveReportPeriod(PgConnection& conn, const std::string& since, const std::string& until,
                           report::ReportData& data);
// Fills the report's numbers for data's period and sender filter.
Status readReport(PgConnection& conn, report::ReportData& data);

}  // namespace waybill::store
