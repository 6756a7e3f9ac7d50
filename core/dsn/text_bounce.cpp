// TextBounce implementation: line-oriented heuristics. A recipient line starts with an address
// (optionally after a bullet, quote or angle bracket, or a label such as "Recipient:"); the
// diagnostic is what follows up to the next recipient line.
#include "dsn/text_bounce.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "dsn/dsn_parser.h"
#include "text/line_reader.h"

namespace waybill::dsn {
namespace {

// Lines after which the bounce quotes the original message (lower-case prefixes after trimming).
// The second group is where sisimai's fallback decoder (Sisimai::RFC3464) stops reading a notice
// of an unknown layout: the returned message's first header lines (Return-Path is the first one a
// final delivery adds, RFC 5321 4.4; Received lines come next) and the sentences that introduce it.
constexpr std::array<std::string_view, 36> kOriginalMessageMarkers = {
    "--- below this line is a copy of the message", "------ this is a copy of the message",
    "----- original message -----", "below is a copy of the original message",
    "------ original message", "--- original message", "original message follows",
    "----- the following is a copy of the message",
    "------ a copy of the message", "----- original message follows", "-----original message-----",
    "--- the header of the original message", "------ received message",
    "message headers follow", "   ----- original message",
    "content-type: message/rfc822", "the text you sent follows:", "--- 以下",
    "----- the header of the original message", "original message header:",
    "---------- forwarded message", "----- message header follows", "----- unsent message follows",
    "a copy of the original message below this line:",
    "here is a copy of the first part of the message", "the non-delivered message is attached to this message",
    "below this line is a copy of the message", "message text follows:", "unsent message below",
    "your message reads (in part):", "the attachment contains the original mail headers",
    "-- the header and top ",
    "|------------------------- message text follows",  // Smail 3 (after its log and failed addresses)
    "--------unsent message below",                     // phquery (Yale's directory mailer)
    "------- returned message",                         // Lotus/HCL Notes
    "original mail as follows:",                        // fml (mailing list manager)
};

bool isAddressChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) != std::string_view::npos;
}

bool isDomainChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.'; }

constexpr std::array<std::string_view, 11> kRecipientLabels = {
    "recipient address:", "recipient:", "failed recipient:", "original-recipient:",
    "address:", "rcpt to:", "invalid recipient:", "unknown user:", "destinataire:", "user:", "mailbox:",
};

// Labels that are themselves the verdict on the address after them (iMail's "Unknown user: a@b"):
// they stay in that recipient's diagnostic.
bool isVerdictLabel(std::string_view label) { return label == "unknown user:" || label == "invalid recipient:"; }

std::size_t skipLabel(std::string_view lower_line) {
  for (std::string_view label : kRecipientLabels) {
    if (lower_line.rfind(label, 0) == 0) return label.size();
  }
  return 0;
}

bool isServiceAddress(std::string_view lower_address) {
  return lower_address.rfind("mailer-daemon@", 0) == 0;
}

// "There was an error delivering your mail to <a@b.example>." / "undeliverable to a@b.example".
std::string addressAfterTo(std::string_view line, std::size_t* start_out, std::size_t* end_out) {
  std::string lower = toLower(line);
  std::size_t at = 0;
  // "... returned permanent errors: a@b" also counts.
  while (true) {
    std::size_t to = lower.find("to ", at);
    std::size_t colon = lower.find("errors: ", at);
    if (colon != std::string::npos) colon += 6;
    if (to == std::string::npos && colon == std::string::npos) break;
    bool via_colon = colon < to;
    at = via_colon ? colon : to;
    bool word_start = via_colon || at == 0 || lower[at - 1] == ' ' || lower[at - 1] == '\t';
    std::size_t start = at + (via_colon ? 2 : 3);
    at = start;
    if (!word_start || lower.rfind("reply-", at) != std::string::npos) continue;
    // "Please reply to Postmaster@mx.example if you feel this message to be in error": where to
    // write about the notice, not a recipient.
    if (!via_colon && at >= 9 && lower.compare(at - 9, 6, "reply ") == 0) continue;
    std::size_t end = 0;
    std::string address = addressAtStart(line.substr(start), &end);
    if (!address.empty()) {
      *start_out = start;
      *end_out = end;
      return address;
    }
  }
  return {};
}

