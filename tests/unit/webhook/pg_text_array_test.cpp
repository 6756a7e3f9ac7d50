#include "webhook/pg_text_array.h"

#include <gtest/gtest.h>

namespace waybill::webhook {
namespace {

TEST(PgTextArray, QuotesEveryElement) {
  EXPECT_EQ(pgTextArray({}), "{}");
  EXPECT_EQ(pgTextArray({"a"}), R"({"a"})");
  EXPECT_EQ(pgTextArray({"a,b", "NULL", ""}), R"({"a,b","NULL",""})") << "commas, the word NULL, empty";
  EXPECT_EQ(pgTextArray({R"(q"b\s)", "{x}"}), R"({"q\"b\\s","{x}"})");
}

}  // namespace
}  // namespace waybill::webhook
