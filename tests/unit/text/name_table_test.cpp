#include "text/name_table.h"

#include <gtest/gtest.h>

namespace waybill {
namespace {

enum class Colour { Red, Green, Blue };
constexpr NameTable<Colour, 3> kColours{{{{Colour::Red, "red"}, {Colour::Green, "green"}, {Colour::Blue, "blue"}}}, "red"};

TEST(NameTable, ParsesEveryName) {
  for (Colour colour : {Colour::Red, Colour::Green, Colour::Blue}) {
    auto parsed = kColours.parse(kColours.nameOf(colour));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, colour);
  }
}

TEST(NameTable, RefusesOtherTextListingTheChoices) {
  auto parsed = kColours.parse("Green");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error(), "'Green' is not one of red, green, blue");
  EXPECT_FALSE(kColours.find("").has_value());
}

TEST(NameTable, NamesAValueOutsideTheTableWithTheFallback) {
  EXPECT_STREQ(kColours.nameOf(static_cast<Colour>(7)), "red");
}

}  // namespace
}  // namespace waybill
