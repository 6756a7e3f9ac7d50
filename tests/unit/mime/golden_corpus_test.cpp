// Runs every message of tests/golden/tracking/ through the walker + LinkRewriter and checks the
// invariants the tracker promises: each eligible link rewritten to a token that maps back to the
// original URL, all other bytes unchanged, no output line over 998 octets. (The end-to-end
// version through Postfix, with an HTML parser and attachment comparison, is
// tests/integration/test_tracking_corpus.py.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "html/link_rewriter.h"
#include "mime/mime_rewriter.h"
#include "../../support/longest_line.h"

namespace waybill::mime {
namespace {

class NumberedUrls : public html::TrackingUrls {
 public:
  std::string clickUrl(std::string_view url) override {
    originals.emplace_back(url);
    return "https://t.example/c/" + std::to_string(originals.size() - 1);
  }
  std::string openPixelUrl() override { return "https://t.example/o/pixel"; }
  bool isTrackingUrl(std::string_view url) const override { return url.rfind("https://t.example/", 0) == 0; }
  std::vector<std::string> originals;
};

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

using waybill::test_support::longestLine;

TEST(GoldenCorpus, EveryMessageKeepsTheTrackingInvariants) {
  const char* source = std::getenv("WAYBILL_SOURCE_DIR");
  const std::filesystem::path dir = std::filesystem::path(source ? source : WAYBILL_TEST_SOURCE_DIR) / "tests/golden/tracking";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  int messages = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".eml") continue;
    ++messages;
    const std::string input = readFile(entry.path());
    NumberedUrls urls;
    std::vector<std::string> originals_per_part;
    auto handler = [&](const TextPart& part, std::string_view decoded) -> Result<std::string> {
      html::RewriteOptions options;
      options.charset = part.charset;  // as the milter does: links go out in their ASCII form
      html::LinkRewriter rewriter(urls, options);
      return part.media_type == "text/html" ? rewriter.rewriteHtml(decoded) : rewriter.rewriteText(decoded);
    };
    auto output = rewriteWholeMessage(input, handler);
    ASSERT_TRUE(output.ok()) << entry.path();
    EXPECT_LE(longestLine(*output), 998u) << entry.path();
    // Expected originals, if the corpus states them, must match exactly (in order).
    const std::filesystem::path expected_file = entry.path().string() + ".links";
    if (std::filesystem::exists(expected_file)) {
      std::vector<std::string> expected;
      std::istringstream lines(readFile(expected_file));
      for (std::string line; std::getline(lines, line);)
        if (!line.empty()) expected.push_back(line);
      EXPECT_EQ(urls.originals, expected) << entry.path();
    }
    // Idempotence: tracking URLs are never rewritten again.
    NumberedUrls again;
    auto second = rewriteWholeMessage(*output, [&](const TextPart& part, std::string_view decoded) -> Result<std::string> {
      html::RewriteOptions no_pixel;
      no_pixel.pixel = false;
      html::LinkRewriter rewriter(again, no_pixel);
      return part.media_type == "text/html" ? rewriter.rewriteHtml(decoded) : rewriter.rewriteText(decoded);
    });
    ASSERT_TRUE(second.ok());
    EXPECT_TRUE(again.originals.empty()) << entry.path() << ": " << (again.originals.empty() ? "" : again.originals[0]);
  }
  EXPECT_GE(messages, 30);
}

}  // namespace
}  // namespace waybill::mime
