#include <gtest/gtest.h>

#include "mime/mime_rewriter.h"

namespace waybill::mime {
namespace {

// Marks every text part it sees, so the tests can tell which parts were handed over.
Result<std::string> markParts(const TextPart& part, std::string_view decoded) {
  return std::string(decoded) + "[" + part.media_type + "]";
}

std::string rewrite(std::string_view message, WalkReport* report = nullptr) {
  auto out = rewriteWholeMessage(message, markParts, report);
  EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error());
  return out.ok() ? *out : "";
}

constexpr std::string_view kMixed =
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=inner\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "plain\r\n"
    "--inner\r\n"
    "Content-Type: text/html; charset=\"iso-8859-1\"\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "<p>caf=E9</p>\r\n"
    "--inner--\r\n"
    "--outer\r\n"
    "Content-Type: application/pdf\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0xLjQK\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<p>inner message</p>\r\n"
    "--outer--\r\n"
    "epilogue\r\n";

TEST(MimeRewriter, RewritesOnlyTextPartsOfNestedMultiparts) {
  WalkReport report;
  const std::string out = rewrite(kMixed, &report);
  EXPECT_EQ(report.parts_rewritten, 2);
  EXPECT_NE(out.find("\r\nplain[text/plain]\r\n--inner\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("<p>caf=E9</p>[text/html]\r\n--inner--"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\nJVBERi0xLjQK\r\n--outer\r\n"), std::string::npos);
  EXPECT_NE(out.find("<p>inner message</p>\r\n--outer--\r\nepilogue\r\n"), std::string::npos);  // rfc822 untouched
  EXPECT_NE(out.find("preamble\r\n--outer\r\n"), std::string::npos);
}

TEST(MimeRewriter, ChunkingDoesNotChangeTheOutput) {
  const std::string whole = rewrite(kMixed);
  for (std::size_t chunk : {1u, 2u, 7u, 64u}) {
    const std::size_t body = kMixed.find("\r\n\r\n") + 4;
    std::string out;
    MimeRewriter walker("multipart/mixed; boundary=\"outer\"", "", markParts, [&](std::string_view b) { out += b; });
    for (std::size_t i = body; i < kMixed.size(); i += chunk) walker.push(kMixed.substr(i, chunk));
    ASSERT_TRUE(walker.finish().ok());
    EXPECT_EQ(std::string(kMixed.substr(0, body)) + out, whole) << chunk;
  }
}

TEST(MimeRewriter, LeavesSignedAttachmentsAndOddCharsetsAlone) {
  const std::string signed_message =
      "Content-Type: multipart/signed; boundary=s; protocol=\"application/pgp-signature\"\r\n\r\n"
      "--s\r\nContent-Type: text/html\r\n\r\n<a href=\"http://x\">x</a>\r\n--s\r\n"
      "Content-Type: application/pgp-signature\r\n\r\nSIG\r\n--s--\r\n";
  EXPECT_EQ(rewrite(signed_message), signed_message);

  const std::string attached =
      "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/html\n"
      "Content-Disposition: attachment; filename=page.html\n\n<p>doc</p>\n--b--\n";
  EXPECT_EQ(rewrite(attached), attached);

  WalkReport report;
  const std::string utf16 = "Content-Type: text/html; charset=UTF-16\n\n\xFF\xFE<\0p\0>\0\n";
  EXPECT_EQ(rewrite(utf16, &report), utf16);
  ASSERT_EQ(report.skipped.size(), 1u);
  EXPECT_NE(report.skipped[0].find("UTF-16"), std::string::npos);
}

TEST(MimeRewriter, Base64PartIsReencodedInBase64) {
  const std::string message =
      "Content-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\nPHA+aGk8L3A+\r\n";  // <p>hi</p>
  const std::string out = rewrite(message);
  EXPECT_EQ(out, "Content-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                 "PHA+aGk8L3A+W3RleHQvaHRtbF0=\r\n");  // <p>hi</p>[text/html]
}

TEST(MimeRewriter, OverlongLinesSwitchTo_QuotedPrintable) {
  const std::string long_line(990, 'a');
  const std::string top = "Content-Type: text/plain\r\n\r\n" + long_line + "\r\n";
  const std::string out = rewrite(top);  // 990 + "[text/plain]" > 998
  EXPECT_NE(out.find("Content-Transfer-Encoding: quoted-printable\r\n\r\n"), std::string::npos) << out;

  const std::string nested = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                             "Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
                             long_line + "\r\n--b--\r\n";
  const std::string nested_out = rewrite(nested);
  EXPECT_NE(nested_out.find("Content-Transfer-Encoding: quoted-printable\r\n\r\n"), std::string::npos);
  EXPECT_EQ(nested_out.find("8bit"), std::string::npos);
  EXPECT_NE(nested_out.find("[text/plain]\r\n--b--"), std::string::npos);
}

TEST(MimeRewriter, HandlerErrorFailsTheWalk) {
  auto failing = [](const TextPart&, std::string_view) -> Result<std::string> { return makeError("boom"); };
  auto out = rewriteWholeMessage("Content-Type: text/html\n\n<p>x</p>\n", failing);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error(), "boom");
}

TEST(MimeRewriter, GarbageNeverCrashesAndUnknownPartsPass) {
  for (std::string_view garbage : {"", "\r\n", "no header break", "Content-Type: multipart/mixed; boundary=\n\n--\n",
                                   "Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n--b--\n--b--",
                                   "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: image/png\n"}) {
    auto out = rewriteWholeMessage(garbage, markParts);
    EXPECT_TRUE(out.ok());
  }
}

}  // namespace
}  // namespace waybill::mime
