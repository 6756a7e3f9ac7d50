#include <gtest/gtest.h>

#include "html/byte_patch.h"
#include "html/link_finder.h"
#include "text/url_finder.h"

namespace waybill::html {
namespace {

std::vector<std::string> urlsOf(std::string_view html) {
  std::vector<std::string> urls;
  for (const auto& link : findLinks(html).links) urls.push_back(link.url);
  return urls;
}

TEST(LinkFinder, FindsHrefInAnyQuotingAndCase) {
  const std::string html =
      "<A HREF=\"http://a.example/1\">1</A><a href='https://b.example/2'>2</a>"
      "<a class=x href=http://c.example/3?x=1>3</a><AREA Href = \"http://d.example/4\" shape=rect>"
      "<a name=\"top\">no href</a><link href=\"http://not-a-link.example/\">";
  EXPECT_EQ(urlsOf(html), (std::vector<std::string>{"http://a.example/1", "https://b.example/2",
                                                     "http://c.example/3?x=1", "http://d.example/4"}));
  const auto scan = findLinks(html);
  EXPECT_EQ(html.substr(scan.links[2].value_offset, scan.links[2].value_length), "http://c.example/3?x=1");
  EXPECT_EQ(scan.links[1].quote, '\'');
  EXPECT_EQ(scan.links[2].quote, 0);
}

TEST(LinkFinder, SkipsCommentsScriptsStylesAndQuotedBrackets) {
  const std::string html =
      "<!-- <a href=\"http://comment.example/\">c</a> -->"
      "<script>var s = '<a href=\"http://script.example/\">';</script>"
      "<STYLE>a[href=\"http://style.example/\"]{}</STYLE>"
      "<img alt=\"a > b <a href='http://alt.example/'>\">"
      "<a title='x>y' href=\"http://real.example/\">r</a>";
  EXPECT_EQ(urlsOf(html), std::vector<std::string>{"http://real.example/"});
}

TEST(LinkFinder, DecodesEntitiesAndTrims) {
  EXPECT_EQ(urlsOf("<a href=\" http://e.example/?a=1&amp;b=2&#38;c=3&#x26;d=&lt;4 \">"),
            std::vector<std::string>{"http://e.example/?a=1&b=2&c=3&d=<4"});
  EXPECT_EQ(decodeEntities("&unknown; &amp &#xZZ; &#233;"), "&unknown; & &#xZZ; \xC3\xA9");
}

TEST(LinkFinder, FlagsOptOutsAndFindsLastBodyEnd) {
  const std::string html =
      "<body><a data-waybill-notrack href=\"http://n.example/\">n</a>"
      "<a href=\"http://u.example/\" DATA-WAYBILL-UNSUBSCRIBE>u</a></BODY>trailing</body >";
  const auto scan = findLinks(html);
  ASSERT_EQ(scan.links.size(), 2u);
  EXPECT_TRUE(scan.links[0].no_track);
  EXPECT_TRUE(scan.links[1].unsubscribe);
  ASSERT_TRUE(scan.body_end);
  EXPECT_EQ(html.substr(*scan.body_end, 7), "</body ");
}

TEST(BytePatch, AppliesSortedAndRejectsOverlaps) {
  auto out = applyPatches("0123456789", {{5, 2, "X"}, {1, 1, "AB"}, {10, 0, "!"}});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "0AB234X789!");
  EXPECT_FALSE(applyPatches("0123456789", {{1, 3, "x"}, {2, 1, "y"}}).ok());
  EXPECT_FALSE(applyPatches("0123", {{3, 2, "x"}}).ok());
}

TEST(TextUrlFinder, FindsBareUrlsWithoutTrailingPunctuation) {
  const std::string text =
      "See https://a.example/x. Or (http://b.example/y_(z)) and <HTTP://c.example/q?a=1>, "
      "not xhttp://d.example nor mailto:e@example or http:// alone";
  std::vector<std::string> urls;
  for (const auto& url : text::findTextUrls(text)) urls.push_back(text.substr(url.offset, url.length));
  EXPECT_EQ(urls, (std::vector<std::string>{"https://a.example/x", "http://b.example/y_(z)", "HTTP://c.example/q?a=1"}));
}

}  // namespace
}  // namespace waybill::html