// Sendmail transcripts name each refused recipient as "554 <a@b.example>... Remote protocol error".
std::string addressAfterReplyCode(std::string_view line, std::size_t* start_out, std::size_t* end_out) {
  if (line.size() < 6 || !std::isdigit(static_cast<unsigned char>(line[0])) ||
      !std::isdigit(static_cast<unsigned char>(line[1])) || !std::isdigit(static_cast<unsigned char>(line[2])) ||
      line[3] != ' ' || line[4] != '<') {
    return {};
  }
  std::size_t end = 0;
  std::string address = addressAtStart(line.substr(4), &end);
  if (address.empty()) return {};
  *start_out = 4;
  *end_out = end;
  return address;
}

struct Hit {
  std::string address;
  std::size_t line_start;
  std::size_t rest_start;  // first byte after the address on its line
  bool explained_above = false;  // sendmail transcript: the reply lines before it explain it
  std::string verdict_label;     // isVerdictLabel: the label before the address, without its colon
};

std::vector<Hit> recipientLines(std::string_view text) {
  std::vector<Hit> hits;
  LineReader lines(text);
  for (std::string_view line; hits.size() < 1000 && lines.next(line);) {
    const std::size_t pos = lines.lineStart();
    std::size_t lead = line.find_first_not_of(" \t*-•>\"'(");
    if (lead != std::string_view::npos) {
      std::string lower = toLower(line.substr(lead, 40));
      std::size_t label = skipLabel(lower);
      std::size_t start = lead + label;
      while (start < line.size() && (line[start] == ' ' || line[start] == '\t' || line[start] == '"')) ++start;
      std::size_t address_end = 0;
      std::string address = addressAtStart(line.substr(start), &address_end);
      if (address.empty()) {
        address = addressAfterTo(line, &start, &address_end);
        // "550 5.7.1 ... send an e-mail message from another address to dz@example.lv", "554 Too many
        // hops 26 (25 max): from a@example.org via localhost, to b@example.nl": an address after a
        // quoted reply's code is one the reply names (a postmaster, an alias), not a recipient.
        std::string_view before = line.substr(0, address.empty() ? 0 : start);
        if (!address.empty() && !findReplyCode(before).empty()) address.clear();
      }
      bool explained_above = false;
      if (address.empty()) {
        address = addressAfterReplyCode(line, &start, &address_end);
        explained_above = !address.empty();
      }
      if (!address.empty() && !isServiceAddress(toLower(address))) {
        std::string verdict;
        if (label > 0 && isVerdictLabel(lower.substr(0, label))) verdict = lower.substr(0, label - 1);
        hits.push_back({address, pos, pos + start + address_end, explained_above, verdict});
      }
    }
  }
  return hits;
}

