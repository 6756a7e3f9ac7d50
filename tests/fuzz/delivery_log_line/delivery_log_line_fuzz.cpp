// libFuzzer target for the Postfix delivery log parser (waybill-logd): each input is split into
// lines as the reader does and every line is parsed. Checks the invariants the reader relies on:
// no field longer than the line, a queue id of the accepted shape, a recipient on every
// per-recipient attempt, none on a queue manager's queue active line, a valid clock.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "postfix/delivery_log_line.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

void parseOne(std::string_view line) {
  using namespace waybill::postfix;
  auto parsed = parseDeliveryLogLine(line);
  if (!parsed) return;
  check(line.size() <= kMaxLogLineBytes);
  check(isPostfixQueueId(parsed->queue_id));
  check(parsed->status == DeliveryStatus::Expired || parsed->status == DeliveryStatus::Queued || !parsed->to.empty());
  check(parsed->status != DeliveryStatus::Queued || (parsed->agent == "qmgr" && parsed->to.empty()));
  for (const auto* field : {&parsed->to, &parsed->orig_to, &parsed->from, &parsed->reply, &parsed->relay, &parsed->relay_host,
                            &parsed->relay_address, &parsed->host, &parsed->program, &parsed->agent})
    check(field->size() <= line.size());
  const LogTimestamp& t = parsed->time;
  check(t.month >= 1 && t.month <= 12 && t.day >= 1 && t.day <= 31 && t.hour <= 23 && t.minute <= 59 && t.second <= 60);
  check(t.microsecond >= 0 && t.microsecond < 1000000);
  check(!t.has_year || (t.year >= 1970 && t.year <= 9000));  // what PostgreSQL takes as is
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  parseOne(input);  // the whole input as one line too (newlines inside)
  for (std::size_t start = 0; start < input.size();) {
    std::size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    parseOne(input.substr(start, end - start));
    start = end + 1;
  }
  return 0;
}
