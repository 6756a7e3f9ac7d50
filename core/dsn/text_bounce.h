// TextBounce: reads bounces that carry no RFC 3464 structure (qmail, Exim, old Sendmail and
// Exchange, provider-specific texts). Finds the notification text (before the copy of the original
// message), the recipient addresses it names, and the diagnostic text that follows each one.
//
//   std::string text = notificationText(root);
//   for (RecipientResult& r : findTextRecipients(text)) ...   // recipient + diagnostic only
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dsn/bounce_report.h"
#include "dsn/mime_lite.h"

namespace waybill::dsn {

inline constexpr std::size_t kMaxNotificationText = 256 * 1024;

// The human-readable text of a bounce (text parts; HTML reduced to text), cut before the returned
// copy of the original message.
std::string notificationText(const MimeEntity& root);
// The recipients a bounce text names, in order, each with the text that follows it as diagnostic.
std::vector<RecipientResult> findTextRecipients(std::string_view notification);
// The paragraph of the text that names this address (to fill in an empty Diagnostic-Code).
std::string paragraphAbout(std::string_view notification, std::string_view address);
// Sendmail-style session transcripts: the reply lines about this address ("<<< 550 ...",
// "550 5.1.2 <a@b>... Host unknown", "<a@b>... Deferred: ..."), joined; empty when there are none.
std::string transcriptAbout(std::string_view notification, std::string_view address);
// The reply lines ("451 4.0.0 Operating system error") of a Sendmail transcript, whoever they are
// about; for a report on one recipient they are that recipient's.
std::string transcriptReplies(std::string_view notification);
// The first thing shaped like an addr-spec starting at or after pos in line; empty when none.
std::string addressAtStart(std::string_view line, std::size_t* end_out);

}  // namespace waybill::dsn
