#include "postfix/delivery_log_line.h"

#include <array>
#include <cctype>

namespace waybill::postfix {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isAlnum(char c) { return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Reads exactly `width` digits at text[pos]; false (pos unchanged) otherwise.
bool readNumber(std::string_view text, std::size_t& pos, std::size_t width, int& out) {
  if (pos + width > text.size()) return false;
  int value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    if (!isDigit(text[pos + i])) return false;
    value = value * 10 + (text[pos + i] - '0');
  }
  out = value;
  pos += width;
  return true;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

// hh:mm:ss[.f{1,9}] — fractions beyond microseconds are dropped.
bool readClock(std::string_view text, std::size_t& pos, LogTimestamp& t) {
  if (!readNumber(text, pos, 2, t.hour) || !expect(text, pos, ':') || !readNumber(text, pos, 2, t.minute) ||
      !expect(text, pos, ':') || !readNumber(text, pos, 2, t.second))
    return false;
  if (t.hour > 23 || t.minute > 59 || t.second > 60) return false;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    int micro = 0;
    while (pos < text.size() && isDigit(text[pos]) && digits < 9) {
      if (digits < 6) micro = micro * 10 + (text[pos] - '0');
      ++pos;
      ++digits;
    }
    if (digits == 0) return false;
    for (int i = digits; i < 6; ++i) micro *= 10;
    t.microsecond = micro;
  }
  return true;
}

std::optional<LogTimestamp> parseRfc3164(std::string_view text, std::size_t& consumed) {
  static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (text.size() < 15) return std::nullopt;
  LogTimestamp t;
  int month = 0;
  while (month < 12 && text.substr(0, 3) != kMonths[static_cast<std::size_t>(month)]) ++month;
  if (month == 12 || text[3] != ' ') return std::nullopt;
  t.month = month + 1;
  std::size_t pos = 4;
  if (text[pos] == ' ') ++pos;  // "Dec  1": the day is space-padded
  if (!isDigit(text[pos])) return std::nullopt;
  t.day = text[pos++] - '0';
  if (pos < text.size() && isDigit(text[pos])) t.day = t.day * 10 + (text[pos++] - '0');
  if (t.day < 1 || t.day > 31 || !expect(text, pos, ' ') || !readClock(text, pos, t)) return std::nullopt;
  consumed = pos;
  return t;
}

// YYYY-MM-DDThh:mm:ss[.f](Z|+hh:mm|+hhmm)
std::optional<LogTimestamp> parseIso8601(std::string_view text, std::size_t& consumed) {
  LogTimestamp t;
  std::size_t pos = 0;
  if (!readNumber(text, pos, 4, t.year) || !expect(text, pos, '-') || !readNumber(text, pos, 2, t.month) ||
      !expect(text, pos, '-') || !readNumber(text, pos, 2, t.day))
    return std::nullopt;
  // Years PostgreSQL and the reader agree on: a line from year 0 must not stop the reader.
  if (t.year < 1970 || t.year > 9000 || t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31) return std::nullopt;
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != ' ')) return std::nullopt;
  ++pos;
  if (!readClock(text, pos, t)) return std::nullopt;
  t.has_year = true;
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
    t.has_offset = true;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos++] == '-' ? -1 : 1;
    int hours = 0, minutes = 0;
    if (!readNumber(text, pos, 2, hours)) return std::nullopt;
    if (pos < text.size() && text[pos] == ':') ++pos;
    if (!readNumber(text, pos, 2, minutes) || hours > 23 || minutes > 59) return std::nullopt;
    t.has_offset = true;
    t.utc_offset_minutes = sign * (hours * 60 + minutes);
  }
  consumed = pos;
  return t;
}

