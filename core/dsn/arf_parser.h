// ArfParser: reads an RFC 5965 message/feedback-report (a mailbox provider's complaint) into one
// RecipientResult per complained-about recipient, with reason "feedback" and its Feedback-Type.
#pragma once

#include <string_view>
#include <vector>

#include "dsn/bounce_report.h"
#include "dsn/mime_lite.h"

namespace waybill::dsn {

// report: the message/feedback-report part; original: the returned message's headers, if any.
std::vector<RecipientResult> parseFeedbackReport(std::string_view report, const MimeEntity* original);

}  // namespace waybill::dsn
