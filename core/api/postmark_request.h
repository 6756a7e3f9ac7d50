// Postmark's send API request bodies (https://postmarkapp.com/developer/api/email-api) as
// Submissions, so an application using Postmark's client libraries can switch to Waybill.
//
// POST /email: {"From": "Ann <ann@example.com>", "To": "a@x, \"B, Jr\" <b@y>", "Cc", "Bcc",
//   "ReplyTo", "Subject", "HtmlBody", "TextBody", "Tag", "Metadata": {...},
//   "Headers": [{"Name", "Value"}], "Attachments": [{"Name", "Content", "ContentType", "ContentID"}],
//   "TrackOpens": bool, "TrackLinks": "None" | "HtmlAndText" | "HtmlOnly" | "TextOnly",
//   "MessageStream"}
// POST /email/withTemplate: the same with "TemplateAlias" or "TemplateId" and "TemplateModel".
// POST /email/batch: a JSON array of /email bodies; /email/batchWithTemplates: {"Messages": [...]}.
// Fields Waybill has no use for (InlineCss, ...) are ignored, as a client library may send them;
// null counts as absent. Waybill tracks links in html and text alike, so any TrackLinks but
// "None" turns click tracking on.
#pragma once

#include <string_view>
#include <vector>

#include "api/json_fields.h"
#include "api/submission.h"

namespace waybill::api {

enum class PostmarkEndpoint { Email, WithTemplate };

FieldResult<Submission> parsePostmarkEmail(std::string_view body, const RequestLimits& limits = {});
FieldResult<Submission> parsePostmarkWithTemplate(std::string_view body, const RequestLimits& limits = {});
// Each item on its own: the batch fails only when the body or its array is unusable.
FieldResult<std::vector<FieldResult<Submission>>> parsePostmarkBatch(std::string_view body, const RequestLimits& limits = {});
FieldResult<std::vector<FieldResult<Submission>>> parsePostmarkBatchWithTemplates(std::string_view body,
                                                                                  const RequestLimits& limits = {});
FieldResult<Submission> readPostmarkMessage(const Json& message, PostmarkEndpoint endpoint, const RequestLimits& limits);

}  // namespace waybill::api
