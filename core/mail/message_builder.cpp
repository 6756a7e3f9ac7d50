#include "mail/message_builder.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <set>

#include <fmt/format.h>

#include "mail/address.h"
#include "mail/message_builder_headers.h"
#include "mail/message_metadata.h"
#include "mime/transfer_encoding.h"
#include "util/utc_time.h"

namespace waybill::mail {
namespace {

using api::FieldResult;
using api::fieldError;

constexpr std::size_t kMaxBodyLine = 998;
constexpr std::size_t kMaxIdLength = 64;

// One MIME entity: its header fields (each ending in CRLF) and its body.
struct Entity {
  std::string headers;
  std::string body;
};

std::string serialize(const Entity& entity) { return entity.headers + "\r\n" + entity.body; }

// Every line break (CRLF, lone LF, lone CR) as CRLF.
std::string withCrlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (text[i] == '\n') {
      out += "\r\n";
    } else {
      out += text[i];
    }
  }
  return out;
}

// 7bit is safe for short-lined printable ASCII that cannot contain a boundary (they all start
// with "=_", which quoted-printable always escapes).
bool fitsSevenBit(std::string_view crlf_text) {
  if (crlf_text.find("=_") != std::string_view::npos) return false;
  std::size_t line = 0;
  for (char ch : crlf_text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\r' || c == '\n') {
      line = 0;
      continue;
    }
    if ((c < 0x20 && c != '\t') || c >= 0x7f || ++line > kMaxBodyLine) return false;
  }
  return true;
}

Entity textEntity(std::string_view media_type, std::string_view text) {
  const std::string crlf = withCrlf(text);
  Entity entity;
  entity.headers = fmt::format("Content-Type: {}; charset=utf-8\r\n", media_type);
  if (fitsSevenBit(crlf)) {
    entity.headers += "Content-Transfer-Encoding: 7bit\r\n";
    entity.body = crlf;
  } else {
    entity.headers += "Content-Transfer-Encoding: quoted-printable\r\n";
    entity.body = mime::encodeQuotedPrintable(crlf, "\r\n");
  }
  return entity;  // no line break added: the one before the next boundary belongs to the boundary
}

bool isAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// filename="..." for ASCII names; RFC 2231 filename*=UTF-8''%XX for the others.
std::string filenameParameter(std::string_view attribute, std::string_view filename) {
  if (isAscii(filename)) {
    std::string quoted;
    for (char c : filename) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    return fmt::format("{}=\"{}\"", attribute, quoted);
  }
  std::string encoded;
  for (char ch : filename) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || std::string_view("!#$&+-.^_`|~").find(ch) != std::string_view::npos)
      encoded += ch;
    else
      encoded += fmt::format("%{:02X}", c);
  }
  return fmt::format("{}*=UTF-8''{}", attribute, encoded);
}

FieldResult<Entity> attachmentEntity(const api::Attachment& attachment, std::size_t index, bool inline_image) {
  const std::string field = fmt::format("attachments[{}]", index);
  if (auto problem = filenameProblem(attachment.filename)) return fieldError(field + ".filename", *problem);
  const std::string type = attachment.content_type.empty() ? "application/octet-stream" : attachment.content_type;
  if (auto problem = contentTypeProblem(type)) return fieldError(field + ".content_type", *problem);
  if (!attachment.content_id.empty())
    if (auto problem = contentIdProblem(attachment.content_id)) return fieldError(field + ".content_id", *problem);
  const std::string disposition = inline_image ? "inline" : "attachment";
  std::string headers;
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"Content-Type", type + "; " + filenameParameter("name", attachment.filename)},
      {"Content-Disposition", disposition + "; " + filenameParameter("filename", attachment.filename)},
      {"Content-Transfer-Encoding", "base64"}};
  for (const auto& [name, value] : fields) {
    auto folded = foldHeader(name, value);
    if (!folded) return fieldError(field + ".filename", "the file name is too long for a header line");
    headers += *folded;
  }
  if (!attachment.content_id.empty()) headers += "Content-ID: <" + attachment.content_id + ">\r\n";
  return Entity{std::move(headers), mime::encodeBase64(attachment.content, "\r\n")};
}

