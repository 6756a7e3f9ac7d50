// ArfParser: reads an RFC 5965 message/feedback-report (a mailbox provider's complaint) into one
// RecipientResult per complained-about recipient, with reason "feedback" and its Feedback-Type.
#pragma once

#include <string_view>
#include <vector>

#include "dsn/bounce_report.h"
#include "dsn/mime_lite.h"

namespace waybill::dsn {

// report: the message/feedback-report part; original: the returned message's headers, if any.
// The feedback report of a complaint, decided by structure (RFC 5965): the message/feedback-report
// part; else, in a multipart/report with report-type=feedback-report or in a message whose body
// is the report itself, the first text part whose fields open with Feedback-Type (providers that
// label the part text/plain). Null when the message is no complaint.
const MimeEntity* findFeedbackReport(const MimeEntity& root);
std::vector<RecipientResult> parseFeedbackReport(std::string_view report, const MimeEntity* original);
// Hotmail's own complaint format (its Junk Mail Reporting Program, before it used ARF): from
// staff@hotmail.com, subject "complaint about message from <ip>", multipart/mixed holding the
// reported message, whose X-HmXmrOriginalRecipient header names the recipient. Empty when the
// message is not one.
std::vector<RecipientResult> parseHotmailComplaint(const MimeEntity& root, const MimeEntity* original);

}  // namespace waybill::dsn
