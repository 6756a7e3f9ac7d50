// The X-Postfix-Queue-ID of a Postfix DSN: the key that tells waybill-pipe which logged attempt
// (waybill-logd) the DSN reports (store/delivery_outcome_store.h).
#include <gtest/gtest.h>

#include "dsn/bounce_reader.h"
#include "dsn/dsn_parser.h"

namespace waybill::dsn {
namespace {

TEST(PostfixQueueId, ReadFromThePerMessageFields) {
  auto fields = parseDeliveryStatus(
      "Reporting-MTA: dns; mx.example.com\nX-Postfix-Queue-ID: 4Q1b2c3D4fz5Hk\nX-Postfix-Sender: rfc822; a@b.example\n"
      "Arrival-Date: Tue,  1 Dec 2026 10:00:00 +0000 (UTC)\n\nFinal-Recipient: rfc822; x@y.example\nAction: failed\n"
      "Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 unknown\n");
  EXPECT_EQ(fields.queue_id, "4Q1b2c3D4fz5Hk");
  ASSERT_EQ(fields.recipients.size(), 1u);
}

TEST(PostfixQueueId, AbsentOrMalformedIsEmpty) {
  EXPECT_EQ(parseDeliveryStatus("Reporting-MTA: dns; x\n\nFinal-Recipient: rfc822; x@y\nAction: failed\n").queue_id, "");
  EXPECT_EQ(parseDeliveryStatus("X-Postfix-Queue-ID: abc/../x y\n\nFinal-Recipient: rfc822; x@y\nAction: failed\n").queue_id, "");
}

}  // namespace
}  // namespace waybill::dsn
