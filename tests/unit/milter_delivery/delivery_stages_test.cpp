// Stages that prepare a message for delivery: templates, List-Unsubscribe, VERP, DKIM.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "dkim/key_generator.h"
#include "dsn/verp_address.h"
#include "mime/transfer_encoding.h"
#include "stages/dkim_sign.h"
#include "stages/list_unsubscribe.h"
#include "stages/templates.h"
#include "stages/track_links.h"
#include "stages/verp.h"

namespace waybill::milter {
namespace {

std::shared_ptr<const KeyRing> keys() {
  static auto ring = std::make_shared<const KeyRing>(*KeyRing::parse("1 " + std::string(64, 'a')));
  return ring;
}

MilterMessage oneRecipientMessage(std::vector<HeaderField> headers = {{"From", "News <news@example.com>"}}) {
  MilterMessage message;
  message.envelope.sender = "news@example.com";
  message.envelope.recipients = {"ann@dest.example"};
  message.recipient_ids = {Uuid::random()};
  message.headers = std::move(headers);
  return message;
}

const std::string* editValue(const MilterMessage& message, std::string_view name) {
  for (const auto& edit : message.header_edits)
    if (edit.name == name && edit.value) return &*edit.value;
  return nullptr;
}

TEST(ListUnsubscribe, AddsPerRecipientHttpsAndMailtoWithOneClick) {
  ListUnsubscribeStage stage(keys(), {"https://t.example.com", "bounces.example.com"});
  auto message = oneRecipientMessage();
  ASSERT_TRUE(stage.onEndOfMessage(message).proceeding());
  const std::string* value = editValue(message, "List-Unsubscribe");
  ASSERT_NE(value, nullptr);
  const auto https = value->find("<https://t.example.com/u/");
  const auto mailto = value->find("<mailto:unsub+");
  ASSERT_NE(https, std::string::npos);
  ASSERT_NE(mailto, std::string::npos);
  EXPECT_NE(value->find("@bounces.example.com?subject=unsubscribe>"), std::string::npos);
  ASSERT_NE(editValue(message, "List-Unsubscribe-Post"), nullptr);
  EXPECT_EQ(*editValue(message, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");

  // Both tokens name this recipient.
  TokenCodec codec(keys());
  const auto token_start = https + std::string("<https://t.example.com/u/").size();
  auto https_claims = codec.decode(value->substr(token_start, value->find('>', token_start) - token_start));
  ASSERT_TRUE(https_claims.ok());
  EXPECT_EQ(https_claims->recipient_id, message.recipient_ids[0]);
  const auto address = value->substr(mailto + 8, value->find('?', mailto) - mailto - 8);
  auto mail_claims = dsn::parseVerpAddress(codec, address, "bounces.example.com");
  ASSERT_TRUE(mail_claims.ok()) << mail_claims.error();
  EXPECT_EQ(mail_claims->kind, TokenKind::Unsubscribe);
  EXPECT_EQ(mail_claims->recipient_id, message.recipient_ids[0]);
}

TEST(ListUnsubscribe, OffSwitchAndApplicationsOwnHeaderWin) {
  ListUnsubscribeStage stage(keys(), {"https://t.example.com", "bounces.example.com"});
  auto off = oneRecipientMessage({{"From", "a@example.com"}, {"X-Waybill-Unsubscribe", "OFF"}});
  ASSERT_TRUE(stage.onEndOfMessage(off).proceeding());
  EXPECT_TRUE(off.header_edits.empty());
  auto own = oneRecipientMessage({{"From", "a@example.com"}, {"List-Unsubscribe", "<mailto:leave@example.com>"}});
  ASSERT_TRUE(stage.onEndOfMessage(own).proceeding());
  EXPECT_TRUE(own.header_edits.empty());
  auto bad = oneRecipientMessage({{"X-Waybill-Unsubscribe", "maybe"}});
  EXPECT_EQ(stage.onEndOfMessage(bad).outcome, StageStatus::Outcome::Reject);
}

TEST(ListUnsubscribe, NoHttpsMeansNoOneClickClaim) {
  ListUnsubscribeStage stage(keys(), {"", "bounces.example.com"});
  auto message = oneRecipientMessage();
  ASSERT_TRUE(stage.onEndOfMessage(message).proceeding());
  EXPECT_NE(editValue(message, "List-Unsubscribe"), nullptr);
  EXPECT_EQ(editValue(message, "List-Unsubscribe-Post"), nullptr);
}

TEST(ListUnsubscribe, SeveralRecipientsInOneTransactionIsATempfail) {
  ListUnsubscribeStage stage(keys(), {"https://t.example.com", ""});
  auto message = oneRecipientMessage();
  message.envelope.recipients.push_back("bob@dest.example");
  message.recipient_ids.push_back(Uuid::random());
  EXPECT_EQ(stage.onEndOfMessage(message).outcome, StageStatus::Outcome::TempFail);
}

TEST(ListUnsubscribe, AfterTheSplitTheKeptRecipientGetsItsOwnLink) {
  ListUnsubscribeStage stage(keys(), {"https://t.example.com", ""});
  auto message = oneRecipientMessage();
  message.envelope.recipients.push_back("bob@dest.example");
  message.recipient_ids.push_back(Uuid::random());
  message.recipients_to_delete = {"bob@dest.example"};  // bob went to his own copy
  ASSERT_TRUE(stage.onEndOfMessage(message).proceeding());
  const std::string* value = editValue(message, "List-Unsubscribe");
  ASSERT_NE(value, nullptr);
  const auto token = value->substr(value->find("/u/") + 3, value->find('>') - value->find("/u/") - 3);
  auto decoded = TokenCodec(keys()).decode(token);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->recipient_id, message.recipient_ids[0]);
}

TEST(Verp, RewritesSenderPerRecipientAndSenderDomain) {
  auto map = VerpStage::parseDomainMap("example.com=bounces.example.com, Other.ORG = b.other.org");
  ASSERT_TRUE(map.ok()) << map.error();
  VerpStage stage(keys(), "bounce", "default-bounces.example.net", *map);
  auto message = oneRecipientMessage();
  ASSERT_TRUE(stage.onEndOfMessage(message).proceeding());
  ASSERT_TRUE(message.new_sender.has_value());
  EXPECT_EQ(message.new_sender->rfind("bounce+", 0), 0u);
  TokenCodec codec(keys());
  auto claims = dsn::parseVerpAddress(codec, *message.new_sender, "bounces.example.com");
  ASSERT_TRUE(claims.ok()) << claims.error();
  EXPECT_EQ(claims->kind, TokenKind::Bounce);
  EXPECT_EQ(claims->recipient_id, message.recipient_ids[0]);

  auto other = oneRecipientMessage();
  other.envelope.sender = "x@unmapped.example";
  ASSERT_TRUE(stage.onEndOfMessage(other).proceeding());
  EXPECT_NE(other.new_sender->find("@default-bounces.example.net"), std::string::npos);

  auto null_sender = oneRecipientMessage();
  null_sender.envelope.sender = "";
  ASSERT_TRUE(stage.onEndOfMessage(null_sender).proceeding());
  EXPECT_FALSE(null_sender.new_sender.has_value());
  EXPECT_FALSE(VerpStage::parseDomainMap("example.com").ok());
}

TEST(DkimSign, HeadersAfterEditsFollowPostfixRules) {
  auto message = oneRecipientMessage({{"From", "a@example.com"}, {"X-Waybill-Tags", "t"}, {"Subject", "s"},
                                      {"X-Waybill-Tags", "u"}});
  message.removeAll("X-Waybill-Tags");
  message.header_edits.push_back({HeaderEdit::Kind::Change, "Subject", 1, "changed"});
  message.header_edits.push_back({HeaderEdit::Kind::Change, "Date", 1, "Sun, 22 Nov 2026 04:20:31 +0000"});  // missing: added
  message.header_edits.push_back({HeaderEdit::Kind::Add, "List-Unsubscribe", 1, "<https://x>"});
  message.header_edits.push_back({HeaderEdit::Kind::Insert, "DKIM-Signature", 0, "v=1"});
  const auto headers = headersAfterEdits(message);
  std::vector<std::string> names;
  for (const auto& h : headers) names.push_back(h.name + "=" + h.value);
  EXPECT_EQ(names, (std::vector<std::string>{"DKIM-Signature=v=1", "From=a@example.com", "Subject=changed",
                                             "Date=Sun, 22 Nov 2026 04:20:31 +0000", "List-Unsubscribe=<https://x>"}));
}

class DkimStageFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("waybill-dkim-stage-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "rsa.key") << dkim::generateKey(dkim::KeyAlgorithm::Rsa)->private_pem;
    std::filesystem::permissions(dir_ / "rsa.key", std::filesystem::perms::owner_read);
    std::ofstream(dir_ / "KeyTable") << "rsa example.com:s1:" << (dir_ / "rsa.key").string() << "\n"
                                     << "gone example.org:s1:" << (dir_ / "gone.key").string() << "\n";
    std::ofstream(dir_ / "SigningTable") << "*@example.com rsa\n*@example.org gone\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::shared_ptr<const dkim::MessageSigner> signer() {
    return *dkim::MessageSigner::load((dir_ / "KeyTable").string(), (dir_ / "SigningTable").string(), "");
  }
  std::filesystem::path dir_;
};

TEST_F(DkimStageFixture, SignsOnTopAfterEveryOtherEdit) {
  DkimSignStage stage(signer(), false);
  auto message = oneRecipientMessage({{"From", "News <news@example.com>"}, {"Subject", "s"}});
  message.body = std::make_shared<mime::BodySpool>("/tmp", 1024);
  ASSERT_TRUE(message.body->append("hello\r\n").ok());
  message.header_edits.push_back({HeaderEdit::Kind::Add, "List-Unsubscribe", 1, "<https://x/u/t>"});
  ASSERT_TRUE(stage.onEndOfMessage(message).proceeding());
  const auto& last = message.header_edits.back();
  EXPECT_EQ(last.kind, HeaderEdit::Kind::Insert);
  EXPECT_EQ(last.index, 0);
  EXPECT_EQ(last.name, "DKIM-Signature");
  EXPECT_NE(last.value->find("d=example.com"), std::string::npos);
  EXPECT_NE(last.value->find("List-Unsubscribe"), std::string::npos);  // the added header is signed
  EXPECT_EQ(last.value->find('\r'), std::string::npos);                // LF folding for libmilter
}

TEST_F(DkimStageFixture, UnreadableKeyTempfailsUnlessUnsignedIsAllowed) {
  auto message = oneRecipientMessage({{"From", "a@example.org"}});
  DkimSignStage strict(signer(), false);
  const StageStatus status = strict.onEndOfMessage(message);
  EXPECT_EQ(status.outcome, StageStatus::Outcome::TempFail);
  DkimSignStage lenient(signer(), true);
  auto again = oneRecipientMessage({{"From", "a@example.org"}});
  EXPECT_TRUE(lenient.onEndOfMessage(again).proceeding());
  EXPECT_TRUE(again.header_edits.empty());
}

TEST_F(DkimStageFixture, KeyCheckRefusesBeforeTheSplitUnlessUnsignedIsAllowed) {
  DkimKeyCheckStage strict(signer(), false);
  auto bad = oneRecipientMessage({{"From", "A <a@example.org>"}});
  EXPECT_EQ(strict.onEndOfMessage(bad).outcome, StageStatus::Outcome::TempFail);
  EXPECT_TRUE(bad.header_edits.empty());
  auto good = oneRecipientMessage({{"From", "a@example.com"}});
  EXPECT_TRUE(strict.onEndOfMessage(good).proceeding());
  auto unmatched = oneRecipientMessage({{"From", "a@elsewhere.example"}});  // nothing to sign with
  EXPECT_TRUE(strict.onEndOfMessage(unmatched).proceeding());
  DkimKeyCheckStage lenient(signer(), true);
  auto again = oneRecipientMessage({{"From", "a@example.org"}});
  EXPECT_TRUE(lenient.onEndOfMessage(again).proceeding());
}

TEST(TrackLinks, RetriesKeepTheirIdentityWhenPostfixAddsHeaders) {
  const auto attempt = [](std::string queue_id, std::vector<HeaderField> headers) {
    auto message = oneRecipientMessage(std::move(headers));
    message.envelope.queue_id = std::move(queue_id);
    return retryStableHeaders(message);
  };
  // The client's Message-ID; Postfix added a Date, a second later on the retry.
  EXPECT_EQ(attempt("AAA111", {{"Message-ID", "<m1@app.example>"}, {"Date", "Mon, 30 Nov 2026 10:00:00 +0000 (UTC)"},
                               {"Subject", "s"}}),
            attempt("BBB222", {{"Message-ID", "<m1@app.example>"}, {"Date", "Mon, 30 Nov 2026 10:00:01 +0000 (UTC)"},
                               {"Subject", "s"}}));
  // No Message-ID from the client: each attempt is a message of its own (a resend is never lost).
  EXPECT_NE(attempt("AAA111", {{"Message-ID", "<20261130100000.AAA111@mx.example>"}, {"Date", "d1"}, {"Subject", "s"}}),
            attempt("BBB222", {{"Message-ID", "<20261130100001.BBB222@mx.example>"}, {"Date", "d1"}, {"Subject", "s"}}));
  auto twin = [](std::string generated) {
    auto message = oneRecipientMessage({{"Date", "d1"}, {"Subject", "s"}});
    message.message_id_header = std::move(generated);  // StandardHeadersStage's, no header at all
    return retryStableHeaders(message);
  };
  EXPECT_NE(twin("g1.waybill@example.com"), twin("g2.waybill@example.com"));
  // Different messages stay different.
  EXPECT_NE(attempt("AAA111", {{"Message-ID", "<m1@app.example>"}, {"Subject", "s"}}),
            attempt("AAA111", {{"Message-ID", "<m2@app.example>"}, {"Subject", "s"}}));
  EXPECT_NE(attempt("AAA111", {{"Date", "d1"}, {"Subject", "s"}}), attempt("AAA111", {{"Date", "d2"}, {"Subject", "s"}}));
  EXPECT_NE(attempt("AAA111", {{"Message-ID", "<m1@app.example>"}, {"Subject", "s"}}),
            attempt("AAA111", {{"Message-ID", "<m1@app.example>"}, {"Subject", "t"}}));
}

TEST(Templates, RendersIntoTheBodyAndFixesMimeHeaders) {
  const auto dir = std::filesystem::temp_directory_path() / ("waybill-tpl-stage-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "hello.html.mustache") << "<a href=\"{{url}}\">Hi {{name}}</a>";
  std::ofstream(dir / "hello.txt.mustache") << "Hi {{name}}";
  TemplatesStage stage(std::make_shared<TemplateRenderer>(dir.string()), "/tmp", 1 << 20);
  auto message = oneRecipientMessage({{"From", "a@example.com"}, {"X-Waybill-Template", "hello"},
                                      {"X-Waybill-Template-Data", mime::encodeBase64(R"({"name":"A&B","url":"https://e.example/x"})", "\r\n")},
                                      {"Content-Type", "text/plain"}, {"Content-Transfer-Encoding", "7bit"}});
  ASSERT_TRUE(stage.onEndOfMessage(message).proceeding());
  ASSERT_TRUE(message.replacement_body);
  std::string body;
  (void)message.replacement_body->forEachChunk([&](std::string_view c) { body += c; return Status{}; });
  const std::string decoded = mime::decodeQuotedPrintable(body);
  EXPECT_NE(decoded.find("Hi A&B"), std::string::npos);
  EXPECT_NE(decoded.find("Hi A&amp;B"), std::string::npos);
  EXPECT_EQ(message.header("Content-Type")->rfind("multipart/alternative", 0), 0u);
  EXPECT_EQ(message.header("Content-Transfer-Encoding"), nullptr);

  auto unknown = oneRecipientMessage({{"X-Waybill-Template", "nosuch"}});
  const StageStatus status = stage.onEndOfMessage(unknown);
  EXPECT_EQ(status.outcome, StageStatus::Outcome::Reject);
  EXPECT_NE(status.text.find("unknown template 'nosuch'"), std::string::npos);
  auto bad_json = oneRecipientMessage({{"X-Waybill-Template", "hello"}, {"X-Waybill-Template-Data", mime::encodeBase64("{oops", "")}});
  EXPECT_NE(stage.onEndOfMessage(bad_json).text.find("not valid JSON"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace waybill::milter
