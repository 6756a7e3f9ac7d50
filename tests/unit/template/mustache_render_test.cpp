#include "template/mustache_render.h"

#include <gtest/gtest.h>

#include <thread>

#include "text/html_escape.h"

namespace waybill {
namespace {

const mstch::map kContext{{"name", std::string("<Ann & Bob>")}};

TEST(MustacheRender, EscapesDoubleBracesWithTheGivenEscape) {
  EXPECT_EQ(renderMustache("Hi {{name}}", kContext, {}, escapeHtml), "Hi &lt;Ann &amp; Bob&gt;");
  EXPECT_EQ(renderMustache("Hi {{name}}", kContext, {}, keepUnescaped), "Hi <Ann & Bob>");
}

TEST(MustacheRender, TripleBracesAreRawWhateverTheEscape) {
  EXPECT_EQ(renderMustache("{{{name}}}", kContext, {}, escapeHtml), "<Ann & Bob>");
  EXPECT_EQ(renderMustache("{{& name}}", kContext, {}, escapeHtml), "<Ann & Bob>");
}

TEST(MustacheRender, EachRenderKeepsItsOwnEscapeAcrossThreads) {
  std::string html, text;
  std::thread other([&] {
    for (int i = 0; i < 200; ++i) text = renderMustache("{{name}}", kContext, {}, keepUnescaped);
  });
  for (int i = 0; i < 200; ++i) html = renderMustache("{{name}}", kContext, {}, escapeHtml);
  other.join();
  EXPECT_EQ(html, "&lt;Ann &amp; Bob&gt;");
  EXPECT_EQ(text, "<Ann & Bob>");
}

TEST(MustacheRender, MstchsOwnEscapeAlsoEscapesSlashes) {
  const mstch::map context{{"action", std::string("/u/a&b")}};
  EXPECT_EQ(renderMustache("{{action}}", context, {}, mstchHtmlEscape), "&#x2F;u&#x2F;a&amp;b");
  EXPECT_EQ(mstchHtmlEscape("&'\"<>/`= x"), "&amp;&#39;&quot;&lt;&gt;&#x2F;`= x");  // as mstch alone does
  EXPECT_EQ(renderMustache("{{action}}", context, {}, escapeHtml), "/u/a&amp;b");
}

TEST(MustacheRender, PartialsUseTheEscapeOfTheRender) {
  const std::map<std::string, std::string> partials{{"who", "{{name}}"}};
  EXPECT_EQ(renderMustache("[{{> who}}]", kContext, partials, keepUnescaped), "[<Ann & Bob>]");
  EXPECT_EQ(renderMustache("[{{> who}}]", kContext, partials, escapeHtml), "[&lt;Ann &amp; Bob&gt;]");
}

}  // namespace
}  // namespace waybill
