// BounceRecords: the attribution rule and the records it yields, against a table directory (no
// database). Each forged case must change nothing and say why; each genuine one must still count.
#include "bounce_records.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <stdexcept>

#include "dsn/bounce_reader.h"
#include "dsn/verp_address.h"
#include "mail/smtp_limits.h"
#include "message_handler.h"
#include "report_json.h"
#include "token/key_ring.h"
#include "util/utf8.h"

namespace waybill::pipe {
namespace {

constexpr const char* kOurMessageId = "m1@sender.test";

// One message of ours (kOurMessageId) to ann@ and bob@; a second one to victim@.
class TableDirectory final : public RecipientDirectory {
 public:
  TableDirectory() {
    rows_["11111111-1111-4111-8111-111111111111"] = {"11111111-1111-4111-8111-111111111111", "m1", "ann@x.test",
                                                     "news@sender.test"};
    rows_["22222222-2222-4222-8222-222222222222"] = {"22222222-2222-4222-8222-222222222222", "m1", "bob@x.test",
                                                     "news@sender.test"};
    rows_["33333333-3333-4333-8333-333333333333"] = {"33333333-3333-4333-8333-333333333333", "m2", "victim@x.test",
                                                     "news@sender.test"};
  }
  Result<std::optional<RecipientRow>> byId(const std::string& id) override {
    auto it = rows_.find(id);
    if (it == rows_.end()) return std::optional<RecipientRow>();
    return std::optional<RecipientRow>(it->second);
  }
  Result<MessageLookup> byMessageIdAndAddress(const std::string& message_id, const std::string& address) override {
    ++lookups;
    MessageLookup found;
    if (message_id != kOurMessageId) return found;
    found.message_is_ours = true;
    for (const auto& [id, row] : rows_) {
      if (row.message_id == "m1" && row.address == address) found.row = row;
    }
    return found;
  }
  int lookups = 0;

