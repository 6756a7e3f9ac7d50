// MimeLite implementation: recursive descent over an already LF-normalised message, capped in
// depth and part count. Broken MIME (missing boundaries, bad base64) degrades to plain text.
#include "dsn/mime_lite.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "mime/transfer_encoding.h"
#include "text/ascii_text.h"
#include "text/line_reader.h"

namespace waybill::dsn {
namespace {

// Reads `key=value` or `key="value"` from a structured header such as Content-Type.
std::string headerParameter(std::string_view value, std::string_view key) {
  std::string lower = toLower(value);
  std::string needle = std::string(key) + "=";
  std::size_t pos = 0;
  while ((pos = lower.find(needle, pos)) != std::string::npos) {
    bool at_word_start = pos == 0 || lower[pos - 1] == ';' || lower[pos - 1] == ' ' || lower[pos - 1] == '\t';
    pos += needle.size();
    if (!at_word_start) continue;
    if (pos < value.size() && value[pos] == '"') {
      std::size_t end = value.find('"', pos + 1);
      return std::string(value.substr(pos + 1, end == std::string_view::npos ? std::string_view::npos : end - pos - 1));
    }
    std::size_t end = value.find_first_of("; \t", pos);
    return std::string(value.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
  }
  return {};
}

std::vector<std::string_view> splitMultipart(std::string_view body, std::string_view boundary) {
  std::vector<std::string_view> parts;
  std::string delimiter = "--" + std::string(boundary);
  std::size_t pos = 0;
  std::size_t part_start = std::string_view::npos;
  while (pos < body.size() && parts.size() < kMaxMimeParts) {
    std::size_t line_end = body.find('\n', pos);
    if (line_end == std::string_view::npos) line_end = body.size();
    std::string_view line = body.substr(pos, line_end - pos);
    if (line.rfind(delimiter, 0) == 0) {
      if (part_start != std::string_view::npos) parts.push_back(body.substr(part_start, pos - part_start));
      if (line.substr(delimiter.size()).rfind("--", 0) == 0) return parts;
      part_start = line_end + 1 > body.size() ? body.size() : line_end + 1;
    }
    pos = line_end + 1;
  }
  if (part_start != std::string_view::npos && part_start < body.size()) parts.push_back(body.substr(part_start));
  return parts;
}

void decodeBody(MimeEntity& entity, std::string_view body) {
  std::string encoding = toLower(trimBlanks(entity.header("Content-Transfer-Encoding")));
  if (encoding == "base64") {
    entity.body = mime::decodeBase64(body);
  } else if (encoding == "quoted-printable") {
    entity.body = mime::decodeQuotedPrintable(body);
  } else {
    entity.body = std::string(body);
  }
}

// Some relays strip the MIME headers of a bounce but keep its body; when the body opens with a
// "--boundary" line, read it as the multipart it was.
void inferBoundary(MimeEntity& entity, std::string_view body) {
  LineReader lines(body);
  std::string_view raw;
  for (int count = 0; count < 5 && lines.next(raw); ++count) {
    std::string_view line = trimBlanks(raw);
    if (line.size() > 8 && line.rfind("--", 0) == 0 && line.find(' ') == std::string_view::npos) {
      entity.content_type = "multipart/mixed";
      entity.boundary = std::string(line.substr(2));
      return;
    }
  }
}

MimeEntity parseEntity(std::string_view text, std::size_t depth) {
  MimeEntity entity;
  std::string_view body;
  entity.headers = parseHeaderBlock(text, &body);
  std::string content_type = entity.header("Content-Type");
  if (!content_type.empty()) {
    // The media type is one token: it ends at ';' or at a blank (a folded "text/plain\n charset=..."
    // without the semicolon is still text/plain).
    std::string_view value = trimBlanks(content_type);
    std::string type = toLower(value.substr(0, value.find_first_of("; \t\n")));
    if (type.find('/') != std::string::npos) entity.content_type = type;
    entity.boundary = headerParameter(content_type, "boundary");
    entity.charset = toLower(headerParameter(content_type, "charset"));
    entity.filename = headerParameter(content_type, "name");
  }
  if (content_type.empty() && depth == 0) inferBoundary(entity, body);
  std::string disposition = entity.header("Content-Disposition");
  if (std::string name = headerParameter(disposition, "filename"); !name.empty()) entity.filename = name;

  bool too_deep = depth >= kMaxMimeDepth;
  if (entity.isMultipart() && !entity.boundary.empty() && !too_deep) {
    entity.body = std::string(body);
    for (std::string_view part : splitMultipart(body, entity.boundary)) {
      entity.parts.push_back(parseEntity(part, depth + 1));
    }
    if (entity.parts.empty()) entity.content_type = "text/plain";  // boundary never seen: read as text
    return entity;
  }
  decodeBody(entity, body);
  if ((entity.content_type == "message/rfc822" || entity.content_type == "message/global") && !too_deep) {
    entity.parts.push_back(parseEntity(entity.body, depth + 1));
  }
  entity.truncated = too_deep;
  return entity;
}

}  // namespace

std::string MimeEntity::header(std::string_view name) const {
  for (const MimeHeader& h : headers) {
    if (equalsIgnoreCase(h.name, name)) return h.value;
  }
  return {};
}

std::string normalizeLineEndings(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
    } else {
      out.push_back(raw[i]);
    }
  }
  if (out.rfind("From ", 0) == 0) out.erase(0, std::min(out.size(), out.find('\n') + 1));
  return out;
}

