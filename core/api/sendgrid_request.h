// SendGrid's v3 mail send body (POST /v3/mail/send) as Submissions: each personalization is its
// own message with its own to/cc/bcc, subject, headers, dynamic_template_data, custom_args (-> metadata)
// and send_at (a Unix time), over the shared from, reply_to / reply_to_list, subject,
// content [{type, value}] (text/plain and text/html), attachments [{content, filename, type,
// disposition, content_id}], categories (-> tags), headers, custom_args, send_at, template_id and
// tracking_settings.{open,click}_tracking.enable. Other fields (asm, mail_settings, ip_pool_name,
// substitutions, ...) are ignored; null counts as absent.
//
//   auto messages = parseSendGridMail(body);   // FieldResult<std::vector<Submission>>
//   if (!messages) errors.push_back({messages.error().message, messages.error().field});
#pragma once

#include <string_view>
#include <vector>

#include "api/json_fields.h"
#include "api/submission.h"

namespace waybill::api {

// One request is all or nothing (SendGrid answers 400 for the whole request), so the result is
// every personalization's message or the first error.
FieldResult<std::vector<Submission>> parseSendGridMail(std::string_view body, const RequestLimits& limits = {});

}  // namespace waybill::api
