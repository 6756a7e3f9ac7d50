// SendResult: what became of one message a request asked for, before it is written in the
// request's dialect (api_responses.h): sent (with Postfix's verdict per recipient) or the error
// that stopped it, as an HTTP status and, for Postmark's clients, its ErrorCode.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "submitter.h"

namespace waybill::apid {

struct SendResult {
  int status = 202;            // 202 sent; 401, 403, 413, 422, 503 ...
  int postmark_code = 0;       // Postmark's ErrorCode: 0 sent, 10 bad key, 300 invalid, 406 inactive ...
  std::string field;           // the field an error is about, in the caller's terms; may be empty
  std::string message;         // what went wrong, for the caller
  std::string message_id;      // the Message-ID header, "<uuid@domain>"
  std::string uuid;            // its left side: Postmark's MessageID, SendGrid's X-Message-Id
  std::string submitted_at;    // ISO 8601, UTC
  std::vector<std::string> to;  // the To addresses, as Postmark's answer repeats them
  std::vector<RecipientVerdict> recipients;  // with their recipient ids once read back

  bool sent() const { return status == 202; }
  static SendResult error(int status, int postmark_code, std::string field, std::string message) {
    SendResult result;
    result.status = status;
    result.postmark_code = postmark_code;
    result.field = std::move(field);
    result.message = std::move(message);
    return result;
  }
};

}  // namespace waybill::apid
