#include "track/unsubscribe_page.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "unsubscribe_template.h"

namespace waybill::track {
namespace {

TEST(UnsubscribePage, BuiltinPageHasAConfirmFormAndEscapesTheAction) {
  auto page = UnsubscribePage::load("", trackd::kBuiltinUnsubscribeTemplate);
  ASSERT_TRUE(page);
  const std::string confirm = page->renderConfirm("https://t.example/u/AB\"<x>");
  EXPECT_NE(confirm.find("<form method=\"post\""), std::string::npos);
  EXPECT_EQ(confirm.find("\"<x>"), std::string::npos);  // HTML-escaped
  EXPECT_NE(confirm.find("&quot;&lt;x&gt;"), std::string::npos);
  EXPECT_EQ(confirm.find("You are unsubscribed"), std::string::npos);
  const std::string done = page->renderDone();
  EXPECT_NE(done.find("You are unsubscribed"), std::string::npos);
  EXPECT_EQ(done.find("<form"), std::string::npos);
}

TEST(UnsubscribePage, OperatorTemplateOverridesTheBuiltinOne) {
  const auto dir = std::filesystem::temp_directory_path() / ("trackd-template-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "unsubscribe.html.mustache") << "{{#confirm}}C {{action}}{{/confirm}}{{#done}}D{{/done}}";
  auto page = UnsubscribePage::load(dir.string(), "builtin");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->renderConfirm("x"), "C x");
  EXPECT_EQ(page->renderDone(), "D");
  std::filesystem::remove_all(dir);
  EXPECT_FALSE(UnsubscribePage::load(dir.string(), "builtin"));  // a named but missing template is an error
}

}  // namespace
}  // namespace waybill::track
