// DsnParser implementation: a line scanner over "Name: value" fields that starts a new recipient
// block at each Final-/Original-Recipient, so reports without blank lines still split correctly.
#include "dsn/dsn_parser.h"

#include <cctype>
#include <utility>

#include "dsn/mime_lite.h"
#include "text/line_reader.h"

namespace waybill::dsn {
namespace {

struct Field {
  std::string name;  // lower-case, without an "x-" prefix for a few known fields
  std::string value;
};

std::vector<Field> scanFields(std::string_view body) {
  std::vector<Field> fields;
  LineReader lines(body);
  for (std::string_view line; fields.size() < 20 * kMaxRecipientsPerReport && lines.next(line);) {
    if (line.empty()) {
      fields.push_back({"", ""});  // block separator
      continue;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !fields.empty() && !fields.back().name.empty()) {
      if (fields.back().value.size() < 8192) fields.back().value += " " + std::string(trimBlanks(line));
      continue;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 || line.substr(0, colon).find(' ') != std::string_view::npos) {
      continue;
    }
    fields.push_back({toLower(line.substr(0, colon)), std::string(trimBlanks(line.substr(colon + 1)))});
  }
  return fields;
}

bool isRecipientStart(const std::string& name) {
  return name == "final-recipient" || name == "original-recipient";
}

void applyField(RecipientResult& r, const Field& f) {
  // An X.400 gateway names the recipient as an O/R address ("Final-Recipient: x400; /RFC-822=a(a)b/
  // ADMD= /C=WW/"); the Original-Recipient beside it is the mailbox (RFC 2156 DSN mapping).
  auto prefer_mailbox = [&r] {
    if (r.recipient.find('@') == std::string::npos && r.original_recipient.find('@') != std::string::npos) {
      r.recipient = r.original_recipient;
    }
  };
  if (f.name == "final-recipient") {
    if (r.recipient.empty()) r.recipient = addressFromTypedField(f.value);
    prefer_mailbox();
  } else if (f.name == "original-recipient") {
    r.original_recipient = addressFromTypedField(f.value);
    if (!r.recipient.empty()) prefer_mailbox();
  } else if (f.name == "action") {
    r.action = toLower(trimBlanks(f.value.substr(0, f.value.find_first_of(" (;"))));
  } else if (f.name == "status") {
    r.status = findStatusCode(f.value);
    // "Status: 4.0.0 (host name lookup failure)": the comment is the only diagnostic some MTAs give.
    if (std::size_t paren = f.value.find('('); paren != std::string::npos && r.diagnostic.empty()) {
      r.diagnostic = std::string(trimBlanks(std::string_view(f.value).substr(paren)));
    }
    // "Status: 553 Exceeded maximum inbound message size" (NTMail): an SMTP reply where RFC 3464
    // wants an RFC 3463 code. It is the reply the message failed with, so it is read as the
    // diagnostic (its code the reply code) when no Diagnostic-Code gives one.
    std::string_view value = trimBlanks(f.value);
    if (r.status.empty() && r.diagnostic.empty() && value.size() >= 3 && value[0] >= '2' && value[0] <= '5' &&
        std::isdigit(static_cast<unsigned char>(value[1])) && std::isdigit(static_cast<unsigned char>(value[2])) &&
        (value.size() == 3 || value[3] == ' ' || value[3] == '\t' || value[3] == '-')) {
      r.diagnostic = std::string(value);
    }
  } else if (f.name == "diagnostic-code") {
    std::size_t semi = f.value.find(';');
    if (semi != std::string::npos && semi < 16) {
      r.diagnostic_type = toLower(trimBlanks(std::string_view(f.value).substr(0, semi)));
      r.diagnostic = std::string(trimBlanks(std::string_view(f.value).substr(semi + 1)));
    } else {
      r.diagnostic = f.value;
    }
  } else if (f.name == "x400-supplementary-info") {
    // RFC 2156's DSN extension field: an X.400 gateway's Diagnostic-Code is the X.400 reason and
    // diagnostic pair ("Reason 1 (Unable-To-Transfer); Diagnostic -1"); the words of the SMTP
    // server that refused the message come here ("MTA '192.0.2.1' gives error message 5.7.1 ...").
    std::string_view info = trimBlanks(f.value);
    if (info.size() >= 2 && info.front() == '"' && info.back() == '"') info = info.substr(1, info.size() - 2);
    if (!info.empty()) r.diagnostic += (r.diagnostic.empty() ? "" : " ") + std::string(info);
  } else if (f.name == "remote-mta") {
    r.remote_mta = addressFromTypedField(f.value);
  }
}

bool hasField(const RecipientResult& r, const std::string& name) {
  if (name == "final-recipient") return !r.recipient.empty();
  if (name == "original-recipient") return !r.original_recipient.empty();
  return false;
}

// Reply codes of RFC 5321 and its extensions; other numbers in a diagnostic are not reply codes.
bool isKnownReplyCode(std::string_view code) {
  static constexpr std::string_view kCodes[] = {
      "211", "214", "220", "221", "235", "250", "251", "252", "253", "421", "422", "430", "432", "450",
      "451", "452", "453", "454", "455", "458", "459", "500", "501", "502", "503", "504", "521", "523",
      "524", "525", "530", "533", "534", "535", "538", "541", "550", "551", "552", "553", "554", "555", "556", "557"};
  for (std::string_view known : kCodes) {
    if (code == known) return true;
  }
  return false;
}

}  // namespace

std::string addressFromTypedField(std::string_view value) {
  std::size_t semi = value.find(';');
  if (semi != std::string_view::npos && semi < 16) value = value.substr(semi + 1);
  value = trimBlanks(value);
  std::size_t lt = value.find('<');
  if (lt != std::string_view::npos) {
    std::size_t gt = value.find('>', lt);
    value = value.substr(lt + 1, gt == std::string_view::npos ? std::string_view::npos : gt - lt - 1);
  }
  std::size_t space = value.find_first_of(" \t(");
  if (space != std::string_view::npos) value = value.substr(0, space);
  // An RFC 821 source route ("@relay.example:user@example.org") names the mailbox last.
  if (std::size_t colon = value.rfind(':'); !value.empty() && value.front() == '@' && colon != std::string_view::npos) {
    value = value.substr(colon + 1);
  }
  return std::string(trimBlanks(value));
}

namespace {
// A software version written as "Version: 2.1.5" or "version 2.0.1" looks like a status code.
bool followsVersionLabel(std::string_view before) {
  while (!before.empty() && (before.back() == ' ' || before.back() == '\t' || before.back() == ':')) {
    before.remove_suffix(1);
  }
  if (before.size() < 7) return false;
  std::string tail = toLower(before.substr(before.size() - 7));
  return tail == "version";
}
}  // namespace

std::string findStatusCode(std::string_view text) {
  for (std::size_t i = 0; i + 4 < text.size(); ++i) {
    char cls = text[i];
    if ((cls != '2' && cls != '4' && cls != '5') || text[i + 1] != '.') continue;
    if (i > 0 && (std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '.')) continue;
    if (followsVersionLabel(text.substr(0, i))) continue;  // "X-Mailman-Version: 2.1.5", "version 2.0.1"
    std::size_t j = i + 2;
    std::size_t subject_start = j;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j])) && j - subject_start < 3) ++j;
    if (j == subject_start || j >= text.size() || text[j] != '.') continue;
    std::size_t detail_start = ++j;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j])) && j - detail_start < 3) ++j;
    if (j == detail_start) continue;
    if (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) ||
                            (text[j] == '.' && j + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[j + 1]))))) {
      continue;  // an IP address or version number, not a status code
    }
    return std::string(text.substr(i, j - i));
  }
  return {};
}