 private:
  std::map<std::string, RecipientRow> rows_;
};

TokenEvidence validTokenFor(TableDirectory& directory, const std::string& id) {
  return TokenEvidence{TokenState::Valid, **directory.byId(id)};
}

std::string dsn(const std::string& recipients_block, const std::string& message_id) {
  return "From: MAILER-DAEMON@mx.test\nSubject: Undelivered\nMIME-Version: 1.0\n"
         "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n"
         "--B\nContent-Type: text/plain\n\nSorry.\n\n"
         "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.test\n\n" +
         recipients_block + "--B\nContent-Type: text/rfc822-headers\n\nMessage-ID: <" + message_id +
         ">\n\n--B--\n";
}

std::string failed(const std::string& address) {
  return "Final-Recipient: rfc822; " + address + "\nAction: failed\nStatus: 5.1.1\n"
         "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n\n";
}

BounceRecords build(const std::string& raw, const TokenEvidence& token, TableDirectory& directory) {
  auto records = buildBounceRecords(dsn::readBounce(raw), token, directory);
  EXPECT_TRUE(records.ok());
  return records.ok() ? *records : BounceRecords{};
}

std::vector<std::string> whys(const BounceRecords& records) {
  std::vector<std::string> out;
  const nlohmann::json classification = nlohmann::json::parse(records.classification_json);
  for (const auto& r : classification["results"]) {
    if (r.contains("unattributed")) out.push_back(r["unattributed"]);
  }
  return out;
}

TEST(BounceRecords, ForgedResultsChangeNothingAndSayWhy) {
  TableDirectory directory;
  struct Case {
    const char* name;
    std::string raw;
    TokenEvidence token;
    std::string why;
  };
  const std::vector<Case> cases = {
      {"no token, Message-ID not ours", dsn(failed("victim@x.test"), "other@elsewhere.test"), {}, "message_id_not_ours"},
      {"no token, our Message-ID, not its recipient", dsn(failed("victim@x.test"), kOurMessageId), {},
       "not_a_recipient_of_that_message"},
      {"token for ann naming victim", dsn(failed("victim@x.test"), "other@elsewhere.test"),
       validTokenFor(directory, "11111111-1111-4111-8111-111111111111"), "token_names_another_recipient"},
      {"10 KB address", dsn(failed(std::string(10240, 'a') + "@x.test"), kOurMessageId), {}, "address_too_long"},
      {"65-byte local part", dsn(failed(std::string(65, 'a') + "@x.test"), kOurMessageId), {}, "address_too_long"},
  };
  for (const Case& c : cases) {
    BounceRecords records = build(c.raw, c.token, directory);
    EXPECT_TRUE(records.events.empty()) << c.name;
    EXPECT_EQ(records.unattributed, 1) << c.name;
    EXPECT_EQ(whys(records), std::vector<std::string>{c.why}) << c.name;
  }
}

TEST(BounceRecords, GenuineResultsAreAttributedToTheRowsOwnAddress) {
  TableDirectory directory;
  const TokenEvidence ann = validTokenFor(directory, "11111111-1111-4111-8111-111111111111");
  BounceRecords by_token = build(dsn(failed("ANN@x.test"), "unknown@x"), ann, directory);
  ASSERT_EQ(by_token.events.size(), 1u);
  EXPECT_EQ(by_token.events[0].row.address, "ann@x.test");
  EXPECT_EQ(by_token.events[0].type, "bounced");
  EXPECT_TRUE(by_token.events[0].suppression == policy::SuppressionReason::HardBounce);
  EXPECT_EQ(by_token.token_recipient_id, "11111111-1111-4111-8111-111111111111");

  BounceRecords repeated = build(dsn(failed("ann@x.test") + failed("ann@x.test") + failed("ANN@X.TEST"), "x@y"), ann,
                                 directory);
  EXPECT_EQ(repeated.events.size(), 1u);  // a report repeating the recipient counts it once

  BounceRecords by_header = build(dsn(failed("bob@x.test"), kOurMessageId), {}, directory);
  ASSERT_EQ(by_header.events.size(), 1u);
  EXPECT_EQ(by_header.events[0].row.recipient_id, "22222222-2222-4222-8222-222222222222");
}

TEST(BounceRecords, AThousandVictimsInOneDsnChangeNothing) {
  TableDirectory directory;
  std::string block;
  for (int i = 0; i < 1000; ++i) block += failed("victim" + std::to_string(i) + "@big.test");
  const TokenEvidence ann = validTokenFor(directory, "11111111-1111-4111-8111-111111111111");
  BounceRecords records = build(dsn(block, "other@elsewhere.test"), ann, directory);
  EXPECT_TRUE(records.events.empty());
  EXPECT_EQ(records.unattributed, 1000);
  EXPECT_EQ(directory.lookups, 1);  // a Message-ID found not ours is not asked about again
  // With the token's own address among them, that one counts and only that one.
  records = build(dsn(block + failed("ann@x.test"), "other@elsewhere.test"), ann, directory);
  EXPECT_LE(records.events.size(), 1u);
}

TEST(BounceRecords, ComplaintNamingAnotherRecipientIsNotBelieved) {
  TableDirectory directory;
  const std::string arf =
      "From: fbl@isp.test\nMIME-Version: 1.0\n"
      "Content-Type: multipart/report; report-type=feedback-report; boundary=\"F\"\n\n"
      "--F\nContent-Type: text/plain\n\nabuse\n--F\nContent-Type: message/feedback-report\n\n"
      "Feedback-Type: abuse\nVersion: 1\nOriginal-Rcpt-To: victim@x.test\n\n--F--\n";
  BounceRecords records = build(arf, validTokenFor(directory, "11111111-1111-4111-8111-111111111111"), directory);
  EXPECT_TRUE(records.events.empty());
  EXPECT_EQ(whys(records), std::vector<std::string>{"token_names_another_recipient"});
}

TEST(BounceRecords, NonUtf8InEveryFieldYieldsValidJson) {
  TableDirectory directory;
  const std::string bad = "\xff\xfe\xc3(\x80";
  const std::string raw =
      "From: " + bad + "@x\nSubject: " + bad + "\nMIME-Version: 1.0\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n"
      "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; " + bad + "\n\n"
      "Final-Recipient: rfc822; ann@x.test\nOriginal-Recipient: rfc822; " + bad + "@x.test\nAction: fail" + bad +
      "\nStatus: 5.1.1" + bad + "\nRemote-MTA: dns; " + bad + "\nDiagnostic-Code: smtp; 550 " + bad + "\n\n--B--\n";
  const TokenEvidence ann = validTokenFor(directory, "11111111-1111-4111-8111-111111111111");
  BounceRecords records = build(raw, ann, directory);
  EXPECT_TRUE(isValidUtf8(records.classification_json));
  EXPECT_FALSE(nlohmann::json::parse(records.classification_json, nullptr, false).is_discarded());
  for (const EventRecord& e : records.events) {
    EXPECT_TRUE(isValidUtf8(e.details_json));
    EXPECT_TRUE(isValidUtf8(e.status_detail));
  }
  EXPECT_TRUE(isValidUtf8(classificationLines(dsn::readBounce(raw))));
}

TEST(BounceRecords, UnsubscribeNeedsAValidToken) {
  TableDirectory directory;
  EXPECT_FALSE(buildUnsubscribeRecord({}).attributed);
  EXPECT_EQ(buildUnsubscribeRecord({}).kind, "unclassified");
  EXPECT_EQ(nlohmann::json::parse(buildUnsubscribeRecord({TokenState::Invalid, {}}).classification_json)["unattributed"],
            "invalid_token");
  EXPECT_TRUE(buildUnsubscribeRecord(validTokenFor(directory, "11111111-1111-4111-8111-111111111111")).attributed);
}

TEST(BounceRecords, TokenEvidenceFromTheEnvelope) {
  TableDirectory directory;
  auto ring = KeyRing::parse("1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n");
  ASSERT_TRUE(ring.ok()) << ring.error();
  TokenCodec codec(std::make_shared<const KeyRing>(std::move(*ring)));
  auto none = tokenEvidence(&codec, "bounce@b.test", "b.test", TokenKind::Bounce, directory);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->state, TokenState::Absent);
  auto forged = tokenEvidence(&codec, "bounce+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA@b.test", "b.test",
                              TokenKind::Bounce, directory);
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ(forged->state, TokenState::Invalid);
  const std::string genuine = dsn::makeBounceAddress(
      codec, *Uuid::parse("22222222-2222-4222-8222-222222222222"), "bounce", "b.test");
  auto valid = tokenEvidence(&codec, genuine, "b.test", TokenKind::Bounce, directory);
  ASSERT_TRUE(valid.ok());
  EXPECT_EQ(valid->state, TokenState::Valid);
  EXPECT_EQ(valid->row.address, "bob@x.test");
  auto wrong_kind = tokenEvidence(&codec, genuine, "b.test", TokenKind::Unsubscribe, directory);
  ASSERT_TRUE(wrong_kind.ok());
  EXPECT_EQ(wrong_kind->state, TokenState::Invalid);
  const std::string unknown_row = dsn::makeBounceAddress(codec, Uuid::random(), "bounce", "b.test");
  EXPECT_EQ(tokenEvidence(&codec, unknown_row, "b.test", TokenKind::Bounce, directory)->state, TokenState::Invalid);
  auto no_codec = tokenEvidence(nullptr, "bounce+x@b.test", "b.test", TokenKind::Bounce, directory);
  ASSERT_TRUE(no_codec.ok());
  EXPECT_EQ(no_codec->state, TokenState::Absent);
}

TEST(SmtpLimits, Rfc5321Sizes) {
  EXPECT_TRUE(fitsSmtpLimits("a@b"));
  EXPECT_TRUE(fitsSmtpLimits(std::string(64, 'a') + "@" + std::string(189, 'b')));  // 254 octets
  EXPECT_FALSE(fitsSmtpLimits(std::string(64, 'a') + "@" + std::string(190, 'b')));
  EXPECT_FALSE(fitsSmtpLimits(std::string(65, 'a') + "@b"));
  EXPECT_FALSE(fitsSmtpLimits("@b"));
  EXPECT_FALSE(fitsSmtpLimits("a@"));
  EXPECT_FALSE(fitsSmtpLimits("nobody"));
  EXPECT_EQ(shortenedForDisplay(std::string(300, 'x'), 10), "xxxxxxxxxx... (300 bytes)");
}

}  // namespace
}  // namespace waybill::pipe

