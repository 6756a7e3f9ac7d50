#include "mime/transfer_encoding.h"

#include <array>
#include <algorithm>
#include <cctype>
#include <cstring>

#include "text/ascii_text.h"

namespace waybill::mime {
namespace {

constexpr std::size_t kMaxEncodedLine = 76;
constexpr char kHexDigits[] = "0123456789ABCDEF";
constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::array<int, 256> base64Table() {
  std::array<int, 256> table{};
  table.fill(-1);
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(kBase64Alphabet[i])] = i;
  return table;
}

void appendQpEscape(std::string& out, unsigned char c) {
  out += '=';
  out += kHexDigits[c >> 4];
  out += kHexDigits[c & 15];
}

// Printable ASCII but '=' stays as is; a blank only when another character follows on the line.
bool isQpLiteral(unsigned char c, bool last) {
  return (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
}

// Encodes one hard line (without its break), cutting with "=" soft breaks so that no encoded
// line passes 76 characters. Runs of literal characters are copied in bulk (the common case).
void encodeQpLine(std::string_view line, std::string_view eol, std::string& out) {
  constexpr std::size_t kRoom = kMaxEncodedLine - 1;  // keep one column for the soft-break '='
  std::size_t column = 0;
  auto softBreak = [&] {
    out += '=';
    out += eol;
    column = 0;
  };
  std::size_t i = 0;
  while (i < line.size()) {
    std::size_t run_end = i;
    while (run_end < line.size() && isQpLiteral(static_cast<unsigned char>(line[run_end]), run_end + 1 == line.size()))
      ++run_end;
    while (i < run_end) {
      if (column == kRoom) softBreak();
      if (column == 0 && line[i] == '-') {
        // An encoded line never starts with '-': a soft break could otherwise put "--boundary"
        // text that sat mid-line at the start of a line, where it ends the MIME part.
        appendQpEscape(out, '-');
        column += 3;
        ++i;
        continue;
      }
      const std::size_t take = std::min(kRoom - column, run_end - i);
      out.append(line.data() + i, take);
      i += take;
      column += take;
    }
    if (i == line.size()) break;
    if (column + 3 > kRoom) softBreak();
    appendQpEscape(out, static_cast<unsigned char>(line[i++]));
    column += 3;
  }
}

}  // namespace

TransferEncoding parseTransferEncoding(std::string_view value) {
  std::string lower;
  for (char c : value)
    if (!std::isspace(static_cast<unsigned char>(c))) lower += toLowerAscii(c);
  if (lower.empty() || lower == "7bit") return TransferEncoding::SevenBit;
  if (lower == "8bit") return TransferEncoding::EightBit;
  if (lower == "binary") return TransferEncoding::Binary;
  if (lower == "quoted-printable") return TransferEncoding::QuotedPrintable;
  if (lower == "base64") return TransferEncoding::Base64;
  return TransferEncoding::Unknown;
}

const char* transferEncodingName(TransferEncoding encoding) {
  switch (encoding) {
    case TransferEncoding::SevenBit: return "7bit";
    case TransferEncoding::EightBit: return "8bit";
    case TransferEncoding::Binary: return "binary";
    case TransferEncoding::QuotedPrintable: return "quoted-printable";
    case TransferEncoding::Base64: return "base64";
    case TransferEncoding::Unknown: break;
  }
  return "unknown";
}

std::string decodeQuotedPrintable(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  std::size_t i = 0;
  while (i < encoded.size()) {
    const void* hit = std::memchr(encoded.data() + i, '=', encoded.size() - i);
    const std::size_t equals = hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - encoded.data()) : encoded.size();
    out.append(encoded.substr(i, equals - i));
    if (equals == encoded.size()) break;
    // Soft line break: '=' then optional trailing white space then LF or CRLF.
    std::size_t j = equals + 1;
    while (j < encoded.size() && (encoded[j] == ' ' || encoded[j] == '\t')) ++j;
    if (j < encoded.size() && encoded[j] == '\n') { i = j + 1; continue; }
    if (j + 1 < encoded.size() && encoded[j] == '\r' && encoded[j + 1] == '\n') { i = j + 2; continue; }
    if (j == encoded.size()) break;  // '=' (and blanks) at the very end: a final soft break
    if (equals + 2 < encoded.size() && hexValue(encoded[equals + 1]) >= 0 && hexValue(encoded[equals + 2]) >= 0) {
      out += static_cast<char>(hexValue(encoded[equals + 1]) * 16 + hexValue(encoded[equals + 2]));
      i = equals + 3;
      continue;
    }
    out += '=';  // not a valid escape: keep it, as most readers do
    i = equals + 1;
  }
  return out;
}

std::string encodeQuotedPrintable(std::string_view text, std::string_view eol) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t newline = text.find('\n', start);
    const bool has_break = newline != std::string_view::npos;
    std::size_t end = has_break ? newline : text.size();
    // A CR belongs to the line break only when it comes right before the LF.
    if (has_break && end > start && text[end - 1] == '\r') --end;
    encodeQpLine(text.substr(start, end - start), eol, out);
    if (!has_break) break;
    out.append(text.substr(end, newline + 1 - end));  // the hard break as it was: decoding gives it back
    start = newline + 1;
  }
  return out;
}

std::string decodeBase64(std::string_view encoded) {
  static const std::array<int, 256> table = base64Table();
  std::string out;
  out.reserve(encoded.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : encoded) {
    if (c == '=') break;  // padding ends the data
    const int value = table[static_cast<unsigned char>(c)];
    if (value < 0) continue;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

std::string encodeBase64(std::string_view bytes, std::string_view eol) {
  std::string out;
  out.reserve(bytes.size() * 4 / 3 + bytes.size() / 57 * eol.size() + 8);
  std::size_t column = 0;
  auto put = [&](char c) {
    out += c;
    if (++column == kMaxEncodedLine) {
      out += eol;
      column = 0;
    }
  };
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const auto n = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                   (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                   static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
    put(kBase64Alphabet[(n >> 18) & 63]);
    put(kBase64Alphabet[(n >> 12) & 63]);
    put(kBase64Alphabet[(n >> 6) & 63]);
    put(kBase64Alphabet[n & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    put(kBase64Alphabet[(n >> 18) & 63]);
    put(kBase64Alphabet[(n >> 12) & 63]);
    put(rest == 2 ? kBase64Alphabet[(n >> 6) & 63] : '=');
    put('=');
  }
  if (column != 0) out += eol;
  return out;
}

std::string encodeFoldableBase64(std::string_view bytes) {
  std::string encoded = encodeBase64(bytes, " ");
  while (!encoded.empty() && encoded.back() == ' ') encoded.pop_back();
  return encoded;
}

}  // namespace waybill::mime
