#include "text/line_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace waybill {
namespace {

std::vector<std::string> linesOf(std::string_view text) {
  std::vector<std::string> out;
  LineReader lines(text);
  for (std::string_view line; lines.next(line);) out.emplace_back(line);
  return out;
}

TEST(LineReader, SplitsAtLineFeeds) {
  EXPECT_EQ(linesOf("a\nbb\n\nc"), (std::vector<std::string>{"a", "bb", "", "c"}));
  EXPECT_EQ(linesOf("a\n"), (std::vector<std::string>{"a"}));  // no empty line after the last LF
  EXPECT_TRUE(linesOf("").empty());
  EXPECT_EQ(linesOf("\n"), (std::vector<std::string>{""}));
}

TEST(LineReader, TellsWhereEachLineStarts) {
  LineReader lines("ab\ncd\n");
  std::string_view line;
  ASSERT_TRUE(lines.next(line));
  EXPECT_EQ(lines.lineStart(), 0u);
  ASSERT_TRUE(lines.next(line));
  EXPECT_EQ(line, "cd");
  EXPECT_EQ(lines.lineStart(), 3u);
  EXPECT_EQ(lines.rest(), 6u);
  EXPECT_FALSE(lines.next(line));
}

}  // namespace
}  // namespace waybill
