#include "policy/policy_request.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace waybill::policy;

namespace {

const std::string kRequest =
    "request=smtpd_access_policy\nprotocol_state=RCPT\nsender=a@x.test\nrecipient=b@y.test\ninstance=1.2\n\n";

std::vector<PolicyRequest> drain(PolicyRequestReader& reader) {
  std::vector<PolicyRequest> out;
  while (auto r = reader.next()) out.push_back(std::move(*r));
  return out;
}

TEST(PolicyRequestReader, ParsesOneRequest) {
  PolicyRequestReader reader;
  reader.push(kRequest);
  auto requests = drain(reader);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].get("recipient"), "b@y.test");
  EXPECT_EQ(requests[0].get("protocol_state"), "RCPT");
  EXPECT_EQ(requests[0].get("missing"), "");
  EXPECT_FALSE(reader.failed());
  EXPECT_FALSE(reader.hasPartialRequest());
}

TEST(PolicyRequestReader, AnyChunkingGivesTheSameRequests) {
  const std::string two = kRequest + "request=smtpd_access_policy\nrecipient=c@y.test\nempty=\n\n";
  for (std::size_t chunk = 1; chunk <= two.size(); ++chunk) {
    PolicyRequestReader reader;
    std::vector<PolicyRequest> requests;
    for (std::size_t at = 0; at < two.size(); at += chunk) {
      reader.push(std::string_view(two).substr(at, chunk));
      for (auto& r : drain(reader)) requests.push_back(std::move(r));
    }
    ASSERT_EQ(requests.size(), 2u) << "chunk " << chunk;
    EXPECT_EQ(requests[1].get("recipient"), "c@y.test");
    EXPECT_TRUE(requests[1].has("empty"));
    EXPECT_FALSE(reader.failed());
  }
}

TEST(PolicyRequestReader, ValuesMayContainEqualsAndCrlfIsTolerated) {
  PolicyRequestReader reader;
  reader.push("request=smtpd_access_policy\r\nccert_subject=CN=a=b\r\n\r\n");
  auto requests = drain(reader);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].get("ccert_subject"), "CN=a=b");
}

TEST(PolicyRequestReader, HalfRequestIsReportedAsPartial) {
  PolicyRequestReader reader;
  reader.push("request=smtpd_access_policy\nrecipient=b@y");
  EXPECT_TRUE(drain(reader).empty());
  EXPECT_TRUE(reader.hasPartialRequest());
  EXPECT_FALSE(reader.failed());
}

struct GarbageCase {
  const char* name;
  std::string bytes;
};

class PolicyRequestGarbage : public ::testing::TestWithParam<GarbageCase> {};

TEST_P(PolicyRequestGarbage, FailsAndStaysFailed) {
  PolicyLimits limits;
  limits.max_line = 64;
  limits.max_request = 256;
  limits.max_attributes = 4;
  PolicyRequestReader reader(limits);
  reader.push(GetParam().bytes);
  EXPECT_TRUE(drain(reader).empty());
  EXPECT_TRUE(reader.failed()) << GetParam().name;
  reader.push(kRequest);  // nothing after garbage is trusted
  EXPECT_TRUE(drain(reader).empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PolicyRequestGarbage,
    ::testing::Values(GarbageCase{"no equals", "hello world\n\n"}, GarbageCase{"empty name", "=x\n\n"},
                      GarbageCase{"bad name", "re quest=x\n\n"}, GarbageCase{"empty request", "\n"},
                      GarbageCase{"binary", std::string("a=b\n\0\xff\n\n", 7)},
                      GarbageCase{"long line without newline", std::string(65, 'a')},
                      GarbageCase{"long line", "a=" + std::string(100, 'x') + "\n\n"},
                      GarbageCase{"too many attributes", "a=1\nb=2\nc=3\nd=4\ne=5\n\n"},
                      GarbageCase{"request too large", [] {
                                    std::string s;
                                    for (int i = 0; i < 4; ++i) s += "k=" + std::string(60, 'v') + "\n";
                                    return s + "k=" + std::string(60, 'v');
                                  }()}),
    [](const auto& param_info) {
      std::string name = param_info.param.name;
      for (auto& c : name)
        if (c == ' ') c = '_';
      return name;
    });

TEST(FormatPolicyReply, EndsWithEmptyLineAndCannotBeSplit) {
  EXPECT_EQ(formatPolicyReply("DUNNO"), "action=DUNNO\n\n");
  EXPECT_EQ(formatPolicyReply("REJECT a\nb"), "action=REJECT a b\n\n");
}

}  // namespace
