// ReportingMta: which mail system wrote a bounce (postfix, exim, sendmail, qmail, exchange, gmail,
// ...), read from its structure first (its own header fields, the Diagnostic-Type it uses) and
// then from the fixed sentences each one opens its notice with. The reader uses it to pick the
// layout of recipients, status and diagnostic; tests report agreement per family.
//
//   std::string_view mta = detectReportingMta(root, notificationText(root));  // "exim"
#pragma once

#include <string_view>

#include "dsn/mime_lite.h"

namespace waybill::dsn {

// A short lower-case family name, empty when no rule recognises the writer.
std::string_view detectReportingMta(const MimeEntity& root, std::string_view notification);
// True for a system whose fixed sentences stand apart from the recipient's line (EZweb writes "The
// user(s) account is disabled." above it): its verdicts are read in the whole notice.
bool readsWholeNotice(std::string_view family);

}  // namespace waybill::dsn