// "program[pid]: " — the program may hold slashes (postfix/smtp, postfix/submission/smtpd).
bool readProgram(std::string_view text, std::size_t& pos, DeliveryLogLine& out) {
  const std::size_t start = pos;
  while (pos < text.size() && text[pos] != '[' && text[pos] != ' ' && text[pos] != ':') ++pos;
  if (pos == start || pos >= text.size() || text[pos] != '[') return false;
  out.program = std::string(text.substr(start, pos - start));
  const std::size_t slash = out.program.rfind('/');
  out.agent = slash == std::string::npos ? out.program : out.program.substr(slash + 1);
  ++pos;
  const std::size_t digits = pos;
  while (pos < text.size() && isDigit(text[pos])) ++pos;
  if (pos == digits || !expect(text, pos, ']') || !expect(text, pos, ':') || !expect(text, pos, ' ')) return false;
  return !out.agent.empty();
}

bool readQueueId(std::string_view text, std::size_t& pos, DeliveryLogLine& out) {
  const std::size_t start = pos;
  while (pos < text.size() && isAlnum(text[pos])) ++pos;
  if (!isPostfixQueueId(text.substr(start, pos - start))) return false;
  out.queue_id = std::string(text.substr(start, pos - start));
  return expect(text, pos, ':') && expect(text, pos, ' ');
}

// "<address>" up to the '>' that ends the field: outside a quoted local part ("a>, b"@x), and
// followed by ", " or the end of the line.
bool readAngleValue(std::string_view text, std::size_t& pos, std::string& out) {
  if (!expect(text, pos, '<')) return false;
  const std::size_t start = pos;
  bool quoted = false;
  for (std::size_t i = pos; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted && c == '\\') {
      ++i;  // an escaped character inside quotes
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == '>' && !quoted && (i + 1 == text.size() || text.substr(i + 1, 2) == ", ")) {
      out = std::string(text.substr(start, i - start));
      pos = i + 1;
      return true;
    }
  }
  return false;
}

// relay=host[address]:port, relay=local, relay=none, relay=private/dovecot-lmtp ...
void splitRelay(DeliveryLogLine& out) {
  const std::size_t open = out.relay.find('[');
  const std::size_t close = out.relay.rfind(']');
  if (open == std::string::npos || close == std::string::npos || close < open) {
    out.relay_host = out.relay;
    return;
  }
  out.relay_host = out.relay.substr(0, open);
  out.relay_address = out.relay.substr(open + 1, close - open - 1);
  if (close + 1 < out.relay.size() && out.relay[close + 1] == ':') out.relay_port = out.relay.substr(close + 2);
}

std::optional<DeliveryStatus> statusFromWord(std::string_view word) {
  if (word == "sent") return DeliveryStatus::Sent;
  if (word == "deferred") return DeliveryStatus::Deferred;
  if (word == "bounced") return DeliveryStatus::Bounced;
  if (word == "expired") return DeliveryStatus::Expired;
  return std::nullopt;  // deliverable / undeliverable (address probes) and anything else
}

// status=WORD[ (reply)] — the reply runs to the last ')' (remote replies hold parentheses).
bool readStatus(std::string_view text, std::size_t pos, DeliveryLogLine& out) {
  std::size_t end = pos;
  while (end < text.size() && text[end] >= 'a' && text[end] <= 'z') ++end;
  auto status = statusFromWord(text.substr(pos, end - pos));
  if (!status) return false;
  out.status = *status;
  if (end + 1 < text.size() && text[end] == ' ' && text[end + 1] == '(') {
    const std::size_t close = text.rfind(')');
    if (close != std::string_view::npos && close > end + 1) out.reply = std::string(text.substr(end + 2, close - end - 2));
  }
  return true;
}

