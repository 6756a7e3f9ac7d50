// Content-Transfer-Encoding codecs for the parts the tracker rewrites: quoted-printable and base64
// (RFC 2045), decoding leniently (real mail is sloppy) and encoding strictly, with encoded lines
// of at most 76 characters plus the given line ending.
//
//   std::string text = decodeQuotedPrintable(raw);            // "=3D" -> "=", soft breaks joined
//   std::string raw2 = encodeQuotedPrintable(text, "\r\n");   // hard line breaks kept
#pragma once

#include <string>
#include <string_view>

namespace waybill::mime {

enum class TransferEncoding { SevenBit, EightBit, Binary, QuotedPrintable, Base64, Unknown };

// From a Content-Transfer-Encoding value (case and spaces ignored); empty means 7bit.
TransferEncoding parseTransferEncoding(std::string_view value);
const char* transferEncodingName(TransferEncoding encoding);

// Invalid "=" sequences are kept as they are; soft line breaks ("=" before CRLF or LF) vanish.
std::string decodeQuotedPrintable(std::string_view encoded);
// Hard line breaks (LF or CRLF in `text`) stay as they are, so decoding gives `text` back exactly;
// lines are cut with "=" + `eol` soft breaks at 76 characters.
std::string encodeQuotedPrintable(std::string_view text, std::string_view eol);

// Characters outside the alphabet (line breaks, spaces, garbage) are skipped, as RFC 2045 says.
std::string decodeBase64(std::string_view encoded);
// 76 characters per line, each line ended by `eol`.
std::string encodeBase64(std::string_view bytes, std::string_view eol);
// Base64 in 76-character pieces joined by single spaces (no trailing space), for a header value
// that folds; decodeBase64 skips the spaces.
std::string encodeFoldableBase64(std::string_view bytes);

}  // namespace waybill::mime
