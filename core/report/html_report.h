// HtmlReport: `waybill report --html FILE` as one self-contained page: inline CSS and inline SVG
// charts (delivery funnel, daily volumes, bounce reasons) and the totals table. No script, no
// external file, no web font, so it opens offline and in mail clients' previews alike.
//
//   std::ofstream(path) << report::renderHtml(data);
#pragma once

#include <string>
#include <string_view>

#include "report/report_data.h"
#include "text/html_escape.h"

namespace waybill::report {

std::string funnelChartSvg(const SenderTotals& all);
std::string dailyVolumeChartSvg(const std::vector<DayVolume>& days);
std::string bounceReasonChartSvg(const std::vector<BounceReason>& reasons);

std::string renderHtml(const ReportData& data);

}  // namespace waybill::report