// The comma-separated key=value fields before status=.
bool readFields(std::string_view text, std::size_t pos, DeliveryLogLine& out) {
  while (pos < text.size()) {
    const std::size_t equals = text.find('=', pos);
    if (equals == std::string_view::npos) return false;
    const std::string_view key = text.substr(pos, equals - pos);
    pos = equals + 1;
    if (key == "status") return readStatus(text, pos, out);
    if (key == "to" || key == "orig_to" || key == "from") {
      std::string& target = key == "to" ? out.to : key == "orig_to" ? out.orig_to : out.from;
      if (!readAngleValue(text, pos, target)) return false;
    } else {
      const std::size_t comma = text.find(", ", pos);
      if (comma == std::string_view::npos) return false;
      const std::string value(text.substr(pos, comma - pos));
      if (key == "relay") out.relay = value;
      else if (key == "delay") out.delay = value;
      else if (key == "delays") out.delays = value;
      else if (key == "dsn") out.dsn = value;
      pos = comma;  // other fields (conn_use, size, nrcpt, ...) are skipped
    }
    if (!expect(text, pos, ',') || !expect(text, pos, ' ')) return false;
  }
  return false;
}

constexpr std::string_view kQueueActive = " (queue active)";

// qmgr's "from=<sender>, size=N, nrcpt=N (queue active)", after the queue id.
bool readQueueActive(std::string_view text, std::size_t pos, DeliveryLogLine& out) {
  if (out.agent != "qmgr" || text.substr(pos, 5) != "from=") return false;
  pos += 5;
  if (!readAngleValue(text, pos, out.from)) return false;
  const std::size_t end = text.size() - kQueueActive.size();  // the caller saw the suffix
  if (pos > end) return false;
  const std::string_view rest = text.substr(pos, end - pos);
  if (!rest.starts_with(", size=") || rest.find(", nrcpt=") == std::string_view::npos) return false;
  out.status = DeliveryStatus::Queued;
  return true;
}

}  // namespace

const char* deliveryStatusName(DeliveryStatus status) {
  switch (status) {
    case DeliveryStatus::Sent: return "sent";
    case DeliveryStatus::Deferred: return "deferred";
    case DeliveryStatus::Bounced: return "bounced";
    case DeliveryStatus::Expired: return "expired";
    case DeliveryStatus::Queued: return "queued";
  }
  return "sent";
}

bool isPostfixQueueId(std::string_view text) {
  // Short ids are 6+ upper-case hex digits; long ids (enable_long_queue_ids) are up to ~17
  // characters of [0-9A-Za-z]. "NOQUEUE" is what smtpd logs for a rejected transaction.
  if (text.size() < 6 || text.size() > 32 || text == "NOQUEUE") return false;
  for (char c : text)
    if (!isAlnum(c)) return false;
  return true;
}

std::optional<LogTimestamp> parseLogTimestamp(std::string_view text, std::size_t& consumed) {
  if (!text.empty() && isDigit(text[0])) return parseIso8601(text, consumed);
  return parseRfc3164(text, consumed);
}

std::optional<DeliveryLogLine> parseDeliveryLogLine(std::string_view line) {
  if (line.size() > kMaxLogLineBytes) return std::nullopt;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  // Cheap rejection first: most log lines are not delivery attempts.
  const bool queue_active = line.ends_with(kQueueActive);
  if (!queue_active && line.find("status=") == std::string_view::npos) return std::nullopt;
  DeliveryLogLine out;
  std::size_t pos = 0;
  auto time = parseLogTimestamp(line, pos);
  if (!time || !expect(line, pos, ' ')) return std::nullopt;
  out.time = *time;
  const std::size_t host_start = pos;
  while (pos < line.size() && line[pos] != ' ') ++pos;
  if (pos == host_start || !expect(line, pos, ' ')) return std::nullopt;
  out.host = std::string(line.substr(host_start, pos - host_start - 1));
  if (!readProgram(line, pos, out) || !readQueueId(line, pos, out)) return std::nullopt;
  if (queue_active) return readQueueActive(line, pos, out) ? std::optional(out) : std::nullopt;
  if (!readFields(line, pos, out)) return std::nullopt;
  // A per-recipient attempt names its recipient; only the whole-file expiry names the sender.
  if (out.status != DeliveryStatus::Expired && out.to.empty()) return std::nullopt;
  splitRelay(out);
  return out;
}

}  // namespace waybill::postfix
