// The rules on what a caller may put into a built message (message_builder.h declares them).
#include <algorithm>
#include <array>
#include <cctype>

#include "mail/address.h"
#include "mail/message_builder.h"
#include "util/utf8.h"

namespace waybill::mail {
namespace {

constexpr std::size_t kMaxHeaderName = 76;
constexpr std::size_t kMaxHeaderValue = 8000;
constexpr std::size_t kMaxTag = 255;
constexpr std::size_t kMaxContentType = 127;
constexpr std::size_t kMaxContentId = 250;
constexpr std::size_t kMaxFilename = 255;

// Headers the builder writes from the Submission's own fields, or that only a relay may add.
constexpr std::array<std::string_view, 12> kReservedHeaders = {
    "from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version",
    "return-path", "received", "dkim-signature", "reply-to"};

bool hasControlCharacter(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7f;
  });
}

bool isTokenCharacter(unsigned char c) {
  return c > 0x20 && c < 0x7f && std::string_view("()<>@,;:\\\"/[]?=").find(static_cast<char>(c)) == std::string_view::npos;
}

bool isToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return isTokenCharacter(static_cast<unsigned char>(c)); });
}

bool startsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && equalsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

}  // namespace

std::optional<std::string> customHeaderProblem(const api::CustomHeader& header) {
  const std::string_view name = header.name;
  if (name.empty()) return "the header name is empty";
  if (name.size() > kMaxHeaderName) return "the header name is longer than 76 characters";
  if (!std::all_of(name.begin(), name.end(), [](char ch) { return ch > 0x20 && ch < 0x7f && ch != ':'; }))
    return "the header name may hold only printable ASCII without spaces or ':'";
  const std::string lower = toLower(name);
  if (std::find(kReservedHeaders.begin(), kReservedHeaders.end(), lower) != kReservedHeaders.end())
    return "the " + header.name + " header is set from its own field, not as a custom header";
  if (startsWithIgnoreCase(name, "content-")) return "Content-* headers are written by Waybill";
  if (startsWithIgnoreCase(name, "x-waybill-") && lower != "x-waybill-unsubscribe")
    return "X-Waybill-* control headers are set from their own fields (only X-Waybill-Unsubscribe may be given)";
  if (header.value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
    return "the header value holds a line break or NUL";
  if (header.value.size() > kMaxHeaderValue) return "the header value is longer than 8000 bytes";
  if (!isValidUtf8(header.value)) return "the header value is not valid UTF-8";
  return std::nullopt;
}

std::optional<std::string> tagProblem(std::string_view tag) {
  if (tag.empty()) return "a tag is empty";
  if (tag.size() > kMaxTag) return "a tag is longer than 255 bytes";
  if (tag.find(',') != std::string_view::npos) return "a tag may not hold a comma";
  if (hasControlCharacter(tag) || !isValidUtf8(tag)) return "a tag holds a control character or invalid UTF-8";
  if (tag.front() == ' ' || tag.back() == ' ') return "a tag may not start or end with a space";
  return std::nullopt;
}

std::optional<std::string> contentTypeProblem(std::string_view content_type) {
  const std::size_t slash = content_type.find('/');
  if (content_type.size() > kMaxContentType || slash == std::string_view::npos ||
      !isToken(content_type.substr(0, slash)) || !isToken(content_type.substr(slash + 1)))
    return "the content type is not a media type such as application/pdf";
  if (startsWithIgnoreCase(content_type, "multipart/") || startsWithIgnoreCase(content_type, "message/"))
    return "multipart and message attachments are not supported";
  return std::nullopt;
}

std::optional<std::string> contentIdProblem(std::string_view content_id) {
  if (content_id.empty()) return "the content id is empty";
  if (content_id.size() > kMaxContentId) return "the content id is longer than 250 characters";
  const bool allowed = std::all_of(content_id.begin(), content_id.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return std::isalnum(c) != 0 || std::string_view("!#$%&'*+-/=?^_`{|}~.@").find(ch) != std::string_view::npos;
  });
  if (!allowed) return "the content id may hold only letters, digits and !#$%&'*+-/=?^_`{|}~.@";
  return std::nullopt;
}

std::optional<std::string> filenameProblem(std::string_view filename) {
  if (filename.empty()) return "the file name is empty";
  if (filename.size() > kMaxFilename) return "the file name is longer than 255 bytes";
  if (hasControlCharacter(filename) || filename.find('\t') != std::string_view::npos || !isValidUtf8(filename))
    return "the file name holds a control character or invalid UTF-8";
  return std::nullopt;
}

}  // namespace waybill::mail