namespace {
// "From sender Www Mmm dd hh:mm:ss yyyy": an mbox separator names one sender (no blanks) and then
// an asctime date. "From Mailing List Name Thu ..." inside a quoted message is text, not a separator.
bool isSeparatorLine(std::string_view line) {
  std::size_t sender_end = line.find(' ', 5);
  if (sender_end == std::string_view::npos || sender_end == 5) return false;
  std::size_t date = line.find_first_not_of(' ', sender_end);
  if (date == std::string_view::npos) return false;
  std::string_view day = line.substr(date, 3);
  for (std::string_view weekday : {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}) {
    if (day == weekday) return true;
  }
  return false;
}
}  // namespace

std::vector<std::string> splitMbox(std::string_view normalized) {
  std::vector<std::string> messages;
  std::size_t start = 0;
  std::size_t pos = 0;
  while ((pos = normalized.find("\nFrom ", pos)) != std::string_view::npos) {
    // Only a separator when it reads "From addr date", after a blank line, before a header.
    std::size_t line_end = normalized.find('\n', pos + 1);
    bool header_follows = line_end != std::string_view::npos && isSeparatorLine(normalized.substr(pos + 1, line_end - pos - 1)) &&
                          normalized.substr(line_end + 1, 64).find(':') != std::string_view::npos &&
                          (pos == 0 || normalized[pos - 1] == '\n');
    if (header_follows) {
      messages.emplace_back(normalized.substr(start, pos + 1 - start));
      start = line_end + 1;
    }
    pos += 6;
  }
  messages.emplace_back(normalized.substr(start));
  return messages;
}

namespace {
// Where a header field's name ends ("Name: value" with no blank in the name), npos when the line is
// no field.
std::size_t fieldNameEnd(std::string_view line) {
  std::size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos || line.substr(0, colon).find(' ') != std::string_view::npos) {
    return std::string_view::npos;
  }
  return colon;
}

// Whether a message's own header field (a trace, originator or X- field) comes within the next
// few lines, before any empty line: then the lines up to it still belong to the header section.
bool messageFieldFollows(std::string_view rest) {
  static constexpr std::string_view kFields[] = {"received", "date", "from", "to", "subject", "message-id",
                                                 "return-path", "mime-version", "content-type", "delivered-to",
                                                 "envelope-to", "reply-to", "cc", "sender"};
  LineReader lines(rest);
  std::string_view line;
  for (int i = 0; i < 8 && lines.next(line); ++i) {
    if (trimBlanks(line).empty()) return false;
    std::size_t colon = fieldNameEnd(line);
    if (colon == std::string_view::npos) continue;
    std::string name = toLower(line.substr(0, colon));
    if (name.rfind("x-", 0) == 0) return true;
    for (std::string_view field : kFields) {
      if (name == field) return true;
    }
  }
  return false;
}
}  // namespace

std::vector<MimeHeader> parseHeaderBlock(std::string_view block, std::string_view* body_out) {
  std::vector<MimeHeader> headers;
  std::size_t pos = 0;
  while (pos < block.size()) {
    std::size_t line_end = block.find('\n', pos);
    if (line_end == std::string_view::npos) line_end = block.size();
    std::string_view line = block.substr(pos, line_end - pos);
    if (trimBlanks(line).empty()) {
      pos = line_end + 1;
      break;
    }
    const bool indented = line[0] == ' ' || line[0] == '\t';
    const std::size_t colon = fieldNameEnd(line);
    const bool mbox_line = line.rfind("From ", 0) == 0 || line.rfind(">From ", 0) == 0;
    // A parameter wrapped without indentation ("Content-Type: multipart/x;\nboundary=...") is
    // still part of the header before it; broken mailers write that.
    const bool unindented_parameter = !headers.empty() && !headers.back().value.empty() &&
                                      headers.back().value.back() == ';' && line.find('=') != std::string_view::npos &&
                                      line.find(':') == std::string_view::npos;
    // So is any other line its writer folded without indenting ("Received-SPF: pass (...\n
    // 74.208.4.198 as permitted ...)") while a field follows: the header section runs to the first
    // empty line (RFC 5322 2.1).
    const bool unindented_fold = !indented && !headers.empty() && colon == std::string_view::npos && !mbox_line &&
                                 messageFieldFollows(block.substr(std::min(line_end + 1, block.size())));
    if ((indented && !headers.empty()) || unindented_parameter || unindented_fold) {
      if (headers.back().value.size() < 64 * 1024) {
        headers.back().value += ' ';
        headers.back().value += trimBlanks(line);
      }
    } else if (colon != std::string_view::npos) {
      if (headers.size() < kMaxHeaders) {
        headers.push_back({std::string(line.substr(0, colon)), std::string(trimBlanks(line.substr(colon + 1)))});
      }
    } else if (headers.empty() || mbox_line) {
      // Garbage before the headers: treat the whole thing as a body without headers.
      if (headers.empty() && line.rfind("From ", 0) != 0) {
        pos = 0;
        break;
      }
    } else {
      break;  // not a header line: the body starts here (missing blank line)
    }
    pos = line_end + 1;
  }
  if (body_out != nullptr) *body_out = pos < block.size() ? block.substr(pos) : std::string_view{};
  return headers;
}

