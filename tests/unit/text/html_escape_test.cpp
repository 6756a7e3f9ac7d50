#include "text/html_escape.h"

#include <gtest/gtest.h>

namespace waybill {
namespace {

TEST(HtmlEscape, EscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(escapeHtml("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
}

TEST(HtmlEscape, LeavesOtherBytesAlone) {
  EXPECT_EQ(escapeHtml("plain text, \xC3\xA9, 100%"), "plain text, \xC3\xA9, 100%");
  EXPECT_EQ(escapeHtml(""), "");
}

}  // namespace
}  // namespace waybill
