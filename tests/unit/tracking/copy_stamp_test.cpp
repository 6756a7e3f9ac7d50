#include <gtest/gtest.h>

#include "stages/copy_stamp.h"

namespace waybill::milter {
namespace {

KeyRing ring(std::uint8_t id, char fill) {
  KeyRing keys;
  keys.add(id, std::string(32, fill));
  return keys;
}

TEST(CopyStamp, VerifiesForItsOwnAddressOnly) {
  const KeyRing keys = ring(3, 'a');
  const Uuid message = Uuid::random(), recipient = Uuid::random();
  const std::string stamp = makeCopyStamp(keys, message, recipient, "Bob@Example.com");
  auto ids = verifyCopyStamp(keys, stamp, "bob@example.com");  // address case does not matter
  ASSERT_TRUE(ids.ok()) << ids.error();
  EXPECT_EQ(ids->message_id, message);
  EXPECT_EQ(ids->recipient_id, recipient);
  EXPECT_FALSE(verifyCopyStamp(keys, stamp, "eve@example.com").ok());
}

TEST(CopyStamp, RejectsAlteredForgedAndUnknownKeys) {
  const KeyRing keys = ring(3, 'a');
  const std::string stamp = makeCopyStamp(keys, Uuid::random(), Uuid::random(), "bob@example.com");
  std::string altered = stamp;
  altered[10] = altered[10] == '0' ? '1' : '0';  // inside the message uuid
  EXPECT_FALSE(verifyCopyStamp(keys, altered, "bob@example.com").ok());
  EXPECT_FALSE(verifyCopyStamp(ring(3, 'b'), stamp, "bob@example.com").ok());  // another secret
  EXPECT_FALSE(verifyCopyStamp(ring(4, 'a'), stamp, "bob@example.com").ok());  // key id unknown
  for (std::string_view garbage : {"", "v1", "v2 3 x y z", "v1 999 a b c"})
    EXPECT_FALSE(verifyCopyStamp(keys, garbage, "bob@example.com").ok()) << garbage;
}

}  // namespace
}  // namespace waybill::milter
