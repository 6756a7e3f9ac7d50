#include "pipe_protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace waybill::pipe {
namespace {

std::string request(std::string_view message) {
  return netstring("") + netstring("bounce+t@bounces.test") + netstring("Q1") + netstring(message) + "0:,";
}

TEST(PipeProtocol, NetstringsCarryAnyBytes) {
  EXPECT_EQ(netstring(""), "0:,");
  EXPECT_EQ(netstring("a,b"), "3:a,b,");
  EXPECT_EQ(netstring(std::string("\0\n", 2)), std::string("2:\0\n,", 5));
}

TEST(PipeProtocol, ReaderTakesARequestInOneGoOrByteByByte) {
  const std::string wire = request("Subject: x\n\nbody\n");
  for (std::size_t step : {wire.size(), std::size_t{1}, std::size_t{7}}) {
    PipeRequestReader reader(1 << 20);
    for (std::size_t at = 0; at < wire.size(); at += step) reader.push(std::string_view(wire).substr(at, step));
    ASSERT_TRUE(reader.done()) << step << " " << reader.error();
    EXPECT_EQ(reader.request().sender, "");
    EXPECT_EQ(reader.request().recipient, "bounce+t@bounces.test");
    EXPECT_EQ(reader.request().queue_id, "Q1");
    EXPECT_EQ(reader.request().message, "Subject: x\n\nbody\n");
    EXPECT_FALSE(reader.request().truncated);
  }
}

TEST(PipeProtocol, MessageInManyChunksAndEmptyMessage) {
  PipeRequestReader reader(1 << 20);
  reader.push(netstring("s@x") + netstring("r@y") + netstring("Q") + netstring("abc") + netstring("def") + "0:,");
  ASSERT_TRUE(reader.done());
  EXPECT_EQ(reader.request().message, "abcdef");
  PipeRequestReader empty(1 << 20);
  empty.push(netstring("") + netstring("r@y") + netstring("") + "0:,");
  ASSERT_TRUE(empty.done());
  EXPECT_EQ(empty.request().message, "");
}

TEST(PipeProtocol, LongMessagesAreCutAtTheLimitAndReadToTheEnd) {
  PipeRequestReader reader(4);
  const std::string wire = request("0123456789");
  EXPECT_EQ(reader.push(wire), wire.size());
  ASSERT_TRUE(reader.done());
  EXPECT_EQ(reader.request().message, "0123");
  EXPECT_TRUE(reader.request().truncated);
}

TEST(PipeProtocol, NothingIsDoneWithoutTheEndFrame) {
  PipeRequestReader reader(1 << 20);
  const std::string wire = request("body");
  reader.push(std::string_view(wire).substr(0, wire.size() - 3));  // a client that died
  EXPECT_FALSE(reader.done());
  EXPECT_FALSE(reader.failed());
}

TEST(PipeProtocol, GarbageFailsWithAReason) {
  const std::string long_field = std::to_string(kMaxEnvelopeField + 1) + ":";
  for (const std::string& wire : {std::string(":,"), std::string("x:,"), std::string("3:abc;"),
                                  std::string("123456789:"), long_field,
                                  netstring("") + netstring("") + netstring("") + std::to_string(kMaxChunk + 1) + ":"}) {
    PipeRequestReader reader(1 << 20);
    reader.push(wire);
    EXPECT_TRUE(reader.failed()) << wire;
    EXPECT_FALSE(reader.error().empty());
  }
}

TEST(PipeProtocol, ReaderStopsConsumingWhenDone) {
  PipeRequestReader reader(1 << 20);
  const std::string wire = request("m");
  EXPECT_EQ(reader.push(wire + "trailing"), wire.size());
}

TEST(PipeProtocol, AnswersRoundTripAndMalformedOnesAreRefused) {
  EXPECT_EQ(formatAnswer({0, "stored"}), "0 stored\n");
  EXPECT_EQ(formatAnswer({75, "database: down\nsecond line"}), "75 database: down second line\n");
  auto parsed = parseAnswer("75 database: down");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->exit_code, 75);
  EXPECT_EQ(parsed->text, "database: down");
  ASSERT_TRUE(parseAnswer("0"));
  for (std::string_view bad : {"", "x 1", "0stored", "-1 x", "256 x"}) EXPECT_FALSE(parseAnswer(bad)) << bad;
}

}  // namespace
}  // namespace waybill::pipe
