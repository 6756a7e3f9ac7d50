#include "mail/address_syntax.h"

#include <gtest/gtest.h>

namespace waybill {
namespace {

TEST(ParseMailbox, AcceptsWhatRfc5321Allows) {
  struct Case { const char* input; const char* normalised; };
  const Case cases[] = {
      {"ann@example.com", "ann@example.com"},
      {"<Ann@Example.COM>", "Ann@example.com"},
      {"first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"},
      {"o'brien@example.com", "o'brien@example.com"},
      {"\"a b\"@example.com", "\"a b\"@example.com"},
      {"user@[192.0.2.1]", "user@[192.0.2.1]"},
      {"ann@xn--bcher-kva.example", "ann@xn--bcher-kva.example"},
      {"ann@b\xc3\xbc" "cher.example", "ann@b\xc3\xbc" "cher.example"},
      {"j\xc3\xb6rg@example.com", "j\xc3\xb6rg@example.com"},
      {"root@localhost", "root@localhost"},
  };
  for (const auto& c : cases) {
    auto parsed = parseMailbox(c.input);
    ASSERT_TRUE(parsed) << c.input << ": " << parsed.error();
    EXPECT_EQ(*parsed, c.normalised) << c.input;
  }
}

TEST(ParseMailbox, RefusesWhatItDoesNotAllowAndSaysWhy) {
  struct Case { std::string input; const char* says; };
  const Case cases[] = {
      {"@@", "local part"},
      {"a b@c.example", "not allowed unquoted"},
      {"notanaddress", "no @domain"},
      {"@example.com", "local part (before @) is empty"},
      {"ann@", "domain is empty"},
      {"ann.@example.com", "misplaced dot"},
      {"a..b@example.com", "misplaced dot"},
      {"ann@exa mple.com", "character other than"},
      {"ann@-example.com", "starts or ends with '-'"},
      {"ann@example..com", "empty label"},
      {std::string(65, 'a') + "@example.com", "longer than 64"},
      {"ann@" + std::string(64, 'b') + ".example", "longer than 63"},
      {std::string(60, 'a') + "@" + std::string(50, 'b') + "." + std::string(50, 'c') + "." +
           std::string(50, 'd') + "." + std::string(50, 'e') + ".com", "longer than 254"},
      {"ann@exa\xffmple.com", "not valid UTF-8"},
      {"\"unterminated\\\"@example.com", "backslash"},
      {"ann@[]", "address literal"},
  };
  for (const auto& c : cases) {
    auto parsed = parseMailbox(c.input);
    ASSERT_FALSE(parsed) << c.input << " was accepted as " << *parsed;
    EXPECT_NE(parsed.error().find(c.says), std::string::npos) << c.input << ": " << parsed.error();
  }
}

TEST(ParseDomain, LowerCasesAndChecksLabels) {
  EXPECT_EQ(*parseDomain("Example.COM"), "example.com");
  EXPECT_EQ(*parseDomain("example.com."), "example.com");
  EXPECT_FALSE(parseDomain("not a domain"));
  EXPECT_FALSE(parseDomain(""));
  EXPECT_FALSE(parseDomain("a_b.example"));
  EXPECT_FALSE(parseDomain(std::string(254, 'a')));
  // U-labels must form a valid IDN: U+00A0 (no-break space) is not a valid label character.
  EXPECT_FALSE(parseDomain("b\xc2\xa0r.example"));
  EXPECT_TRUE(parseDomain("m\xc3\xbcnchen.example"));
}

}  // namespace
}  // namespace waybill
