// recipientRecordOffsets on queue files built record by record, including the pointer records
// cleanup leaves when a milter edits a message (the old bytes stay behind the jump).
#include <gtest/gtest.h>

#include "postfix/queue_file.h"

namespace waybill::postfix {
namespace {

std::string record(char type, std::string_view data) {
  std::string out(1, type);
  std::size_t length = data.size();
  do {
    auto digit = static_cast<unsigned char>(length & 0x7F);
    length >>= 7;
    if (length) digit |= 0x80;
    out.push_back(static_cast<char>(digit));
  } while (length);
  return out + std::string(data);
}

std::string pointer(std::size_t offset) {
  std::string text = std::to_string(offset);
  return record(kRecordPointer, std::string(15 - text.size(), ' ') + text);
}

TEST(QueueFile, FindsRecipientRecordsCaseInsensitively) {
  const std::string file = record('C', "sizes") + record('S', "app@sender.example") + record('O', "gone@x.example") +
                           record('R', "Gone@X.example") + record('R', "kept@x.example") + record('M', "") +
                           record('N', "R is not a recipient in the body") + record('E', "");
  auto offsets = recipientRecordOffsets(file, {"gone@x.example"});
  ASSERT_TRUE(offsets.ok()) << offsets.error();
  ASSERT_EQ(offsets->size(), 1u);
  EXPECT_EQ(file[(*offsets)[0]], kRecordRecipient);
  EXPECT_EQ(file.substr((*offsets)[0] + 2, 14), "Gone@X.example");
}

TEST(QueueFile, FollowsPointersAndSkipsTheBytesLeftBehind) {
  // Layout: envelope, a pointer to an appended block, stale bytes (one looks like a recipient
  // record), the end record; the appended block holds a recipient and jumps back to the end.
  const std::string head = record('S', "app@sender.example") + record('M', "");
  const std::string stale = record('R', "gone@x.example");
  std::string file = head + pointer(0) + stale;  // placeholder pointer, patched below
  const std::size_t end_at = file.size();
  file += record('E', "");
  const std::size_t block_at = file.size();
  file += record('R', "gone@x.example") + pointer(end_at);
  file.replace(head.size(), pointer(0).size(), pointer(block_at));
  auto offsets = recipientRecordOffsets(file, {"gone@x.example"});
  ASSERT_TRUE(offsets.ok()) << offsets.error();
  EXPECT_EQ(*offsets, (std::vector<std::size_t>{block_at}));
}

TEST(QueueFile, RejectsBrokenFiles) {
  EXPECT_FALSE(recipientRecordOffsets(std::string("R\x7F" "short"), {"a@x"}).ok());    // runs past the end
  EXPECT_FALSE(recipientRecordOffsets(std::string("R\x80\x80"), {"a@x"}).ok());       // length never ends
  EXPECT_FALSE(recipientRecordOffsets(pointer(99999), {"a@x"}).ok());                   // points outside
  EXPECT_TRUE(recipientRecordOffsets(pointer(0) + record('E', ""), {"a@x"}).ok());  // a zero pointer is a no-op
}

}  // namespace
}  // namespace waybill::postfix
