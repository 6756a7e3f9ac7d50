// libFuzzer target for everything waybill-pipe does with a bounce short of SQL: the envelope's
// token, readBounce() (MIME, RFC 3464, ARF, text bounces, classifier), the attribution rule, and
// the JSON and text that become SQL parameters (bounce_records.h, report_json.h).
//
// Input: a first line choosing the envelope — "valid" (a genuine token for known@x.test) or any
// other text, read as the envelope recipient — then the message. The directory is a table:
// rows for known*@x.test under a Message-ID containing "ours". Invariants: no exception escapes;
// every JSON text parses and is valid UTF-8; an event only ever goes to a row the directory gave
// (its own address, never one the message claims), once per kind; each result is attributed or
// says why not; stored texts stay within their bounds.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bounce_records.h"
#include "dsn/bounce_reader.h"
#include "mail/address.h"
#include "report_json.h"
#include "token/key_ring.h"
#include "util/utf8.h"

namespace {

using namespace waybill;
using namespace waybill::pipe;

// Names the broken invariant before aborting, so a finding says which one it is.
void checkAt(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}
#define check(condition) checkAt((condition), #condition)

const RecipientRow kKnown{"11111111-1111-4111-8111-111111111111", "m1", "known@x.test", "news@sender.test"};

class TableDirectory final : public RecipientDirectory {
 public:
  Result<std::optional<RecipientRow>> byId(const std::string& id) override {
    if (id == kKnown.recipient_id) return std::optional<RecipientRow>(kKnown);
    return std::optional<RecipientRow>();
  }
  Result<MessageLookup> byMessageIdAndAddress(const std::string& message_id, const std::string& address) override {
    check(address.size() <= 254);  // attribution never looks up an address past RFC 5321's limits
    MessageLookup found;
    found.message_is_ours = message_id.find("ours") != std::string::npos;
    if (found.message_is_ours && toLower(address).rfind("known", 0) == 0) {
      found.row = RecipientRow{"22222222-2222-4222-8222-222222222222", "m1", toLower(address), ""};
    }
    return found;
  }
};

const TokenCodec& codec() {
  static const TokenCodec instance(std::make_shared<const KeyRing>(
      *KeyRing::parse("1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n")));
  return instance;
}

bool fromDirectory(const RecipientRow& row) {
  return row.recipient_id == kKnown.recipient_id ||
         (row.recipient_id == "22222222-2222-4222-8222-222222222222" && row.address.rfind("known", 0) == 0);
}

void checkJson(const std::string& text) {
  check(isValidUtf8(text));
  check(!nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false).is_discarded());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string_view envelope = input.substr(0, std::min(newline, input.size()));
  const std::string_view message = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  TableDirectory directory;

  TokenEvidence token;
  if (envelope == "valid") {
    token = {TokenState::Valid, kKnown};
  } else {
    auto parsed = tokenEvidence(&codec(), envelope, "b.test", TokenKind::Bounce, directory);
    check(parsed.ok());
    token = *parsed;
  }
  const dsn::BounceReport report = dsn::readBounce(message);
  auto records = buildBounceRecords(report, token, directory);
  check(records.ok());
  checkJson(records->classification_json);
  check(records->events.size() + static_cast<std::size_t>(records->unattributed) <= report.results.size());
  for (std::size_t i = 0; i < records->events.size(); ++i) {
    const EventRecord& e = records->events[i];
    for (std::size_t j = 0; j < i; ++j) {  // one event of a kind per row and report
      check(records->events[j].row.recipient_id != e.row.recipient_id || records->events[j].type != e.type);
    }
    check(fromDirectory(e.row));
    checkJson(e.details_json);
    check(isValidUtf8(e.status_detail) && e.status_detail.size() <= 1000);
  }
  const std::string lines = classificationLines(report);
  check(isValidUtf8(lines));

  const UnsubscribeRecord unsubscribe = buildUnsubscribeRecord(token);
  checkJson(unsubscribe.classification_json);
  return 0;
}
