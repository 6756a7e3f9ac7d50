// SummaryTable: the terminal side of `waybill report`: an aligned plain-text table of each
// sender's period totals (and their sum), the rates an operator watches, and the top bounce
// reasons. Pure formatting: ReportData in, text out.
//
//   fmt::print("{}", report::formatSummary(data));
#pragma once

#include <string>
#include <vector>

#include "report/report_data.h"

namespace waybill::report {

// Left-aligns the first column, right-aligns the others, pads to the widest cell of each column
// and puts a dashed rule under the header. Width counts UTF-8 code points.
std::string formatTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

std::string formatSummary(const ReportData& data);

}  // namespace waybill::report