namespace {
bool hasZeroPart(std::string_view code) { return code.find(".0") != std::string_view::npos; }

// Of two codes a text quotes, the one that says more (RFC 3463): a class-only x.0.0 or a
// subject-only x.y.0 gives way to a code with a detail, as sisimai's status preference does.
std::string moreSpecific(const std::string& kept, const std::string& next) {
  if (kept == next) return kept;
  if (kept.find(".0.0") != std::string::npos) return next.find(".0.0") != std::string::npos ? kept : next;
  if (hasZeroPart(kept) && !hasZeroPart(next)) return next;
  return kept;
}
}  // namespace

std::string statusFromDiagnostic(std::string_view text) {
  std::string best;
  std::size_t offset = 0;
  while (offset < text.size()) {
    std::string code = findStatusCode(text.substr(offset));
    if (code.empty()) break;
    std::size_t at = text.find(code, offset);
    best = best.empty() ? code : moreSpecific(best, code);
    // Preceded by "NNN" and up to three separators (" ", "-", "'", "#", ":")?
    std::size_t p = at;
    int separators = 0;
    while (p > 0 && separators < 3 && std::string_view(" -'#:").find(text[p - 1]) != std::string_view::npos) {
      --p;
      ++separators;
    }
    if (separators > 0 && p >= 3 && std::isdigit(static_cast<unsigned char>(text[p - 1])) &&
        std::isdigit(static_cast<unsigned char>(text[p - 2])) && std::isdigit(static_cast<unsigned char>(text[p - 3])) &&
        (p == 3 || !std::isdigit(static_cast<unsigned char>(text[p - 4])))) {
      return code;
    }
    offset = at + code.size();
  }
  return best;
}

