// The answers of waybill-apid in each dialect it speaks (docs/http-api.md):
// - native (/v1): 202 {"message_id", "recipients": [{"id", "message_id", "to", "status", "reply"}]},
//   errors {"error": {"status", "field", "message"}}, batches 200 {"results": [...]} item by item;
// - Postmark (/email*): 200 {"To", "SubmittedAt", "MessageID", "ErrorCode", "Message"}, errors the
//   same with their ErrorCode (HTTP 401, 403, 422, 503), batches a JSON array;
// - SendGrid (/v3/mail/send): 202 with an empty body and X-Message-Id, errors
//   {"errors": [{"message", "field", "help"}]}.
#pragma once

#include <string>
#include <vector>

#include "http_exchange.h"
#include "send_result.h"

namespace waybill::apid {

enum class Dialect { Native, Postmark, SendGrid };

// The dialect of a path: /email* is Postmark's, /v3/ SendGrid's, anything else native.
Dialect dialectOf(const std::string& path);

HttpResponse errorResponse(Dialect dialect, const SendResult& error);
HttpResponse singleResponse(Dialect dialect, const SendResult& result);
HttpResponse batchResponse(Dialect dialect, const std::vector<SendResult>& results);
// SendGrid: one request, several personalizations, one answer (the first failure, or 202).
HttpResponse sendGridResponse(const std::vector<SendResult>& results);

}  // namespace waybill::apid
