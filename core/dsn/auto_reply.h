// AutoReply: recognises RFC 3834 automatic replies (out-of-office, vacation) so they are recorded
// but never counted as bounces, and bounce notices so they are never mistaken for replies.
#pragma once

#include "dsn/mime_lite.h"

namespace waybill::dsn {

// True for a message that declares itself an automatic reply (Auto-Submitted: auto-replied,
// X-Autoreply, Precedence: auto_reply, "Out of Office"/"Automatic reply" subjects).
bool isAutoReply(const MimeEntity& root);
// True when headers say a mail system wrote it (MAILER-DAEMON, postmaster, bounce subjects).
bool looksLikeBounceNotice(const MimeEntity& root);

}  // namespace waybill::dsn
