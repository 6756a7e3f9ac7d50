// deliveryOrder: the delivery sequence of the events of one fan-out batch. Events leave in outbox
// (commit) order, but daemons commit on their own schedules: trackd's workers may commit a
// recipient's `clicked` before the `opened` that happened first. Within one batch, each
// recipient's events are put back in order of occurrence, on the sequence numbers that
// recipient's events already had, so the batch as a whole keeps its place and other recipients
// are not moved. Events without a recipient key keep their own numbers.
//
//   std::vector<OutboxEntry> rows = {{10, "bob@x.example", 2000}, {11, "bob@x.example", 1000}};
//   auto seqs = deliveryOrder(rows);   // {11, 10}: the earlier occurrence takes seq 10
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace waybill::webhook {

struct OutboxEntry {
  std::int64_t seq = 0;          // outbox sequence (commit order)
  std::string recipient_key;     // empty: none (inbound mail, events without a recipient)
  std::int64_t occurred_us = 0;  // when it happened, microseconds since the epoch
};

// The delivery sequence number of each entry, index for index.
std::vector<std::int64_t> deliveryOrder(const std::vector<OutboxEntry>& entries);

}  // namespace waybill::webhook
