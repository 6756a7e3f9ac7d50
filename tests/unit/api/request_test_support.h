// What the tests of the three request formats (native, Postmark, SendGrid) share: the field a
// rejected body's error names, and the checks of the people every format's full example names.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "api/submission.h"

namespace waybill::api {

// Parses a body expected to fail with `parse` and returns the field the error names.
template <typename Parsed>
std::string failingFieldOf(FieldResult<Parsed> (*parse)(std::string_view, const RequestLimits&), std::string_view body,
                           const RequestLimits& limits = {}) {
  auto parsed = parse(body, limits);
  EXPECT_FALSE(parsed.ok()) << body;
  return parsed ? std::string("<accepted>") : parsed.error().field;
}

// Ann Example sends to Bob and Carol (display name as the format writes it), Cc Dave, Bcc Eve,
// replies to help@. Call it in ASSERT_NO_FATAL_FAILURE: the To count is a precondition.
inline void expectExamplePeople(const Submission& s, std::string_view carol_display_name) {
  EXPECT_EQ(s.from.display_name, "Ann Example");
  ASSERT_EQ(s.to.size(), 2u);
  EXPECT_EQ(s.to[1].display_name, carol_display_name);
  EXPECT_EQ(s.to[1].address, "carol@example.net");
  EXPECT_EQ(s.cc.at(0).address, "dave@example.com");
  EXPECT_EQ(s.bcc.at(0).address, "eve@example.com");
  EXPECT_EQ(s.reply_to.at(0).address, "help@example.com");
}

// A submission of template "welcome" with the data {"name": "Bo"}, as each format can name one.
inline void expectWelcomeTemplate(const FieldResult<Submission>& parsed) {
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed->template_name, "welcome");
  EXPECT_EQ(*parsed->template_data, R"({"name":"Bo"})");
}

}  // namespace waybill::api