// Layouts whose text above the first address says nothing about any one recipient.
// Smail 3: each line under its "Failed addresses follow:" rule is the address and its own verdict
// ("a@b ... unknown host"); the "Message log" above is about the whole message.
// qmail (QSBMF, cr.yp.to/proto/qsbmf.txt): its opening paragraph ("This is a permanent error; I've
// given up.") is the same for every bounce, and each recipient's own explanation is the paragraph
// after its "<a@b>:" line (empty when qmail had nothing more to say).
// A writer's fixed template, the same for every bounce: Postfix's (bounce(5): "This is the mail
// system at host ..."), Exim's default bounce_message_text ("A message that you sent could not be
// delivered to one or more of its recipients. This is a permanent error.").
bool textAboveIsBoilerplate(std::string_view lower_notice) {
  static constexpr std::string_view kOpenings[] = {
      "|------------------------- failed addresses follow:",
      "i'm afraid i wasn't able to deliver your message to the following addresses",
      "this is the mail system at host",
      "this is the postfix program at host",
      "could not be delivered to one or more of its\nrecipients. this is a permanent error.",
  };
  for (std::string_view opening : kOpenings) {
    if (lower_notice.find(opening) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

std::string addressAtStart(std::string_view line, std::size_t* end_out) {
  std::size_t i = 0;
  bool bracket = i < line.size() && line[i] == '<';
  if (bracket) ++i;
  std::size_t local_start = i;
  while (i < line.size() && isAddressChar(line[i])) ++i;
  if (i == local_start || i >= line.size() || line[i] != '@') return {};
  std::size_t at = i++;
  std::size_t domain_start = i;
  while (i < line.size() && isDomainChar(line[i])) ++i;
  std::string_view domain = line.substr(domain_start, i - domain_start);
  while (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  if (domain.find('.') == std::string_view::npos || at == local_start) return {};
  std::size_t address_end = domain_start + domain.size();
  if (bracket && i < line.size() && line[i] == '>') ++i;
  // The address must end the token: end of line, or followed by space, ':', '>', ',', ';', '(' or '.'.
  if (i < line.size() && std::string_view(" \t:>,;(.\"'").find(line[i]) == std::string_view::npos) return {};
  if (end_out != nullptr) *end_out = i;
  std::string_view local = line.substr(local_start, at - local_start);
  while (!local.empty() && (local.front() == '.' || local.front() == '-')) local.remove_prefix(1);
  return std::string(local) + "@" + std::string(line.substr(domain_start, address_end - domain_start));
}

std::string notificationText(const MimeEntity& root) {
  std::vector<const MimeEntity*> parts;
  collectTextParts(root, parts, true);
  std::string text;
  for (const MimeEntity* part : parts) {
    if (text.size() >= kMaxNotificationText) break;
    text += part->content_type == "text/html" ? htmlToText(part->body) : part->body;
    text += '\n';
  }
  if (parts.empty() && root.parts.empty()) text = root.body;
  // Cut at the first line that introduces the returned message.
  LineReader lines(text);
  for (std::string_view line; lines.next(line);) {
    const std::size_t pos = lines.lineStart();
    std::string lower = toLower(trimBlanks(line.substr(0, 80)));
    // A rule of dashes is drawn to any length ("------------------------------ Original message
    // ---..." in LISTSERV's LSMTP): a dashed marker matches a dashed line whatever the count.
    std::string_view undashed = std::string_view(lower).substr(std::min(lower.find_first_not_of('-'), lower.size()));
    for (std::string_view marker : kOriginalMessageMarkers) {
      bool dashed = marker.rfind("--", 0) == 0 && lower.rfind("--", 0) == 0;
      std::string_view bare = marker.substr(std::min(marker.find_first_not_of('-'), marker.size()));
      if (!lower.empty() && pos > 0 && (lower.rfind(marker, 0) == 0 || (dashed && undashed.rfind(bare, 0) == 0))) {
        text.resize(pos);
        return text.substr(0, kMaxNotificationText);
      }
    }
  }
  if (text.size() > kMaxNotificationText) text.resize(kMaxNotificationText);
  return text;
}

std::vector<RecipientResult> findTextRecipients(std::string_view notification) {
  std::vector<Hit> hits = recipientLines(notification);
  std::vector<RecipientResult> results;
  for (std::size_t i = 0; i < hits.size(); ++i) {
    std::string lower = toLower(hits[i].address);
    bool seen = std::any_of(results.begin(), results.end(),
                            [&](const RecipientResult& r) { return toLower(r.recipient) == lower; });
    std::size_t diag_start = hits[i].rest_start;
    std::size_t diag_end = i + 1 < hits.size() ? hits[i + 1].line_start : notification.size();
    if (hits[i].explained_above) {
      diag_start = i > 0 ? notification.find('\n', hits[i - 1].rest_start) : notification.rfind("\n\n", hits[i].line_start);
      diag_start = diag_start == std::string_view::npos ? 0 : diag_start;
      diag_end = notification.find('\n', hits[i].rest_start);
      if (diag_end == std::string_view::npos) diag_end = notification.size();
    }
    std::string_view diag = notification.substr(diag_start, diag_end - diag_start);
    if (diag.size() > 4096) diag = diag.substr(0, 4096);
    std::string cleaned(trimBlanks(diag));
    while (!cleaned.empty() && (cleaned.front() == ':' || cleaned.front() == '.' || cleaned.front() == ' ')) cleaned.erase(0, 1);
    std::replace(cleaned.begin(), cleaned.end(), '\n', ' ');
    if (!hits[i].verdict_label.empty()) cleaned = hits[i].verdict_label + (cleaned.empty() ? "" : " " + cleaned);
    if (seen) {
      for (RecipientResult& r : results) {
        if (toLower(r.recipient) == lower && r.diagnostic.size() < 4096) r.diagnostic += " " + cleaned;
      }
      continue;
    }
    RecipientResult r;
    r.recipient = hits[i].address;
    r.diagnostic = cleaned;
    results.push_back(std::move(r));
  }
  // One recipient: the explanation may come before the address ("Error: ... / RCPT TO: a@b").
  if (results.size() == 1 && !hits.empty() && !textAboveIsBoilerplate(toLower(notification))) {
    // Without the returned message's Subject line the notice may quote ("Your message / To: ... /
    // Subject: ... / Sent: ..." in Exchange's notices): the sender's words, not the server's.
    std::string before;
    LineReader lines(notification.substr(0, std::min<std::size_t>(hits[0].line_start, 4096)));
    for (std::string_view line; lines.next(line);) {
      std::string_view trimmed = trimBlanks(line);
      if (toLower(trimmed.substr(0, 8)) == "subject:") continue;
      before += std::string(line) + " ";
    }
    before = std::string(trimBlanks(before));
    if (!before.empty()) results[0].diagnostic += (results[0].diagnostic.empty() ? "" : " ") + before;
  }
  return results;
}

namespace {
bool listsOnlyAddresses(std::string_view paragraph) {
  std::size_t pos = 0;
  bool any = false;
  while (pos < paragraph.size()) {
    std::size_t word_start = paragraph.find_first_not_of(" \t", pos);
    if (word_start == std::string_view::npos) break;
    std::size_t word_end = paragraph.find_first_of(" \t", word_start);
    if (word_end == std::string_view::npos) word_end = paragraph.size();
    if (paragraph.substr(word_start, word_end - word_start).find('@') == std::string_view::npos) return false;
    any = true;
    pos = word_end;
  }
  return any;
}
}  // namespace

std::string paragraphAbout(std::string_view notification, std::string_view address) {
  std::string lower_text = toLower(notification);
  std::size_t at = lower_text.find(toLower(address));
  if (at == std::string::npos) return {};
  std::size_t start = lower_text.rfind("\n\n", at);
  start = start == std::string::npos ? 0 : start + 2;
  std::size_t end = lower_text.find("\n\n", at);
  if (end == std::string::npos) end = lower_text.size();
  std::string paragraph(trimBlanks(notification.substr(start, std::min<std::size_t>(end - start, 4096))));
  std::replace(paragraph.begin(), paragraph.end(), '\n', ' ');
  // A list of the failed addresses alone ("  a@example.net\n  b@example.net") says nothing about why.
  return listsOnlyAddresses(paragraph) ? std::string() : paragraph;
}

std::string transcriptReplies(std::string_view notification) {
  std::string lower = toLower(notification);
  std::size_t start = lower.find("----- transcript of session follows -----");
  if (start == std::string::npos) return {};
  std::size_t end = lower.find("\n\n", start);
  std::string out;
  std::size_t pos = lower.find('\n', start);
  while (pos != std::string::npos && pos < end && out.size() < 4096) {
    std::size_t eol = lower.find('\n', pos + 1);
    std::string_view line = trimBlanks(std::string_view(notification).substr(pos + 1, (eol == std::string::npos ? lower.size() : eol) - pos - 1));
    if (line.size() > 4 && (line[0] == '4' || line[0] == '5') && !findReplyCode(line.substr(0, 4)).empty()) {
      out += std::string(line) + " ";
    }
    pos = eol;
  }
  return std::string(trimBlanks(out));
}

std::string transcriptAbout(std::string_view notification, std::string_view address) {
  std::string lower_address = toLower(address);
  if (lower_address.empty()) return {};
  std::string out;
  std::string previous_reply;  // the "<<< NNN" line just before, which the summary line repeats
  LineReader lines(notification);
  for (std::string_view raw; out.size() < 4096 && lines.next(raw);) {
    std::string_view line = trimBlanks(raw);
    std::string lower = toLower(line);
    if (lower.rfind("<<< ", 0) == 0) {
      previous_reply = std::string(line.substr(4));
      continue;
    }
    std::size_t at = lower.find(lower_address);
    bool names_address = at != std::string::npos && lower.find("...", at) != std::string::npos;
    if (!names_address) {
      if (lower.rfind(">>> ", 0) != 0) previous_reply.clear();
      continue;
    }
    if (!previous_reply.empty()) out += previous_reply + " ";
    out += std::string(line) + " ";
    previous_reply.clear();
  }
  return std::string(trimBlanks(out));
}

}  // namespace waybill::dsn
