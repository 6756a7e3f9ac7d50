#include <gtest/gtest.h>

#include "mime/transfer_encoding.h"

namespace waybill::mime {
namespace {

TEST(QuotedPrintable, DecodesEscapesAndSoftBreaks) {
  EXPECT_EQ(decodeQuotedPrintable("a=3Db=\r\nc=\nd"), "a=bcd");
  EXPECT_EQ(decodeQuotedPrintable("caf=C3=A9 =  \r\nx"), "caf\xC3\xA9 x");
  EXPECT_EQ(decodeQuotedPrintable("bad =ZZ and =4"), "bad =ZZ and =4");  // kept as is
  EXPECT_EQ(decodeQuotedPrintable("line\r\nnext"), "line\r\nnext");       // hard breaks stay
}

TEST(QuotedPrintable, EncodesWithin76AndRoundTrips) {
  std::string text(300, 'x');
  text += " =\xE9\t\r\nnext line ends in a blank \r\n\tlast";
  const std::string encoded = encodeQuotedPrintable(text, "\r\n");
  std::size_t start = 0;
  while (start < encoded.size()) {
    std::size_t end = encoded.find("\r\n", start);
    if (end == std::string::npos) end = encoded.size();
    EXPECT_LE(end - start, 76u) << encoded.substr(start, end - start);
    start = end + 2;
  }
  EXPECT_NE(encoded.find("=3D=E9=09\r\n"), std::string::npos);  // '=' escaped, trailing tab escaped
  EXPECT_NE(encoded.find("blank=20\r\n"), std::string::npos);
  EXPECT_EQ(decodeQuotedPrintable(encoded), text);
}

TEST(QuotedPrintable, NoEncodedLineStartsWithADash) {
  // Wherever a soft break falls, "--alt-1" text from the middle of a line must not begin an
  // encoded line, where a MIME parser would take it for the part's boundary.
  for (std::size_t pad = 0; pad < 80; ++pad) {
    const std::string text = std::string(pad, 'x') + "--alt-1 and -- more -" + std::string(90, '-') + "\r\n--alt-1\r\n";
    const std::string encoded = encodeQuotedPrintable(text, "\r\n");
    std::size_t at = 0;
    while (at < encoded.size()) {
      EXPECT_NE(encoded[at], '-') << "pad " << pad << ": " << encoded;
      const std::size_t eol = encoded.find('\n', at);
      if (eol == std::string::npos) break;
      at = eol + 1;
    }
    EXPECT_EQ(decodeQuotedPrintable(encoded), text) << "pad " << pad;
  }
}

TEST(Base64, RoundTripsAllLengthsWith76CharLines) {
  for (std::size_t length : {0u, 1u, 2u, 3u, 56u, 57u, 58u, 1000u}) {
    std::string bytes;
    for (std::size_t i = 0; i < length; ++i) bytes += static_cast<char>(i * 7 % 256);
    const std::string encoded = encodeBase64(bytes, "\n");
    for (std::size_t start = 0; start < encoded.size();) {
      const std::size_t end = encoded.find('\n', start);
      ASSERT_NE(end, std::string::npos);
      EXPECT_LE(end - start, 76u);
      start = end + 1;
    }
    EXPECT_EQ(decodeBase64(encoded), bytes) << length;
  }
  EXPECT_EQ(decodeBase64("aGVs\r\nbG8=\r\n"), "hello");
  EXPECT_EQ(decodeBase64("aGVs bG8 !!"), "hello");  // garbage skipped
}

TEST(TransferEncoding, ParsesNames) {
  EXPECT_EQ(parseTransferEncoding(""), TransferEncoding::SevenBit);
  EXPECT_EQ(parseTransferEncoding(" Quoted-Printable "), TransferEncoding::QuotedPrintable);
  EXPECT_EQ(parseTransferEncoding("BASE64"), TransferEncoding::Base64);
  EXPECT_EQ(parseTransferEncoding("8bit"), TransferEncoding::EightBit);
  EXPECT_EQ(parseTransferEncoding("x-uuencode"), TransferEncoding::Unknown);
}

}  // namespace
}  // namespace waybill::mime