MimeEntity parseMime(std::string_view normalized) { return parseEntity(normalized, 0); }

const MimeEntity* findPart(const MimeEntity& root, std::string_view content_type) {
  if (root.content_type == content_type) return &root;
  for (const MimeEntity& part : root.parts) {
    if (const MimeEntity* found = findPart(part, content_type)) return found;
  }
  return nullptr;
}

void collectTextParts(const MimeEntity& root, std::vector<const MimeEntity*>& out, bool include_html) {
  if (root.content_type == "message/rfc822" || root.content_type == "message/global" ||
      root.content_type == "text/rfc822-headers") {
    return;
  }
  if (root.parts.empty()) {
    if (toLower(root.header("Content-Disposition")).rfind("attachment", 0) == 0) return;
    if (root.content_type == "text/plain" || (include_html && root.content_type == "text/html")) out.push_back(&root);
    return;
  }
  for (const MimeEntity& part : root.parts) collectTextParts(part, out, include_html);
}

std::string decodeEncodedWords(std::string_view value) {
  std::string out;
  std::size_t pos = 0;
  while (pos < value.size()) {
    std::size_t start = value.find("=?", pos);
    if (start == std::string_view::npos) break;
    std::size_t q1 = value.find('?', start + 2);
    std::size_t q2 = q1 == std::string_view::npos ? q1 : value.find('?', q1 + 1);
    std::size_t end = q2 == std::string_view::npos ? q2 : value.find("?=", q2 + 1);
    if (end == std::string_view::npos || q2 != q1 + 2) break;
    std::string_view between = trimBlanks(value.substr(pos, start - pos));
    if (!(between.empty() && pos > 0)) out.append(value.substr(pos, start - pos));
    char encoding = toLowerAscii(value[q1 + 1]);
    std::string_view payload = value.substr(q2 + 1, end - q2 - 1);
    if (encoding == 'b') {
      out += mime::decodeBase64(payload);
    } else {
      std::string qp(payload);
      std::replace(qp.begin(), qp.end(), '_', ' ');
      out += mime::decodeQuotedPrintable(qp);
    }
    pos = end + 2;
  }
  out.append(value.substr(std::min(pos, value.size())));
  return out;
}

std::string htmlToText(std::string_view html) {
  std::string out;
  out.reserve(html.size());
  bool in_tag = false;
  const std::string lower = toLower(html);
  constexpr std::array<std::string_view, 4> kHidden = {"head", "title", "style", "script"};
  std::array<bool, kHidden.size()> never_closed{};  // no "</x" after this point: not searched again
  for (std::size_t i = 0; i < html.size(); ++i) {
    char c = html[i];
    if (c == '<') {
      // What a browser does not show (the head with its <title>, style sheets, scripts) is no text.
      const std::string_view open = std::string_view(lower).substr(i + 1, 7);
      for (std::size_t k = 0; k < kHidden.size(); ++k) {
        const std::string_view element = kHidden[k];
        bool longer_name = open.size() > element.size() && std::isalnum(static_cast<unsigned char>(open[element.size()]));
        if (never_closed[k] || open.rfind(element, 0) != 0 || longer_name) continue;
        std::size_t close = lower.find("</" + std::string(element), i);
        if (close == std::string::npos) {
          never_closed[k] = true;
          continue;
        }
        i = close;
        break;
      }
      if (html[i] != '<') continue;
      in_tag = true;
      std::string_view rest = html.substr(i + 1, 3);
      if (rest.rfind("br", 0) == 0 || rest.rfind("BR", 0) == 0 || rest.rfind("p", 0) == 0 ||
          rest.rfind("/p", 0) == 0 || rest.rfind("tr", 0) == 0 || rest.rfind("/d", 0) == 0) {
        out.push_back('\n');
      }
    } else if (c == '>') {
      in_tag = false;
      out.push_back(' ');
    } else if (!in_tag) {
      if (c == '&') {
        std::string_view rest = html.substr(i, 6);
        if (rest.rfind("&lt;", 0) == 0) { out.push_back('<'); i += 3; continue; }
        if (rest.rfind("&gt;", 0) == 0) { out.push_back('>'); i += 3; continue; }
        if (rest.rfind("&amp;", 0) == 0) { out.push_back('&'); i += 4; continue; }
        if (rest.rfind("&nbsp;", 0) == 0) { out.push_back(' '); i += 5; continue; }
      }
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace waybill::dsn
