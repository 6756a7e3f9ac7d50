#include "html/ascii_url.h"

#include <gtest/gtest.h>

#include "html/link_rewriter.h"

namespace waybill::html {
namespace {

TEST(AsciiUrl, AsciiUrlsComeBackUnchanged) {
  EXPECT_EQ(asciiUrl("https://shop.example/track?id=42&ref=mail#top", ""), "https://shop.example/track?id=42&ref=mail#top");
  EXPECT_EQ(asciiUrl("https://shop.example/%C3%A4", "iso-8859-1"), "https://shop.example/%C3%A4");
}

TEST(AsciiUrl, Utf8PathAndQueryArePercentEncoded) {
  EXPECT_EQ(asciiUrl("https://shop.example/search?q=\xC3\xA9t\xC3\xA9", "utf-8"), "https://shop.example/search?q=%C3%A9t%C3%A9");
  EXPECT_EQ(asciiUrl("https://shop.example/\xC3\xA4#\xC3\xBC", ""), "https://shop.example/%C3%A4#%C3%BC");
}

TEST(AsciiUrl, TheCharsetIsDecodedBeforeEncoding) {
  // "/ä" in a Latin-1 part is the byte E4; the browser requests the UTF-8 form.
  EXPECT_EQ(asciiUrl("https://shop.example/\xE4", "ISO-8859-1"), "https://shop.example/%C3%A4");
  EXPECT_EQ(asciiUrl("https://shop.example/\x80", "windows-1252"), "https://shop.example/%E2%82%AC");
}

TEST(AsciiUrl, NonAsciiHostsBecomeALabels) {
  EXPECT_EQ(asciiUrl("https://b\xC3\xBC" "cher.example/\xC3\xA4", "utf-8"), "https://xn--bcher-kva.example/%C3%A4");
  EXPECT_EQ(asciiUrl("https://user@b\xC3\xBC" "cher.example:8443/x", "utf-8"), "https://user@xn--bcher-kva.example:8443/x");
}

TEST(AsciiUrl, BytesThatDoNotDecodeAreEncodedAsTheyAre) {
  EXPECT_EQ(asciiUrl("https://shop.example/\xFF\xFE", "utf-8"), "https://shop.example/%FF%FE");
  EXPECT_EQ(asciiUrl("https://shop.example/\xE4", "x-no-such-charset"), "https://shop.example/%E4");
  const std::string out = asciiUrl("https://\xFF\xFF.example/", "utf-8");
  EXPECT_EQ(out.find_first_of("\x80\xFF"), std::string::npos) << out;
}

class RecordingUrls : public TrackingUrls {
 public:
  std::string clickUrl(std::string_view url) override {
    seen.emplace_back(url);
    return "https://t.example/c/1";
  }
  std::string openPixelUrl() override { return "https://t.example/o/P"; }
  bool isTrackingUrl(std::string_view url) const override { return url.rfind("https://t.example/", 0) == 0; }
  std::vector<std::string> seen;
};

TEST(AsciiUrl, TheRewriterTracksAndRecordsTheAsciiForm) {
  RecordingUrls urls;
  LinkRewriter rewriter(urls, {.links = true, .pixel = false, .text_links = true, .keep_urls = {}, .charset = "iso-8859-1"});
  ASSERT_TRUE(rewriter.rewriteHtml("<a href=\"https://shop.example/\xE4?q=\xE9t\xE9\">x</a>").ok());
  ASSERT_TRUE(rewriter.rewriteText("see https://shop.example/\xE4 now").ok());
  const std::vector<std::string> expected = {"https://shop.example/%C3%A4?q=%C3%A9t%C3%A9", "https://shop.example/%C3%A4"};
  EXPECT_EQ(urls.seen.size(), 2u);
  EXPECT_EQ(urls.seen[0], expected[0]);
  EXPECT_EQ(rewriter.rewrittenUrls()[0], expected[0]);
}

}  // namespace
}  // namespace waybill::html
