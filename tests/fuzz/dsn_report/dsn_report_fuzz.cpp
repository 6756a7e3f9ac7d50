// libFuzzer target for the bounce decoder: whole messages through readBounce() (MIME walk, RFC 3464
// fields, ARF, text-bounce heuristics, classifier), plus the field parsers on raw input. Checks
// the invariants callers rely on: bounded result count, every result classified, hard bounces
// only for permanent reasons.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dsn/arf_parser.h"
#include "dsn/bounce_reader.h"
#include "dsn/dsn_parser.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  using namespace waybill::dsn;
  BounceReport report = readBounce(input);
  check(report.results.size() <= kMaxRecipientsPerReport + 1);
  for (const RecipientResult& r : report.results) {
    check(!r.reason.empty());
    if (r.hard_bounce) {
      check(r.reason == "userunknown" || r.reason == "hostunknown" || r.reason == "hasmoved" ||
            r.reason == "notaccept");
    }
  }
  DeliveryStatusFields fields = parseDeliveryStatus(input);
  check(fields.recipients.size() <= kMaxRecipientsPerReport);
  check(!parseFeedbackReport(input, nullptr).empty());
  (void)findSmtpCommand(input);
  (void)statusFromDiagnostic(input);
  (void)findReplyCode(input);
  return 0;
}
