// BounceClassifier: turns one recipient result's status code, SMTP reply code and diagnostic text
// into a reason from sisimai's vocabulary (userunknown, mailboxfull, blocked, ...) and a hard/soft
// class, so analysts see the labels they already know. Pure function of its input; no I/O.
//
//   RecipientResult r = ...;          // status "5.1.1", diagnostic "550 5.1.1 User unknown"
//   classifyRecipient(r);             // r.reason == "userunknown", r.hard_bounce == true
#pragma once

#include <string>
#include <string_view>

#include "dsn/bounce_report.h"

namespace waybill::dsn {

// The reason an RFC 3463 status code names on its own, empty when it names none.
std::string reasonForStatus(std::string_view status);
// True when the status code alone names a reason (5.1.1, 4.2.2, ...): such a code always decides,
// so a result that carries one is never `onhold`. x.0.0, sisimai's X.0.9NN and unknown codes do not.
bool isDecisiveStatus(std::string_view status);
// sisimai's retry list: reasons a decoder's verdict names only loosely (userunknown, expired,
// systemerror, ...), which the probes may still refine. Empty counts as on it.
bool isOnRetryList(std::string_view reason);
// The first reason whose phrases occur in the (lower-cased) diagnostic text, empty when none.
std::string reasonForText(std::string_view lower_text);
// Sets reason and hard_bounce (keeps a reason already set by a format-specific reader).
// mta_family: which MTA wrote the bounce (ReportingMta), so its own messages decide first;
// reporting_host: the host that wrote it, so a mailbox provider's rules apply to its own servers'
// reports. Either may be empty.
void classifyRecipient(RecipientResult& result, std::string_view mta_family = {}, std::string_view reporting_host = {});
// sisimai's rule: permanent for userunknown, hostunknown, hasmoved, and notaccept with a 5xx.
bool isHardBounce(std::string_view reason, std::string_view status, std::string_view reply_code);

}  // namespace waybill::dsn
