// The native API's request bodies (snake_case JSON) as Submissions.
//
// POST /v1/messages:
//   {"from": "Ann <ann@example.com>" | {"email": "...", "name": "..."},
//    "to" / "cc" / "bcc": an address or an array of them, "reply_to": the same,
//    "subject", "text", "html", "template", "template_data": {...},
//    "attachments": [{"filename", "content" (base64), "content_type", "content_id"}],
//    "headers": {"Name": "value"}, "tags": ["..."], "metadata": {"key": "value"},
//    "send_at": "2026-12-01T09:00:00Z", "track_opens": bool, "track_clicks": bool}
// Unknown fields are refused (a misspelt "reply-to" should not be silently dropped).
// POST /v1/messages/batch: {"messages": [message, ...]}, each item parsed on its own.
//
//   auto message = parseNativeMessage(body);   // FieldResult<Submission>
//   auto batch = parseNativeBatch(body);       // FieldResult<std::vector<FieldResult<Submission>>>
#pragma once

#include <string_view>
#include <vector>

#include "api/json_fields.h"
#include "api/submission.h"

namespace waybill::api {

FieldResult<Submission> parseNativeMessage(std::string_view body, const RequestLimits& limits = {});
// The whole batch fails only when the body or the "messages" array is unusable; an invalid item
// is reported at its index (its errors name fields relative to the item) and the others stand.
FieldResult<std::vector<FieldResult<Submission>>> parseNativeBatch(std::string_view body, const RequestLimits& limits = {});
// One message object already parsed from JSON.
FieldResult<Submission> readNativeMessage(const Json& message, const RequestLimits& limits);

}  // namespace waybill::api
