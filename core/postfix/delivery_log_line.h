// DeliveryLogLine: one delivery attempt as Postfix logs it — the `status=` line a delivery agent
// (smtp, lmtp, local, pipe, virtual, error, discard, ...) writes per recipient, and the queue
// manager's `status=expired` line. waybill-logd turns each into a delivered/deferred/bounced event.
// Also the queue manager's `from=<...>, size=..., nrcpt=... (queue active)` line (status Queued,
// no recipient): proof that the queue file was committed, which settles a per-recipient copy
// whose SMTP answer was lost.
//
//   auto line = parseDeliveryLogLine(
//       "Dec  1 21:49:36 mx postfix/smtp[123]: 4Q1b2c3D4fz5: to=<a@example.com>, relay=mx.example.com"
//       "[192.0.2.1]:25, delay=0.5, delays=0.1/0/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok)");
//   if (line) use(line->queue_id, line->to, line->status, line->reply);
//
// Log lines are untrusted text (a remote server's reply is quoted in them): parsing is total,
// never reads past the input, and gives up (nullopt) on lines longer than kMaxLogLineBytes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace waybill::postfix {

inline constexpr std::size_t kMaxLogLineBytes = 16384;

enum class DeliveryStatus { Sent, Deferred, Bounced, Expired, Queued };

const char* deliveryStatusName(DeliveryStatus status);  // sent | deferred | bounced | expired | queued

// The line's time as written. RFC 3164 prefixes carry no year and no zone (has_year false,
// has_offset false: local time of the logging host); ISO 8601 ones (rsyslog, journald exports)
// carry both.
struct LogTimestamp {
  int year = 0;  // 0 when the prefix has none
  int month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int microsecond = 0;
  bool has_year = false;
  bool has_offset = false;
  int utc_offset_minutes = 0;
};

struct DeliveryLogLine {
  LogTimestamp time;
  std::string host;
  std::string program;  // as logged: "postfix/smtp", "postfix-out/smtp" (multi-instance)
  std::string agent;    // the last part: "smtp", "lmtp", "local", "pipe", "qmgr", ...
  std::string queue_id; // short (3F2A21C0A5) or long (4Q1b2c3D4fz5) form
  std::string to;       // without <>; empty for status=expired (whole queue file)
  std::string orig_to;
  std::string from;     // status=expired and queue active lines name the sender instead
  std::string relay;    // as logged: "mx.example.com[192.0.2.1]:25", "local", "none", ...
  std::string relay_host;
  std::string relay_address;
  std::string relay_port;
  std::string delay;    // seconds, as logged
  std::string delays;   // a/b/c/d, as logged
  std::string dsn;      // RFC 3463 code
  DeliveryStatus status = DeliveryStatus::Sent;
  std::string reply;    // the text in parentheses after status= (remote reply or agent's note)
};

std::optional<DeliveryLogLine> parseDeliveryLogLine(std::string_view line);

// Separate parts, for tests and callers that need them.
std::optional<LogTimestamp> parseLogTimestamp(std::string_view text, std::size_t& consumed);
bool isPostfixQueueId(std::string_view text);

}  // namespace waybill::postfix
