// BounceReader: the one entry point waybill-pipe and `--classify-only` use. Reads a whole message
// (capped at kMaxBounceBytes: the report is always at the top) and returns what kind of message it
// is and one classified RecipientResult per recipient it reports on.
//
//   BounceReport report = readBounce(raw_message);
//   for (const RecipientResult& r : report.results) fmt::print("{} {}\n", r.recipient, r.reason);
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dsn/bounce_report.h"

namespace waybill::dsn {

inline constexpr std::size_t kMaxBounceBytes = 4 * 1024 * 1024;

struct ReadOptions {
  // The message arrived at a bounce (VERP) address: read unstructured text as a bounce even when
  // its headers do not say so, rather than as ordinary mail.
  bool arrived_at_bounce_address = true;
};

BounceReport readBounce(std::string_view raw, const ReadOptions& options = {});
// "a@x, <b@y>" -> {"a@x", "b@y"} (X-Failed-Recipients and similar headers).
std::vector<std::string> splitAddressList(std::string_view value);

}  // namespace waybill::dsn
