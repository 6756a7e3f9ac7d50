#include "mail/message_builder_headers.h"

#include <algorithm>
#include <cctype>

#include "mail/address_syntax.h"
#include "mime/transfer_encoding.h"

namespace waybill::mail {
namespace {

constexpr std::size_t kFoldColumn = 78;
constexpr std::size_t kMaxLine = 998;
// "=?UTF-8?B?" + 60 base64 characters + "?=" is 72 characters, under RFC 2047's 75.
constexpr std::size_t kBytesPerEncodedWord = 45;
// An ASCII word longer than this is written as encoded words, which can be split.
constexpr std::size_t kLongestPlainWord = 900;

bool isUtf8Continuation(char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }

// Encoded words each holding whole UTF-8 characters, joined by spaces.
std::string encodedWords(std::string_view value) {
  std::string out;
  std::size_t at = 0;
  while (at < value.size()) {
    std::size_t end = std::min(at + kBytesPerEncodedWord, value.size());
    while (end < value.size() && end > at + 1 && isUtf8Continuation(value[end])) --end;
    if (!out.empty()) out += ' ';
    out += "=?UTF-8?B?" + mime::encodeBase64(value.substr(at, end - at), "") + "?=";
    at = end;
  }
  return out;
}

bool isPlainAscii(unsigned char c) { return c >= 0x20 && c < 0x7f; }

bool needsEncoding(std::string_view value) {
  if (value.find("=?") != std::string_view::npos) return true;
  std::size_t word = 0;
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c != '\t' && !isPlainAscii(c)) return true;
    word = c == ' ' ? 0 : word + 1;
    if (word > kLongestPlainWord) return true;
  }
  return false;
}

bool isAtext(unsigned char c) {
  return std::isalnum(c) != 0 || std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool isAtomPhrase(std::string_view name) {
  if (name.empty() || name.front() == ' ' || name.back() == ' ' || name.find("  ") != std::string_view::npos) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return c == ' ' || isAtext(static_cast<unsigned char>(c)); });
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Offsets of the spaces a fold may go before: outside quoted strings, followed by a non-space
// (so no continuation line is blank).
std::vector<std::size_t> breakPoints(std::string_view value) {
  std::vector<std::size_t> points;
  bool in_quotes = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (in_quotes && c == '\\') {
      ++i;
    } else if (c == '"') {
      in_quotes = !in_quotes;
    } else if (!in_quotes && c == ' ' && i > 0 && i + 1 < value.size() && value[i + 1] != ' ') {
      points.push_back(i);
    }
  }
  return points;
}

}  // namespace

std::string encodeUnstructured(std::string_view value) {
  return needsEncoding(value) ? encodedWords(value) : std::string(value);
}

std::string encodePhrase(std::string_view name) {
  if (needsEncoding(name) || name.find('\t') != std::string_view::npos) return encodedWords(name);
  return isAtomPhrase(name) ? std::string(name) : quoted(name);
}

std::optional<std::string> asciiAddress(std::string_view address) {
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  auto domain = asciiDomain(address.substr(at + 1));
  if (!domain) return std::nullopt;
  return std::string(address.substr(0, at + 1)) + *domain;
}

std::optional<std::string> formatMailbox(const api::Mailbox& mailbox) {
  auto address = asciiAddress(mailbox.address);
  if (!address) return std::nullopt;
  if (mailbox.display_name.empty()) return address;
  return encodePhrase(mailbox.display_name) + " <" + *address + ">";
}

std::optional<std::string> foldHeader(std::string_view name, std::string_view value) {
  std::string out(name);
  out += ": ";
  std::size_t line_start = 0;
  std::size_t segment_start = 0;
  auto append = [&](std::size_t end) {
    const std::string_view segment = value.substr(segment_start, end - segment_start);
    const bool line_has_value = out.size() - line_start > name.size() + 2 || line_start > 0;
    if (line_has_value && out.size() - line_start + segment.size() > kFoldColumn && segment_start > 0) {
      out += "\r\n";
      line_start = out.size();
    }
    out += segment;
    segment_start = end;
    return out.size() - line_start <= kMaxLine;
  };
  for (std::size_t point : breakPoints(value))
    if (!append(point)) return std::nullopt;
  if (!append(value.size())) return std::nullopt;
  out += "\r\n";
  return out;
}

}  // namespace waybill::mail
