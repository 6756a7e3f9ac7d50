// SesNotification: Amazon SES event notifications (Bounce, Complaint, Delivery) that arrive as
// JSON in the body of an SNS email, so applications routing SES feedback by mail get the same
// events as from DSNs and ARF reports.
#pragma once

#include <optional>
#include <string_view>

#include "dsn/bounce_report.h"

namespace waybill::dsn {

// The report for an SES notification body, or nullopt when the text is not one.
std::optional<BounceReport> readSesNotification(std::string_view text);

}  // namespace waybill::dsn