Entity multipart(std::string_view subtype, const std::string& boundary, const std::vector<Entity>& parts) {
  Entity entity;
  entity.headers = fmt::format("Content-Type: multipart/{};\r\n boundary=\"{}\"\r\n", subtype, boundary);
  for (const auto& part : parts) entity.body += "--" + boundary + "\r\n" + serialize(part) + "\r\n";
  entity.body += "--" + boundary + "--\r\n";
  return entity;
}

// What the unique id source gave, cut down to characters a Message-ID and a boundary can carry.
std::string safeId(std::string_view id) {
  std::string out;
  for (char c : id)
    if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-') out += c;
  if (out.size() > kMaxIdLength) out.resize(kMaxIdLength);
  return out.empty() ? std::string("0") : out;
}

class BodyAssembler {
 public:
  BodyAssembler(const api::Submission& submission, std::string id) : submission_(submission), id_(std::move(id)) {}

  FieldResult<Entity> assemble() {
    std::vector<Entity> inline_images;
    std::vector<Entity> attached;
    const bool has_html = submission_.html.has_value();
    for (std::size_t i = 0; i < submission_.attachments.size(); ++i) {
      const auto& attachment = submission_.attachments[i];
      const bool inline_image = has_html && !attachment.content_id.empty();
      auto entity = attachmentEntity(attachment, i, inline_image);
      if (!entity) return entity.error();
      (inline_image ? inline_images : attached).push_back(std::move(*entity));
    }
    Entity body = textBody(std::move(inline_images));
    if (attached.empty()) return body;
    attached.insert(attached.begin(), std::move(body));
    return multipart("mixed", nextBoundary(), attached);
  }

 private:
  Entity textBody(std::vector<Entity> inline_images) {
    const auto& text = submission_.text;
    const auto& html = submission_.html;
    if (!html) return textEntity("text/plain", text.value_or(""));  // a template fills it later
    Entity html_part = textEntity("text/html", *html);
    if (!inline_images.empty()) {
      inline_images.insert(inline_images.begin(), std::move(html_part));
      html_part = multipart("related", nextBoundary(), inline_images);
    }
    if (!text) return html_part;
    return multipart("alternative", nextBoundary(), {textEntity("text/plain", *text), std::move(html_part)});
  }

  std::string nextBoundary() { return fmt::format("=_wb.{}.{}", id_, ++boundaries_); }

  const api::Submission& submission_;
  std::string id_;
  int boundaries_ = 0;
};

std::string rfc3339(std::chrono::system_clock::time_point when) {
  return formatUtcTime(std::chrono::system_clock::to_time_t(when), kRfc3339Utc);
}

const char* trackMode(bool opens, bool clicks) {
  if (opens && clicks) return "all";
  if (opens) return "opens";
  if (clicks) return "clicks";
  return "none";
}

class HeaderWriter {
 public:
  bool add(std::string_view name, std::string_view value) {
    auto folded = foldHeader(name, value);
    if (!folded) return false;
    block_ += *folded;
    return true;
  }
  std::string& block() { return block_; }

 private:
  std::string block_;
};

FieldResult<std::string> mailboxList(const std::vector<api::Mailbox>& list, std::string_view field) {
  std::string value;
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto formatted = formatMailbox(list[i]);
    if (!formatted) return fieldError(fmt::format("{}[{}]", field, i), "the domain is not a valid internationalized name");
    if (!value.empty()) value += ", ";
    value += *formatted;
  }
  return value;
}

FieldResult<std::string> addressHeaders(const api::Submission& submission, HeaderWriter& writer) {
  auto from = formatMailbox(submission.from);
  if (!from) return fieldError("from", "the domain is not a valid internationalized name");
  if (!writer.add("From", *from)) return fieldError("from", "the display name is too long for a header line");
  const std::pair<const std::vector<api::Mailbox>*, const char*> lists[] = {
      {&submission.reply_to, "Reply-To"}, {&submission.to, "To"}, {&submission.cc, "Cc"}};
  for (const auto& [list, name] : lists) {
    if (list->empty()) continue;
    const std::string field = toLower(name) == "reply-to" ? "reply_to" : toLower(name);
    auto value = mailboxList(*list, field);
    if (!value) return value.error();
    if (!writer.add(name, *value)) return fieldError(field, "a display name is too long for a header line");
  }
  return std::string();
}

