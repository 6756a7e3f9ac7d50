#include <gtest/gtest.h>

#include "html/link_rewriter.h"

namespace waybill::html {
namespace {

// Tracking URLs that show what they stand for: T/c/<n> for the n-th click URL.
RewriteOptions optionsWith(bool links, bool pixel, bool text_links = true) {
  RewriteOptions options;
  options.links = links;
  options.pixel = pixel;
  options.text_links = text_links;
  return options;
}

class FakeUrls : public TrackingUrls {
 public:
  std::string clickUrl(std::string_view url) override {
    seen.emplace_back(url);
    return "https://t.example/c/" + std::to_string(seen.size());
  }
  std::string openPixelUrl() override { return "https://t.example/o/P"; }
  bool isTrackingUrl(std::string_view url) const override { return url.rfind("https://t.example/", 0) == 0; }
  std::vector<std::string> seen;
};

TEST(LinkRewriter, RewritesEligibleLinksAndKeepsEverythingElse) {
  FakeUrls urls;
  LinkRewriter rewriter(urls, {.links = true, .pixel = true, .text_links = true, .keep_urls = {"http://keep.example/"}, .charset = ""});
  const std::string html =
      "<html><body><a href=\"http://a.example/?x=1&amp;y=2\">a</a>"
      "<a href='mailto:x@example'>m</a><a href=\"tel:+1\">t</a><a href=\"#top\">#</a>"
      "<a href=\"javascript:go()\">j</a><a href=\"https://t.example/u/TOKEN\">unsub</a>"
      "<a href=\"http://keep.example/\">keep</a><a href=HTTPS://b.example/>b</a></body></html>";
  auto out = rewriter.rewriteHtml(html);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out,
            "<html><body><a href=\"https://t.example/c/1\">a</a>"
            "<a href='mailto:x@example'>m</a><a href=\"tel:+1\">t</a><a href=\"#top\">#</a>"
            "<a href=\"javascript:go()\">j</a><a href=\"https://t.example/u/TOKEN\">unsub</a>"
            "<a href=\"http://keep.example/\">keep</a><a href=https://t.example/c/2>b</a>"
            "<img src=\"https://t.example/o/P\" width=\"1\" height=\"1\" alt=\"\" "
            "style=\"border:0;width:1px;height:1px\"></body></html>");
  EXPECT_EQ(urls.seen, (std::vector<std::string>{"http://a.example/?x=1&y=2", "HTTPS://b.example/"}));
  EXPECT_EQ(rewriter.rewrittenUrls(), urls.seen);
}

TEST(LinkRewriter, ModesSelectLinksOrPixel) {
  const std::string html = "<p><a href=\"http://a.example/\">a</a></p>";
  FakeUrls urls;
  auto opens_only = LinkRewriter(urls, optionsWith(false, true)).rewriteHtml(html);
  EXPECT_EQ(*opens_only, html + "<img src=\"https://t.example/o/P\" width=\"1\" height=\"1\" alt=\"\" "
                                "style=\"border:0;width:1px;height:1px\">");  // no </body>: at the end
  auto clicks_only = LinkRewriter(urls, optionsWith(true, false)).rewriteHtml(html);
  EXPECT_EQ(*clicks_only, "<p><a href=\"https://t.example/c/1\">a</a></p>");
}

TEST(LinkRewriter, TextLinksAreConfigurable) {
  const std::string text = "Go to https://a.example/x. Bye";
  FakeUrls urls;
  EXPECT_EQ(*LinkRewriter(urls, {}).rewriteText(text), "Go to https://t.example/c/1. Bye");
  EXPECT_EQ(*LinkRewriter(urls, optionsWith(true, true, false)).rewriteText(text), text);
}

}  // namespace
}  // namespace waybill::html
