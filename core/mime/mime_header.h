// MIME header helpers for the walker: splitting a raw header block into fields (folded lines
// kept), unfolding a value, and parsing Content-Type / Content-Disposition parameters (RFC 2045,
// quoted strings and comments tolerated; RFC 2231 continuations are not needed for the
// parameters the walker reads: boundary and charset).
//
//   ContentType type = parseContentType("text/html; charset=\"UTF-8\"");
//   type.media_type == "text/html"; type.param("charset") == "UTF-8"
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace waybill::mime {

struct ContentType {
  std::string media_type;  // lower case "type/subtype"; empty when absent or malformed
  std::vector<std::pair<std::string, std::string>> params;  // names lower case

  std::string param(std::string_view name) const;
  bool isMultipart() const { return media_type.rfind("multipart/", 0) == 0; }
};

ContentType parseContentType(std::string_view value);
// The disposition type of a Content-Disposition value, lower case ("attachment", "inline", "").
std::string dispositionType(std::string_view value);

// One header field as it came, first line and continuation lines with their line endings.
struct RawHeaderField {
  std::string raw;
  std::string_view name() const;
  std::string value() const;  // unfolded, without the name, colon and surrounding blanks
};

// ASCII-compatible charsets can be rewritten byte-wise: '<', '"', '=' and URL characters are the
// same bytes as in ASCII and never occur inside a multi-byte character.
bool isAsciiCompatibleCharset(std::string_view charset);

}  // namespace waybill::mime