api::Check controlHeaders(const api::Submission& submission, const BuildContext& context, HeaderWriter& writer) {
  for (const auto& header : submission.headers) {
    if (auto problem = customHeaderProblem(header)) return fieldError("headers." + header.name, *problem);
    if (!writer.add(header.name, encodeUnstructured(header.value)))
      return fieldError("headers." + header.name, "the value has a word too long for a header line");
  }
  if (!submission.tags.empty()) {
    std::string tags;
    for (const auto& tag : submission.tags) {
      if (auto problem = tagProblem(tag)) return fieldError("tags", *problem);
      tags += (tags.empty() ? "" : ", ") + tag;  // raw UTF-8: the milter reads and removes it
    }
    if (!writer.add("X-Waybill-Tags", tags)) return fieldError("tags", "a tag is too long for a header line");
  }
  if (!submission.metadata.empty()) {
    if (auto problem = metadataProblem(submission.metadata)) return fieldError("metadata", *problem);
    writer.add("X-Waybill-Metadata", encodeMetadataHeader(submission.metadata));
  }
  if (submission.send_at) writer.add("X-Waybill-Send-At", rfc3339(*submission.send_at));
  if (submission.track_opens || submission.track_clicks)
    writer.add("X-Waybill-Track", trackMode(submission.track_opens.value_or(context.default_track_opens),
                                            submission.track_clicks.value_or(context.default_track_clicks)));
  if (submission.template_name) {
    const api::CustomHeader probe{"X-Template", *submission.template_name};
    if (customHeaderProblem(probe) || !writer.add("X-Waybill-Template", encodeUnstructured(*submission.template_name)))
      return fieldError("template", "the template name is not a one-line name");
    if (submission.template_data) writer.add("X-Waybill-Template-Data", mime::encodeFoldableBase64(*submission.template_data));
  }
  return std::nullopt;
}

std::vector<std::string> envelopeRecipients(const api::Submission& submission) {
  std::vector<std::string> recipients;
  std::set<std::string> seen;
  for (const auto* list : {&submission.to, &submission.cc, &submission.bcc})
    for (const auto& mailbox : *list)
      if (auto address = asciiAddress(mailbox.address); address && seen.insert(toLower(*address)).second)
        recipients.push_back(*address);
  return recipients;
}

}  // namespace

api::FieldResult<BuiltMessage> buildMessage(const api::Submission& submission, const BuildContext& context) {
  BuiltMessage built;
  const std::string id = safeId(context.unique_id ? context.unique_id() : std::string());
  auto domain = asciiAddress("x@" + context.message_id_domain);
  if (!domain || domain->size() < 3) return fieldError("", "the Message-ID domain is not a valid domain");
  built.message_id = "<" + id + domain->substr(1) + ">";

  auto envelope_from = asciiAddress(submission.from.address);
  if (!envelope_from) return fieldError("from", "the domain is not a valid internationalized name");
  built.envelope_from = *envelope_from;
  for (const auto& mailbox : submission.bcc)
    if (!asciiAddress(mailbox.address)) return fieldError("bcc", "the domain is not a valid internationalized name");
  built.envelope_recipients = envelopeRecipients(submission);
  if (built.envelope_recipients.empty()) return fieldError("to", "there is no recipient");

  HeaderWriter writer;
  const auto now = context.clock ? context.clock() : std::chrono::system_clock::now();
  writer.add("Date", formatRfc5322Date(now));
  if (auto addresses = addressHeaders(submission, writer); !addresses) return addresses.error();
  if (!writer.add("Subject", encodeUnstructured(submission.subject)))
    return fieldError("subject", "the subject is too long for a header line");
  writer.add("Message-ID", built.message_id);
  writer.add("MIME-Version", "1.0");
  if (auto bad = controlHeaders(submission, context, writer)) return *bad;

  auto body = BodyAssembler(submission, id).assemble();
  if (!body) return body.error();
  built.message = std::move(writer.block()) + serialize(*body);
  if (!built.message.ends_with("\r\n")) built.message += "\r\n";  // DATA ends with a line
  return built;
}

}  // namespace waybill::mail
