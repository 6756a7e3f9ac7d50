// ReportJson: one BounceReport as JSON — the `--classify-only` lines operators read and the
// `classification` column of pipe_messages.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "dsn/bounce_report.h"

namespace waybill::pipe {

nlohmann::json resultJson(const dsn::RecipientResult& result);
// One line per recipient result: recipient, action, status, replycode, reason, hardbounce, feedbacktype.
std::string classificationLines(const dsn::BounceReport& report);
nlohmann::json reportJson(const dsn::BounceReport& report);

}  // namespace waybill::pipe
