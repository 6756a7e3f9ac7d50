// The built message is read back with a real MIME reader (core/dsn/mime_lite) to check its
// structure, its encodings and its headers.
#include "mail/message_builder.h"
#include "mail/message_metadata.h"

#include <gtest/gtest.h>

#include "dsn/mime_lite.h"
#include "mail/message_builder_headers.h"
#include "mime/transfer_encoding.h"
#include "text/ascii_text.h"

namespace waybill::mail {
namespace {

using api::Attachment;
using api::Mailbox;
using api::Submission;

BuildContext testContext() {
  return BuildContext{"mail.example.com", [] { return std::string("id1"); },
                      [] { return std::chrono::system_clock::from_time_t(1796115600); }};
}

Submission simple() {
  Submission s;
  s.from = Mailbox{"ann@example.com", "Ann"};
  s.to = {Mailbox{"bob@example.org", ""}};
  s.subject = "Hello";
  s.text = "Hi Bob\n";
  return s;
}

BuiltMessage build(const Submission& s) {
  auto built = buildMessage(s, testContext());
  EXPECT_TRUE(built) << (built ? "" : built.error().field + ": " + built.error().message);
  return built ? *built : BuiltMessage{};
}

dsn::MimeEntity parse(const BuiltMessage& built) { return dsn::parseMime(dsn::normalizeLineEndings(built.message)); }

// Every line ends in CRLF and none is longer than 998 octets.
void expectWellFormedLines(const std::string& message) {
  std::size_t start = 0;
  while (start < message.size()) {
    const std::size_t end = message.find("\r\n", start);
    ASSERT_NE(end, std::string::npos) << "the message does not end in CRLF";
    const std::string_view line(message.data() + start, end - start);
    EXPECT_EQ(line.find_first_of("\r\n"), std::string_view::npos) << "bare CR or LF in: " << line;
    EXPECT_LE(line.size(), 998u);
    start = end + 2;
  }
}

// A child's content: MimeLite keeps the line break before the next boundary, which RFC 2046
// counts as part of the boundary.
std::string partContent(const dsn::MimeEntity& part) {
  std::string body = part.body;
  if (!body.empty() && body.back() == '\n') body.pop_back();
  return body;
}

std::string headerBlock(const std::string& message) { return message.substr(0, message.find("\r\n\r\n") + 2); }

TEST(MessageBuilder, TextOnly) {
  const BuiltMessage built = build(simple());
  expectWellFormedLines(built.message);
  const dsn::MimeEntity root = parse(built);
  EXPECT_EQ(root.content_type, "text/plain");
  EXPECT_EQ(root.charset, "utf-8");
  EXPECT_EQ(root.body, "Hi Bob\n");
  EXPECT_EQ(root.header("From"), "Ann <ann@example.com>");
  EXPECT_EQ(root.header("To"), "bob@example.org");
  EXPECT_EQ(root.header("Subject"), "Hello");
  EXPECT_EQ(root.header("Date"), "Tue, 01 Dec 2026 09:00:00 +0000");
  EXPECT_EQ(root.header("Message-ID"), "<id1@mail.example.com>");
  EXPECT_EQ(built.message_id, "<id1@mail.example.com>");
  EXPECT_EQ(root.header("MIME-Version"), "1.0");
  EXPECT_EQ(built.envelope_from, "ann@example.com");
  EXPECT_EQ(built.envelope_recipients, std::vector<std::string>{"bob@example.org"});
}

TEST(MessageBuilder, HtmlOnlyAndBoth) {
  Submission s = simple();
  s.text.reset();
  s.html = "<p>Hi</p>";
  EXPECT_EQ(parse(build(s)).content_type, "text/html");
  s.text = "Hi";
  const dsn::MimeEntity root = parse(build(s));
  ASSERT_EQ(root.content_type, "multipart/alternative");
  ASSERT_EQ(root.parts.size(), 2u);
  EXPECT_EQ(root.parts[0].content_type, "text/plain");
  EXPECT_EQ(root.parts[1].content_type, "text/html");
  EXPECT_EQ(partContent(root.parts[1]), "<p>Hi</p>");
}

TEST(MessageBuilder, AttachmentsAndInlineImagesRoundTrip) {
  Submission s = simple();
  s.html = "<img src=\"cid:logo\">";
  std::string binary;
  for (int i = 0; i < 5000; ++i) binary += static_cast<char>(i * 7 % 256);
  s.attachments = {Attachment{"report.pdf", binary, "application/pdf", ""},
                   Attachment{"logo.png", std::string("\x89PNG\r\n\x1a\n", 8), "image/png", "logo"}};
  const BuiltMessage built = build(s);
  expectWellFormedLines(built.message);
  const dsn::MimeEntity root = parse(built);
  ASSERT_EQ(root.content_type, "multipart/mixed");
  ASSERT_EQ(root.parts.size(), 2u);
  const dsn::MimeEntity& alternative = root.parts[0];
  ASSERT_EQ(alternative.content_type, "multipart/alternative");
  ASSERT_EQ(alternative.parts.size(), 2u);
  const dsn::MimeEntity& related = alternative.parts[1];
  ASSERT_EQ(related.content_type, "multipart/related");
  ASSERT_EQ(related.parts.size(), 2u);
  EXPECT_EQ(related.parts[0].content_type, "text/html");
  EXPECT_EQ(related.parts[1].content_type, "image/png");
  EXPECT_EQ(related.parts[1].header("Content-ID"), "<logo>");
  EXPECT_EQ(related.parts[1].body, std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(root.parts[1].content_type, "application/pdf");
  EXPECT_EQ(root.parts[1].filename, "report.pdf");
  EXPECT_EQ(root.parts[1].body, binary);
  EXPECT_EQ(toLower(root.parts[1].header("Content-Disposition")).rfind("attachment", 0), 0u);
}

TEST(MessageBuilder, NonAsciiNamesAndSubjectsAreEncodedWords) {
  Submission s = simple();
  s.from.display_name = "J\xc3\xb6rg M\xc3\xbcller";
  s.subject = "Gr\xc3\xbc\xc3\x9f" "e " + std::string(40, 'x') + " \xe2\x82\xac \xf0\x9f\x98\x80 " + std::string(30, 'y') +
              " \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac";
  const BuiltMessage built = build(s);
  const std::string headers = headerBlock(built.message);
  for (char c : headers) EXPECT_LT(static_cast<unsigned char>(c), 0x80u);
  const dsn::MimeEntity root = parse(built);
  EXPECT_EQ(dsn::decodeEncodedWords(root.header("Subject")), s.subject);
  EXPECT_EQ(dsn::decodeEncodedWords(root.header("From")), "J\xc3\xb6rg M\xc3\xbcller <ann@example.com>");
  // Each encoded word at most 75 characters.
  std::size_t at = 0;
  while ((at = headers.find("=?", at)) != std::string::npos) {
    const std::size_t end = headers.find("?=", at + 10);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end + 2 - at, 75u);
    at = end + 2;
  }
}

TEST(MessageBuilder, QuotesDisplayNamesWithSpecials) {
  Submission s = simple();
  s.to = {Mailbox{"carol@example.net", "Doe, \"CJ\" Carol"}};
  const dsn::MimeEntity root = parse(build(s));
  EXPECT_EQ(root.header("To"), "\"Doe, \\\"CJ\\\" Carol\" <carol@example.net>");
}

TEST(MessageBuilder, IdnDomainsBecomeALabels) {
  Submission s = simple();
  s.to = {Mailbox{"bob@b\xc3\xbc" "cher.example", "Bob"}};
  const BuiltMessage built = build(s);
  EXPECT_EQ(parse(built).header("To"), "Bob <bob@xn--bcher-kva.example>");
  EXPECT_EQ(built.envelope_recipients, std::vector<std::string>{"bob@xn--bcher-kva.example"});
}

TEST(MessageBuilder, CcInHeadersBccOnlyInTheEnvelope) {
  Submission s = simple();
  s.cc = {Mailbox{"cc@example.org", ""}};
  s.bcc = {Mailbox{"secret@example.org", ""}, Mailbox{"bob@example.org", ""}};
  const BuiltMessage built = build(s);
  EXPECT_EQ(parse(built).header("Cc"), "cc@example.org");
  EXPECT_EQ(built.message.find("secret"), std::string::npos);
  EXPECT_EQ(toLower(headerBlock(built.message)).find("bcc:"), std::string::npos);
  EXPECT_EQ(built.envelope_recipients, (std::vector<std::string>{"bob@example.org", "cc@example.org", "secret@example.org"}));
}

TEST(MessageBuilder, LongAndEightBitBodiesAreQuotedPrintable) {
  Submission s = simple();
  s.text = std::string(3000, 'a') + "\nsecond line\n";
  s.html = "<p>caf\xc3\xa9</p>";
  const BuiltMessage built = build(s);
  expectWellFormedLines(built.message);
  const dsn::MimeEntity root = parse(built);
  ASSERT_EQ(root.parts.size(), 2u);
  EXPECT_EQ(toLower(root.parts[0].header("Content-Transfer-Encoding")), "quoted-printable");
  EXPECT_EQ(partContent(root.parts[0]), std::string(3000, 'a') + "\nsecond line\n");
  EXPECT_EQ(partContent(root.parts[1]), "<p>caf\xc3\xa9</p>");
}

TEST(MessageBuilder, BodyTextCannotForgeABoundary) {
  Submission s = simple();
  s.html = "x";
  s.text = "--=_wb.id1.1--\nafter";
  const dsn::MimeEntity root = parse(build(s));
  ASSERT_EQ(root.parts.size(), 2u);
  EXPECT_EQ(partContent(root.parts[0]), "--=_wb.id1.1--\nafter");
}

TEST(MessageBuilder, ControlHeaders) {
  Submission s = simple();
  s.tags = {"welcome", "q4"};
  s.send_at = std::chrono::system_clock::from_time_t(1796119200);
  s.track_clicks = false;
  s.template_name = "welcome";
  s.template_data = R"({"name":")" + std::string(2000, 'n') + "\"}";
  s.headers = {{"X-Campaign", "winter \xe2\x9d\x84"}, {"X-Waybill-Unsubscribe", "off"}};
  s.metadata = {{"order", "A-1"}, {"note", std::string(300, 'x') + " \xc3\xa9"}};
  const BuiltMessage built = build(s);
  expectWellFormedLines(built.message);
  const dsn::MimeEntity root = parse(built);
  EXPECT_EQ(root.header("X-Waybill-Tags"), "welcome, q4");
  EXPECT_EQ(root.header("X-Waybill-Send-At"), "2026-12-01T10:00:00Z");
  EXPECT_EQ(root.header("X-Waybill-Track"), "opens");
  EXPECT_EQ(root.header("X-Waybill-Template"), "welcome");
  EXPECT_EQ(mime::decodeBase64(root.header("X-Waybill-Template-Data")), *s.template_data);
  EXPECT_EQ(dsn::decodeEncodedWords(root.header("X-Campaign")), "winter \xe2\x9d\x84");
  EXPECT_EQ(root.header("X-Waybill-Unsubscribe"), "off");
  auto metadata = mail::parseMetadataHeader(root.header("X-Waybill-Metadata"));
  ASSERT_TRUE(metadata) << metadata.error();
  EXPECT_EQ(*metadata, s.metadata);
}

TEST(MessageBuilder, NoMetadataNoMetadataHeader) {
  const BuiltMessage built = build(simple());
  EXPECT_EQ(built.message.find("X-Waybill-Metadata"), std::string::npos);
}

TEST(MessageBuilder, RefusesWhatWouldBreakTheMessage) {
  Submission s = simple();
  s.headers = {{"Bcc", "x@example.com"}};
  EXPECT_EQ(buildMessage(s, testContext()).error().field, "headers.Bcc");
  s.headers = {{"X-Ok", "a\r\nBcc: x@example.com"}};
  EXPECT_FALSE(buildMessage(s, testContext()));
  s.headers = {{"X-Waybill-Track", "none"}};
  EXPECT_FALSE(buildMessage(s, testContext()));
  s.headers = {};
  s.attachments = {Attachment{"a\r\nb", "x", "text/plain", ""}};
  EXPECT_EQ(buildMessage(s, testContext()).error().field, "attachments[0].filename");
  s.attachments = {Attachment{"a", "x", "multipart/mixed", ""}};
  EXPECT_EQ(buildMessage(s, testContext()).error().field, "attachments[0].content_type");
  s.attachments = {};
  s.to = {};
  EXPECT_EQ(buildMessage(s, testContext()).error().field, "to");
}

TEST(MessageBuilder, NonAsciiFilenamesUseRfc2231) {
  Submission s = simple();
  s.attachments = {Attachment{"r\xc3\xa9sum\xc3\xa9.pdf", "x", "application/pdf", ""}};
  const BuiltMessage built = build(s);
  EXPECT_NE(built.message.find("filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"), std::string::npos);
}

TEST(MessageBuilderHeaders, FoldsLongLists) {
  std::string value;
  for (int i = 0; i < 40; ++i) value += (i ? ", " : "") + std::string("recipient") + std::to_string(i) + "@example.com";
  auto folded = foldHeader("To", value);
  ASSERT_TRUE(folded);
  std::string unfolded = *folded;
  std::size_t at;
  while ((at = unfolded.find("\r\n ")) != std::string::npos) unfolded.erase(at, 2);
  EXPECT_EQ(unfolded, "To: " + value + "\r\n");
  for (std::size_t start = 0, end; (end = folded->find("\r\n", start)) != std::string::npos; start = end + 2)
    EXPECT_LE(end - start, 78u);
  EXPECT_FALSE(foldHeader("X", std::string(1200, '"')));
  EXPECT_EQ(encodeUnstructured("plain text"), "plain text");
  EXPECT_NE(encodeUnstructured("looks =?like?= a word"), "looks =?like?= a word");
}

}  // namespace
}  // namespace waybill::mail