// Sendmail-style transcripts (">>> RCPT To:<...>" / "<<< 550 ..."): the command before the first error.
std::string commandInTranscript(std::string_view lower) {
  std::string last_command;
  LineReader lines(lower);
  for (std::string_view raw; lines.next(raw);) {
    std::string_view line = trimBlanks(raw);
    if (line.rfind(">>> ", 0) == 0) {
      std::string_view cmd = line.substr(4, 4);
      if (cmd == "rcpt") last_command = "RCPT";
      else if (cmd == "data" || cmd == ".") last_command = "DATA";
      else if (cmd == "mail") last_command = "MAIL";
      else if (cmd == "helo" || cmd == "ehlo") last_command = "HELO";
      else last_command.clear();
    } else if ((line.rfind("<<< 5", 0) == 0 || line.rfind("<<< 4", 0) == 0) && !last_command.empty()) {
      return last_command;
    }
  }
  return {};
}

std::string findSmtpCommand(std::string_view text) {
  static constexpr std::pair<std::string_view, std::string_view> kMarkers[] = {
      {"in reply to rcpt to command", "RCPT"}, {"after rcpt to", "RCPT"}, {"did not like our rcpt to", "RCPT"},
      {"after rcpt command", "RCPT"}, {"[rcpt_to]", "RCPT"}, {">>> rcpt to", "RCPT"}, {"in reply to end of data command", "DATA"},
      {"after end of data", "DATA"}, {"in reply to data command", "DATA"}, {"after data", "DATA"},
{"did not like our data", "DATA"}, {"after text command", "DATA"},
      {"for text command", "DATA"}, {"in reply to mail from command", "MAIL"}, {"after mail from", "MAIL"},
{"in reply to helo command", "HELO"}, {"in reply to ehlo command", "HELO"},
      {"after helo", "HELO"}, {"after ehlo", "HELO"}, {"after initial connection", "CONN"},
      // qmail-remote: "Connected to 192.0.2.1 but sender was rejected."
      {"but sender was rejected", "MAIL"}, {"but my name was rejected", "HELO"}, {"but greeting failed", "CONN"},
      // Postfix smtp(8): "host mx.example[192.0.2.1] refused to talk to me: 554 ..." is the
      // server's answer to the greeting (HELO stage), before any envelope command.
      {"refused to talk to me", "HELO"},
      // qmail-remote.c: "192.0.2.1 does not like recipient.", "... failed on DATA command.",
      // "... failed after I sent the message."
      {"does not like recipient.", "RCPT"}, {"failed on data command", "DATA"},
      {"failed after i sent the message", "DATA"},
      // "Technical details: SMTP:RCPT host 192.0.2.8: 553 ..." (the layout sisimai's X3 decoder reads)
      {"smtp:rcpt host", "RCPT"}, {"smtp:mail host", "MAIL"}, {"smtp:data host", "DATA"},
      {"while connected to", ""}};
  std::string lower = toLower(text);
  if (std::string in_transcript = commandInTranscript(lower); !in_transcript.empty()) return in_transcript;
  // Markers may be folded over lines ("(in reply to RCPT\n    TO command)"): compare on single spaces.
  std::string folded;
  folded.reserve(lower.size());
  for (char c : lower) {
    bool space = c == ' ' || c == '\n' || c == '\t';
    if (space && (folded.empty() || folded.back() == ' ')) continue;
    folded.push_back(space ? ' ' : c);
  }
  lower = std::move(folded);
  std::string command;
  std::size_t last = 0;
  for (const auto& [marker, name] : kMarkers) {
    std::size_t at = lower.rfind(marker);
    if (at != std::string::npos && (command.empty() || at >= last) && !name.empty()) {
      command = std::string(name);
      last = at;
    }
  }
  return command;
}

