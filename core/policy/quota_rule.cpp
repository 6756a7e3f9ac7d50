#include "policy/quota_rule.h"

#include <fmt/format.h>

#include <charconv>

#include "mail/address.h"

namespace waybill::policy {
namespace {

Result<std::chrono::seconds> parseWindow(std::string_view text) {
  if (text == "minute") return std::chrono::seconds(60);
  if (text == "hour") return std::chrono::seconds(3600);
  if (text == "day") return std::chrono::seconds(86400);
  // "Ns": any number of seconds, for short windows (and tests that watch a window roll).
  std::uint64_t seconds = 0;
  if (text.size() > 1 && text.back() == 's') {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, seconds);
    if (ec == std::errc() && end == text.data() + text.size() - 1 && seconds > 0 && seconds <= 86400 * 31)
      return std::chrono::seconds(static_cast<std::int64_t>(seconds));
  }
  return makeError(fmt::format("window '{}' is not minute, hour, day or a number of seconds like 30s", text));
}

}  // namespace

bool QuotaRule::appliesTo(std::string_view value) const {
  return !value.empty() && (match == "*" || equalsIgnoreCase(match, value));
}

std::string QuotaRule::describe() const {
  const auto seconds = window.count();
  const std::string per = seconds == 60 ? "minute" : seconds == 3600 ? "hour" : seconds == 86400 ? "day"
                                                                                                 : fmt::format("{} s", seconds);
  return fmt::format("{} messages per {} for {}", limit, per,
                     subject == Subject::SaslUser ? "each SASL user" : "each sender domain");
}

Result<QuotaRule> parseQuotaRule(std::string_view text) {
  const auto error = [&](std::string_view why) {
    return makeError(fmt::format("quota '{}': {} (expected e.g. 'sasl:* 100/hour' or 'domain:example.com 10/minute')",
                                 text, why));
  };
  const auto colon = text.find(':');
  const auto space = text.find(' ');
  const auto slash = text.rfind('/');
  if (colon == std::string_view::npos || space == std::string_view::npos || slash == std::string_view::npos ||
      !(colon < space && space < slash))
    return error("not SUBJECT:MATCH LIMIT/WINDOW");
  QuotaRule rule;
  const auto kind = text.substr(0, colon);
  if (kind == "sasl") rule.subject = QuotaRule::Subject::SaslUser;
  else if (kind == "domain") rule.subject = QuotaRule::Subject::SenderDomain;
  else return error("subject must be sasl or domain");
  rule.match = toLower(text.substr(colon + 1, space - colon - 1));
  if (rule.match.empty()) return error("empty match");
  auto count = text.substr(space + 1, slash - space - 1);
  while (!count.empty() && count.front() == ' ') count.remove_prefix(1);
  auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), rule.limit);
  if (ec != std::errc() || end != count.data() + count.size()) return error("limit is not a number");
  auto window = parseWindow(text.substr(slash + 1));
  if (!window) return error(window.error());
  rule.window = *window;
  return rule;
}

}  // namespace waybill::policy
