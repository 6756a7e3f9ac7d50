#include <gtest/gtest.h>

#include "mime/body_spool.h"

namespace waybill::mime {
namespace {

std::string readBack(const BodySpool& spool, std::size_t chunk) {
  std::string out;
  EXPECT_TRUE(spool.forEachChunk([&](std::string_view c) { out.append(c); return Status{}; }, chunk).ok());
  return out;
}

TEST(BodySpool, StaysInMemoryUnderTheLimit) {
  BodySpool spool("/tmp", 100);
  ASSERT_TRUE(spool.append("hello ").ok());
  ASSERT_TRUE(spool.append("world").ok());
  EXPECT_FALSE(spool.spilled());
  EXPECT_EQ(readBack(spool, 4), "hello world");
}

TEST(BodySpool, SpillsToAFileAndReadsBackAnyNumberOfTimes) {
  BodySpool spool("/tmp", 1000);
  std::string expected;
  for (int i = 0; i < 20000; ++i) {  // ~200 KB in small appends, as the walker writes lines
    const std::string line = "line " + std::to_string(i) + "\r\n";
    expected += line;
    ASSERT_TRUE(spool.append(line).ok());
  }
  EXPECT_TRUE(spool.spilled());
  EXPECT_EQ(spool.size(), expected.size());
  EXPECT_EQ(readBack(spool, 65536), expected);
  EXPECT_EQ(readBack(spool, 7), expected);
}

TEST(BodySpool, ReportsAnUnusableDirectory) {
  BodySpool spool("/nonexistent/dir", 4);
  EXPECT_FALSE(spool.append("more than four bytes").ok());
}

}  // namespace
}  // namespace waybill::mime
