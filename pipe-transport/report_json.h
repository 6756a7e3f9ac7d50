// ReportJson: one BounceReport as JSON — the `--classify-only` lines operators read and the
// `classification` column of pipe_messages. Every string taken from the message is made valid
// UTF-8 and bounded here (bounces quote arbitrary bytes), and dumpJson() cannot throw, so no
// byte of a hostile bounce reaches nlohmann's serializer unchecked.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "dsn/bounce_report.h"

namespace waybill::pipe {

// Valid UTF-8 of at most max bytes (NUL bytes dropped, invalid bytes U+FFFD, cut at a character).
std::string untrustedText(std::string_view text, std::size_t max);
// An address read out of a message: valid UTF-8, shortened past the RFC 5321 path length.
std::string untrustedAddress(std::string_view address);

nlohmann::json resultJson(const dsn::RecipientResult& result);
// One line per recipient result: recipient, action, status, replycode, reason, hardbounce, feedbacktype.
std::string classificationLines(const dsn::BounceReport& report);
nlohmann::json reportJson(const dsn::BounceReport& report);
// json.dump() that replaces invalid UTF-8 instead of throwing: the last guard, not the first.
std::string dumpJson(const nlohmann::json& value);

}  // namespace waybill::pipe
