#include "mime/mime_rewriter.h"

#include <algorithm>

#include "mail/address.h"

namespace waybill::mime {
namespace {

constexpr std::size_t kMaxSmtpLine = 998;  // RFC 5322 2.1.1, without the CRLF
constexpr std::size_t kMaxBoundaryLine = 200;  // boundaries are at most 70 characters

bool isRewritableType(std::string_view media_type) { return media_type == "text/html" || media_type == "text/plain"; }

std::size_t longestLine(std::string_view text) {
  std::size_t longest = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::size_t length = end - start;
    if (length > 0 && end < text.size() && text[end - 1] == '\r') --length;
    longest = std::max(longest, length);
    start = end + 1;
  }
  return longest;
}

std::string_view stripLineEnd(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

std::string decodeBody(std::string_view raw, TransferEncoding encoding) {
  switch (encoding) {
    case TransferEncoding::QuotedPrintable: return decodeQuotedPrintable(raw);
    case TransferEncoding::Base64: return decodeBase64(raw);
    default: return std::string(raw);
  }
}

std::string encodeBody(std::string_view text, TransferEncoding encoding, std::string_view eol) {
  switch (encoding) {
    case TransferEncoding::QuotedPrintable: return encodeQuotedPrintable(text, eol);
    case TransferEncoding::Base64: {
      std::string encoded = encodeBase64(text, eol);
      // The line ending before the next boundary belongs to the boundary; the walker re-adds it.
      if (encoded.size() >= eol.size() && encoded.compare(encoded.size() - eol.size(), eol.size(), eol) == 0)
        encoded.resize(encoded.size() - eol.size());
      return encoded;
    }
    default: return std::string(text);
  }
}

void setTransferEncodingHeader(std::vector<RawHeaderField>& headers, TransferEncoding encoding, std::string_view eol) {
  const std::string field = std::string("Content-Transfer-Encoding: ") + transferEncodingName(encoding) + std::string(eol);
  bool replaced = false;
  for (auto& header : headers) {
    if (!equalsIgnoreCase(header.name(), "content-transfer-encoding")) continue;
    header.raw = replaced ? "" : field;  // a duplicate field would contradict the new one
    replaced = true;
  }
  if (!replaced) headers.push_back({field});
}

std::vector<RawHeaderField> splitHeaderBlock(std::string_view block) {
  std::vector<RawHeaderField> fields;
  std::size_t start = 0;
  while (start < block.size()) {
    std::size_t end = block.find('\n', start);
    end = end == std::string_view::npos ? block.size() : end + 1;
    const std::string_view line = block.substr(start, end - start);
    if ((line[0] == ' ' || line[0] == '\t') && !fields.empty())
      fields.back().raw += line;
    else
      fields.push_back({std::string(line)});
    start = end;
  }
  return fields;
}

std::string headerValue(const std::vector<RawHeaderField>& headers, std::string_view name) {
  for (const auto& header : headers)
    if (equalsIgnoreCase(header.name(), name)) return header.value();
  return "";
}

}  // namespace

MimeRewriter::MimeRewriter(std::string_view content_type, std::string_view transfer_encoding,
                           TextPartHandler handler, OutputSink sink, WalkLimits limits)
    : handler_(std::move(handler)), sink_(std::move(sink)), limits_(limits) {
  enterBody(parseContentType(content_type), transfer_encoding, "", true);
}

void MimeRewriter::push(std::string_view chunk) {
  pending_.append(chunk);
  std::size_t position = 0;
  for (std::size_t newline; (newline = pending_.find('\n', position)) != std::string::npos; position = newline + 1)
    onLine(std::string_view(pending_).substr(position, newline + 1 - position), true);
  if (position > 0) pending_.erase(0, position);
  if (pending_.size() >= limits_.max_line) {
    onLine(pending_, false);
    pending_.clear();
  }
}

Status MimeRewriter::finish() {
  if (!pending_.empty()) {
    onLine(pending_, true);
    pending_.clear();
  }
  if (mode_ == Mode::TextBody) finishTextPart(false);
  else if (mode_ == Mode::PartHeaders) flushHeldHeaders();
  mode_ = Mode::Pass;
  if (error_) return *error_;
  return {};
}

void MimeRewriter::onLine(std::string_view line, bool complete) {
  const bool line_start = at_line_start_;
  at_line_start_ = complete;
  if (eol_.empty() && complete && !line.empty() && line.back() == '\n')
    eol_ = line.size() >= 2 && line[line.size() - 2] == '\r' ? "\r\n" : "\n";
  if (line_start && !boundaries_.empty() && line.size() < kMaxBoundaryLine && line.rfind("--", 0) == 0 &&
      handleBoundary(line))
    return;
  switch (mode_) {
    case Mode::Pass:
      emit(line);
      return;
    case Mode::TextBody:
      text_raw_ += line;
      if (text_raw_.size() > limits_.max_text_part) passTextPartUntouched("text part larger than the rewrite cap");
      return;
    case Mode::PartHeaders:
      header_bytes_ += line.size();
      if (line_start && stripLineEnd(line).empty()) {
        std::vector<RawHeaderField> headers = std::move(part_headers_);
        part_headers_.clear();
        startPart(headers, line);
        return;
      }
      if ((!line_start || line[0] == ' ' || line[0] == '\t') && !part_headers_.empty())
        part_headers_.back().raw += line;  // a folded continuation (or the rest of an overlong line)
      else
        part_headers_.push_back({std::string(line)});
      if (header_bytes_ > limits_.max_header_block) {  // not a header block we can trust: pass it on
        flushHeldHeaders();
        mode_ = Mode::Pass;
      }
      return;
  }
}

bool MimeRewriter::handleBoundary(std::string_view line) {
  std::string_view core = stripLineEnd(line).substr(2);
  while (!core.empty() && (core.back() == ' ' || core.back() == '\t')) core.remove_suffix(1);
  for (std::size_t k = boundaries_.size(); k-- > 0;) {
    const std::string& boundary = boundaries_[k];
    if (core.substr(0, boundary.size()) != boundary) continue;
    const std::string_view after = core.substr(boundary.size());
    if (!after.empty() && after != "--") continue;
    if (mode_ == Mode::TextBody) finishTextPart(true);
    else if (mode_ == Mode::PartHeaders) flushHeldHeaders();
    boundaries_.resize(k + 1);  // a delimiter of an outer multipart closes the inner ones
    emit(line);
    if (after == "--") {
      boundaries_.pop_back();
      mode_ = Mode::Pass;  // the epilogue, up to the parent's next delimiter
    } else {
      mode_ = Mode::PartHeaders;
      part_headers_.clear();
      header_terminator_.clear();
      header_bytes_ = 0;
    }
    return true;
  }
  return false;
}

void MimeRewriter::startPart(const std::vector<RawHeaderField>& headers, std::string_view terminator) {
  part_headers_ = headers;
  header_terminator_ = std::string(terminator);
  held_top_level_ = false;
  ContentType type = parseContentType(headerValue(headers, "content-type"));
  if (type.media_type.empty()) type.media_type = "text/plain";  // RFC 2045 default (multipart/digest aside)
  enterBody(type, headerValue(headers, "content-transfer-encoding"), headerValue(headers, "content-disposition"),
            false);
}

void MimeRewriter::enterBody(const ContentType& type, std::string_view encoding, std::string_view disposition,
                             bool top_level) {
  const std::string boundary = type.param("boundary");
  const bool opaque_multipart = type.media_type == "multipart/signed" || type.media_type == "multipart/encrypted";
  const TransferEncoding transfer = parseTransferEncoding(encoding);
  const std::string media = type.media_type.empty() && top_level ? "text/plain" : type.media_type;
  // An attached text file is the sender's document, not the message: it passes untouched.
  if (isRewritableType(media) && dispositionType(disposition) != "attachment") {
    if (transfer == TransferEncoding::Unknown) {
      report_.skipped.push_back(media + ": unknown transfer encoding '" + std::string(encoding) + "'");
    } else if (!isAsciiCompatibleCharset(type.param("charset"))) {
      report_.skipped.push_back(media + ": charset '" + type.param("charset") + "' is not ASCII-compatible");
    } else {
      mode_ = Mode::TextBody;
      held_top_level_ = top_level;
      text_part_ = {media, type.param("charset")};
      text_encoding_ = transfer;
      text_raw_.clear();
      return;
    }
  }
  flushHeldHeaders();
  mode_ = Mode::Pass;
  if (type.isMultipart() && !opaque_multipart && !boundary.empty() && boundaries_.size() < limits_.max_depth)
    boundaries_.push_back(boundary);
}

void MimeRewriter::finishTextPart(bool before_boundary) {
  std::string_view raw = text_raw_;
  std::string_view tail;
  if (raw.size() >= 2 && raw.substr(raw.size() - 2) == "\r\n") tail = raw.substr(raw.size() - 2);
  else if (!raw.empty() && raw.back() == '\n') tail = raw.substr(raw.size() - 1);
  raw.remove_suffix(tail.size());

  const std::string decoded = decodeBody(raw, text_encoding_);
  auto rewritten = handler_(text_part_, decoded);
  if (!rewritten) {
    if (!error_) error_ = makeError(rewritten.error());
    passTextPartUntouched("rewrite failed: " + rewritten.error());
    return;
  }
  if (*rewritten == decoded) {  // nothing changed: keep the original bytes, encoding and all
    passTextPartUntouched("");
    return;
  }
  const std::string_view eol = eol_.empty() ? std::string_view("\r\n") : std::string_view(eol_);
  TransferEncoding encoding = text_encoding_;
  std::string encoded = encodeBody(*rewritten, encoding, eol);
  const bool unencoded = encoding == TransferEncoding::SevenBit || encoding == TransferEncoding::EightBit ||
                         encoding == TransferEncoding::Binary;
  if (unencoded && longestLine(encoded) > kMaxSmtpLine) {
    encoding = TransferEncoding::QuotedPrintable;
    encoded = encodeBody(*rewritten, encoding, eol);
    if (held_top_level_) top_level_encoding_ = encoding;
    else setTransferEncodingHeader(part_headers_, encoding, eol);
  }
  flushHeldHeaders();
  emit(encoded);
  // An empty part had no line ending of its own before the delimiter; new content needs one.
  if (tail.empty() && before_boundary && !encoded.empty()) tail = eol;
  emit(tail);
  text_raw_.clear();
  ++report_.parts_rewritten;
  mode_ = Mode::Pass;
}

void MimeRewriter::passTextPartUntouched(std::string reason) {
  if (!reason.empty()) report_.skipped.push_back(text_part_.media_type + ": " + reason);
  flushHeldHeaders();
  emit(text_raw_);
  text_raw_.clear();
  mode_ = Mode::Pass;
}

void MimeRewriter::flushHeldHeaders() {
  for (const auto& header : part_headers_) emit(header.raw);
  emit(header_terminator_);
  part_headers_.clear();
  header_terminator_.clear();
}

Result<std::string> rewriteWholeMessage(std::string_view message, const TextPartHandler& handler, WalkReport* report) {
  std::size_t body_start = message.size();
  std::size_t header_end = message.size();
  for (std::size_t i = 0; i < message.size();) {  // the first empty line ends the header block
    std::size_t end = message.find('\n', i);
    if (end == std::string_view::npos) break;
    if (stripLineEnd(message.substr(i, end + 1 - i)).empty()) {
      header_end = i;
      body_start = end + 1;
      break;
    }
    i = end + 1;
  }
  if (header_end == message.size()) return std::string(message);  // no body at all: nothing to track
  std::vector<RawHeaderField> headers = splitHeaderBlock(message.substr(0, header_end));
  std::string body;
  MimeRewriter walker(headerValue(headers, "content-type"), headerValue(headers, "content-transfer-encoding"), handler,
                      [&body](std::string_view bytes) { body.append(bytes); });
  walker.push(message.substr(body_start));
  if (auto status = walker.finish(); !status) return makeError(status.error());
  if (report) *report = walker.report();
  if (auto changed = walker.topLevelEncoding()) {
    const bool crlf = header_end >= 2 && message.substr(0, header_end).find("\r\n") != std::string_view::npos;
    setTransferEncodingHeader(headers, *changed, crlf ? "\r\n" : "\n");
  }
  std::string out;
  out.reserve(message.size() + body.size() / 8);
  for (const auto& header : headers) out += header.raw;
  out.append(message.substr(header_end, body_start - header_end));
  out += body;
  return out;
}

}  // namespace waybill::mime
