// Golden files: every tests/golden/dsn/NAME.eml is read and its results compared, field by field,
// with NAME.expected (one JSON object per recipient result, as `waybill-pipe --classify-only`
// prints them: recipient, action, status, replycode, reason, hardbounce, feedbacktype).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dsn/bounce_reader.h"

namespace waybill::dsn {
namespace {

namespace fs = std::filesystem;

fs::path goldenDir() {
  const char* source = std::getenv("WAYBILL_SOURCE_DIR");
  return fs::path(source != nullptr ? source : ".") / "tests" / "golden" / "dsn";
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(GoldenDsn, EveryFixtureMatchesItsExpectedResults) {
  fs::path dir = goldenDir();
  ASSERT_TRUE(fs::is_directory(dir)) << dir << " (set WAYBILL_SOURCE_DIR)";
  int fixtures = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".eml") continue;
    ++fixtures;
    fs::path expected_path = entry.path();
    expected_path.replace_extension(".expected");
    std::vector<nlohmann::json> expected;
    std::ifstream lines(expected_path);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) expected.push_back(nlohmann::json::parse(line));
    }
    BounceReport report = readBounce(readFile(entry.path()));
    SCOPED_TRACE(entry.path().filename().string());
    ASSERT_EQ(report.results.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const RecipientResult& r = report.results[i];
      const nlohmann::json& e = expected[i];
      EXPECT_EQ(r.recipient, e.value("recipient", ""));
      EXPECT_EQ(r.action, e.value("action", ""));
      EXPECT_EQ(r.status, e.value("status", ""));
      EXPECT_EQ(r.reply_code, e.value("replycode", ""));
      EXPECT_EQ(r.reason, e.value("reason", ""));
      EXPECT_EQ(r.hard_bounce, e.value("hardbounce", false));
      EXPECT_EQ(r.feedback_type, e.value("feedbacktype", ""));
      if (e.contains("kind")) {
        EXPECT_EQ(reportKindName(report.kind), e["kind"].get<std::string>());
      }
    }
  }
  EXPECT_GE(fixtures, 5);
}

}  // namespace
}  // namespace waybill::dsn
