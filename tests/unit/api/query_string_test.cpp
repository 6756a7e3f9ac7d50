// Query strings of API reads: decoding, repeats, malformed escapes named.
#include <gtest/gtest.h>

#include "api/query_string.h"

namespace waybill::api {
namespace {

TEST(QueryString, DecodesNamesAndValues) {
  auto parsed = parseQueryString("recipient=Ann%40Example.net&type=clicked&note=a+b%2Bc&empty=&flag");
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->at("recipient"), "Ann@Example.net");
  EXPECT_EQ(parsed->at("type"), "clicked");
  EXPECT_EQ(parsed->at("note"), "a b+c");
  EXPECT_EQ(parsed->at("empty"), "");
  EXPECT_EQ(parsed->at("flag"), "");
  EXPECT_EQ(parsed->size(), 5u);
}

TEST(QueryString, LastRepeatWinsAndEmptyPairsAreSkipped) {
  auto parsed = parseQueryString("&limit=1&&limit=2&");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->at("limit"), "2");
  EXPECT_EQ(parsed->size(), 1u);
  EXPECT_TRUE(parseQueryString("")->empty());
}

TEST(QueryString, MalformedEscapesNameTheParameter) {
  for (const char* query : {"since=%", "since=%4", "since=%zz", "a%=1"}) {
    auto parsed = parseQueryString(query);
    ASSERT_FALSE(parsed) << query;
    EXPECT_NE(parsed.error().find("query parameter"), std::string::npos) << parsed.error();
  }
  auto ok = parseQueryString("x=%41%42");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->at("x"), "AB");
}

}  // namespace
}  // namespace waybill::api
