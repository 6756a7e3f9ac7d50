#include "text/ascii_text.h"

#include <gtest/gtest.h>

namespace waybill {
namespace {

TEST(AsciiText, LowersOnlyAsciiLetters) {
  EXPECT_EQ(toLower("MiXeD-Case_09@EXAMPLE.Org"), "mixed-case_09@example.org");
  EXPECT_EQ(toLower("\xC3\x89t\xC3\xA9"), "\xC3\x89t\xC3\xA9");  // UTF-8 bytes untouched
  EXPECT_EQ(toLowerAscii('Z'), 'z');
  EXPECT_EQ(toLowerAscii('['), '[');
}

TEST(AsciiText, ComparesIgnoringCase) {
  EXPECT_TRUE(equalsIgnoreCase("Content-Type", "content-TYPE"));
  EXPECT_FALSE(equalsIgnoreCase("Content-Type", "Content-Typ"));
  EXPECT_FALSE(equalsIgnoreCase("a", "b"));
  EXPECT_TRUE(equalsIgnoreCase("", ""));
}

TEST(AsciiText, TrimsBlanks) {
  EXPECT_EQ(trimBlanks(" \t value \r\n"), "value");
  EXPECT_EQ(trimBlanks("   "), "");
  EXPECT_EQ(trimBlanks("a b"), "a b");
}

TEST(AsciiText, SplitsLists) {
  EXPECT_EQ(splitList(" a, b ,,c "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(splitList("v=spf1 a  mx", ' '), (std::vector<std::string>{"v=spf1", "a", "mx"}));
  EXPECT_TRUE(splitList("").empty());
  EXPECT_TRUE(splitList(" , ,").empty());
}

}  // namespace
}  // namespace waybill
