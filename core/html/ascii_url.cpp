#include "html/ascii_url.h"

#include <iconv.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "mail/address_syntax.h"
#include "util/utf8.h"

namespace waybill::html {
namespace {

bool isAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

bool namesUtf8(std::string_view charset) {
  std::string lower;
  for (char c : charset) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return lower.empty() || lower == "utf-8" || lower == "utf8" || lower == "us-ascii" || lower == "ascii";
}

// The text in UTF-8, or nothing when it does not decode in `charset` (or iconv does not know it).
std::optional<std::string> toUtf8(std::string_view text, std::string_view charset) {
  if (namesUtf8(charset)) return isValidUtf8(text) ? std::optional<std::string>(std::string(text)) : std::nullopt;
  iconv_t converter = iconv_open("UTF-8", std::string(charset).c_str());
  if (converter == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::string out(text.size() * 4, '\0');  // any single-byte or multi-byte charset fits 4x in UTF-8
  char* in_ptr = const_cast<char*>(text.data());
  std::size_t in_left = text.size();
  char* out_ptr = out.data();
  std::size_t out_left = out.size();
  const std::size_t rc = iconv(converter, &in_ptr, &in_left, &out_ptr, &out_left);
  iconv_close(converter);
  if (rc == static_cast<std::size_t>(-1) || in_left != 0) return std::nullopt;
  out.resize(out.size() - out_left);
  return out;
}

void percentEncodeHigh(std::string_view bytes, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
}

// The host as A-labels; a host IDNA refuses is percent-encoded (it then matches no allowlist).
void appendHost(std::string_view host, std::string& out) {
  if (auto ascii = asciiDomain(host)) {
    out += *ascii;
  } else {
    percentEncodeHigh(host, out);
  }
}

}  // namespace

std::string asciiUrl(std::string_view url, std::string_view charset) {
  if (isAscii(url)) return std::string(url);
  const auto decoded = toUtf8(url, charset);
  const std::string_view text = decoded ? std::string_view(*decoded) : url;
  std::string out;
  out.reserve(text.size() * 3);
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos || !decoded) {
    percentEncodeHigh(text, out);
    return out;
  }
  const std::size_t authority_start = scheme_end + 3;
  const std::size_t authority_end = std::min(text.find_first_of("/?#", authority_start), text.size());
  const std::string_view authority = text.substr(authority_start, authority_end - authority_start);
  const std::size_t at = authority.rfind('@');
  const std::size_t host_start = at == std::string_view::npos ? 0 : at + 1;
  std::size_t host_end = authority.size();
  if (const auto colon = authority.rfind(':'); colon != std::string_view::npos && colon >= host_start &&
                                               authority.find(']', colon) == std::string_view::npos)
    host_end = colon;
  out.append(text.substr(0, authority_start));
  percentEncodeHigh(authority.substr(0, host_start), out);
  appendHost(authority.substr(host_start, host_end - host_start), out);
  out.append(authority.substr(host_end));
  percentEncodeHigh(text.substr(authority_end), out);
  return out;
}

}  // namespace waybill::html