std::string commandForRecipient(std::string_view text, std::string_view address) {
  if (address.empty() || text.find(">>> ") == std::string_view::npos) return {};  // no transcript
  std::string lower = toLower(text.substr(0, 256 * 1024));
  std::string needle = ">>> rcpt to:<" + toLower(address) + ">";
  std::size_t at = lower.find(needle);
  if (at == std::string::npos) return {};
  std::size_t next = lower.find('\n', at);
  if (next == std::string::npos) return {};
  std::string_view reply = trimBlanks(std::string_view(lower).substr(next + 1, 8));
  return reply.rfind("<<< 5", 0) == 0 || reply.rfind("<<< 4", 0) == 0 ? "RCPT" : "";
}

static std::string firstReplyCode(std::string_view text, bool negative_only) {
  for (std::size_t i = 0; i + 3 <= text.size(); ++i) {
    char c = text[i];
    if ((c != '2' || negative_only) && c != '4' && c != '5') continue;
    // "CODE :550" (a label, a space, a colon) introduces a code; "12:550" or "host:550" does not.
    bool labelled = i > 1 && text[i - 1] == ':' && text[i - 2] == ' ';
    if (i > 0 && !labelled && (std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '.' ||
                               text[i - 1] == '-' || text[i - 1] == ':' || text[i - 1] == '/' || text[i - 1] == '#')) {
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(text[i + 1])) || !std::isdigit(static_cast<unsigned char>(text[i + 2]))) continue;
    char after = i + 3 < text.size() ? text[i + 3] : ' ';
    if (std::string_view(" -\n\t]):,").find(after) == std::string_view::npos) continue;
    std::string_view code = text.substr(i, 3);
    if (!isKnownReplyCode(code)) continue;
    return std::string(code);
  }
  return {};
}

std::string findReplyCode(std::string_view text) { return firstReplyCode(text, false); }

std::string findFailureReplyCode(std::string_view text) { return firstReplyCode(text, true); }

// A queue id is 6..32 letters and digits; anything else is not one (the field is kept empty).
static std::string queueIdField(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r')) value.remove_suffix(1);
  if (value.size() < 6 || value.size() > 32) return "";
  for (char c : value)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return "";
  return std::string(value);
}

// The same Final-Recipient again right after itself (an MTA that reports each pass of an alias
// loop) is one recipient, as decoders read it (sisimai starts a new record only when the address
// changes): the first block's fields stand, later ones fill what it left empty.
static void addRecipient(DeliveryStatusFields& out, RecipientResult current) {
  if (!out.recipients.empty() && !current.recipient.empty() &&
      toLower(out.recipients.back().recipient) == toLower(current.recipient)) {
    RecipientResult& first = out.recipients.back();
    for (auto field : {&RecipientResult::original_recipient, &RecipientResult::action, &RecipientResult::status,
                       &RecipientResult::diagnostic_type, &RecipientResult::remote_mta}) {
      if ((first.*field).empty()) first.*field = current.*field;
    }
    if (first.diagnostic.find(current.diagnostic) == std::string::npos && first.diagnostic.size() < 4096) {
      first.diagnostic += (first.diagnostic.empty() ? "" : " ") + current.diagnostic;
    }
    return;
  }
  if (out.recipients.size() < kMaxRecipientsPerReport) out.recipients.push_back(std::move(current));
}

DeliveryStatusFields parseDeliveryStatus(std::string_view body) {
  DeliveryStatusFields out;
  std::vector<Field> fields = scanFields(body);
  fields.push_back({"", ""});
  // Fields are grouped in blank-line separated blocks; a block may hold several recipients when
  // the blank lines are missing, so a repeated recipient field also starts a new recipient.
  std::vector<Field> block;
  auto flushBlock = [&] {
    RecipientResult current;
    bool has_recipient_fields = false;
    for (const Field& f : block) {
      if (f.name == "reporting-mta" && out.reporting_mta.empty()) out.reporting_mta = addressFromTypedField(f.value);
      if (f.name == "x-postfix-queue-id" && out.queue_id.empty()) out.queue_id = queueIdField(f.value);
      if (isRecipientStart(f.name) && hasField(current, f.name)) {
        addRecipient(out, current);
        current = RecipientResult{};
      }
      has_recipient_fields |= isRecipientStart(f.name) || f.name == "action" || f.name == "status";
      applyField(current, f);
    }
    if (has_recipient_fields && !(current.action.empty() && current.status.empty() && current.recipient.empty())) {
      if (current.recipient.empty()) current.recipient = current.original_recipient;
      addRecipient(out, current);
    }
    block.clear();
  };
  for (Field& f : fields) {
    if (f.name.empty()) {
      flushBlock();
    } else {
      block.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace waybill::dsn