namespace waybill::pipe {
namespace {

TEST(ReportJson, UntrustedTextIsValidAndBounded) {
  const std::string bad(2000, '\xff');
  EXPECT_EQ(untrustedText(bad, 1000).size(), 999u);  // 333 U+FFFD, cut at a character boundary
  EXPECT_TRUE(isValidUtf8(untrustedText(bad, 1000)));
  EXPECT_EQ(untrustedText("\xc3\xa9t\xc3\xa9", 4), "\xc3\xa9t");  // never half a character
  EXPECT_EQ(untrustedText(std::string("a\0b", 3), 10), "ab");
  EXPECT_EQ(untrustedAddress(std::string(300, 'a')).rfind("... (300 bytes)"), 256u);
  const std::string dumped = dumpJson(nlohmann::json{{"x", std::string("\xff")}});  // would throw with dump()
  EXPECT_TRUE(isValidUtf8(dumped));
}

}  // namespace
}  // namespace waybill::pipe

namespace waybill::pipe {
namespace {

TEST(MessageHandler, AnExceptionFromAMessageIsAnswered75) {
  const PipeEnvelope envelope{"", "bounce+x@b.test", "Q1"};
  const PipeAnswer thrown = answerForAnything(envelope, []() -> PipeAnswer { throw std::runtime_error("boom"); });
  EXPECT_EQ(thrown.exit_code, kExitTempFail);
  EXPECT_NE(thrown.text.find("internal error: boom"), std::string::npos);
  const PipeAnswer odd = answerForAnything(envelope, []() -> PipeAnswer { throw 42; });
  EXPECT_EQ(odd.exit_code, kExitTempFail);
  EXPECT_EQ(answerForAnything(envelope, [] { return PipeAnswer{0, "stored"}; }).exit_code, 0);
}

}  // namespace
}  // namespace waybill::pipe
