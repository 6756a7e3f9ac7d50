#include "webhook/delivery_order.h"

#include <gtest/gtest.h>

namespace waybill::webhook {
namespace {

TEST(DeliveryOrder, PutsEachRecipientBackInOrderOfOccurrence) {
  // bob's click committed before his open; ann's events and the inbound row stay where they are.
  const std::vector<OutboxEntry> batch = {{10, "bob@x.example", 3000},
                                          {11, "ann@x.example", 1000},
                                          {12, "", 500},
                                          {13, "bob@x.example", 2000},
                                          {14, "ann@x.example", 4000},
                                          {15, "bob@x.example", 2500}};
  EXPECT_EQ(deliveryOrder(batch), (std::vector<std::int64_t>{15, 11, 12, 10, 14, 13}));
}

TEST(DeliveryOrder, KeepsCommitOrderWhenAlreadyInOrderOrTied) {
  const std::vector<OutboxEntry> in_order = {{1, "a", 100}, {2, "a", 200}, {3, "b", 50}};
  EXPECT_EQ(deliveryOrder(in_order), (std::vector<std::int64_t>{1, 2, 3}));
  const std::vector<OutboxEntry> tied = {{7, "a", 100}, {9, "a", 100}, {8, "a", 100}};
  EXPECT_EQ(deliveryOrder(tied), (std::vector<std::int64_t>{7, 9, 8}));
}

TEST(DeliveryOrder, EventsWithoutARecipientAreNeverMoved) {
  const std::vector<OutboxEntry> batch = {{5, "", 900}, {6, "", 100}};
  EXPECT_EQ(deliveryOrder(batch), (std::vector<std::int64_t>{5, 6}));
  EXPECT_TRUE(deliveryOrder({}).empty());
}

}  // namespace
}  // namespace waybill::webhook
