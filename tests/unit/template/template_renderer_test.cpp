#include "template/template_renderer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "mime/transfer_encoding.h"

namespace waybill {
namespace {

class TemplateFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("waybill-templates-" + std::to_string(getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    write("welcome.html.mustache", "<p>Hello {{name}}!</p>{{{raw}}}<a href=\"{{url}}\">go</a>{{> footer.html}}");
    write("welcome.txt.mustache", "Hello {{name}}!\n{{#items}}- {{.}}\n{{/items}}{{> footer.txt}}");
    write("footer.html.mustache", "<footer>{{company}}</footer>");
    write("footer.txt.mustache", "-- {{company}}");
    write("textonly.txt.mustache", "Just {{name}}");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  std::filesystem::path dir_;
};

TEST_F(TemplateFolder, RendersBothPartsWithEscapingOnlyInHtml) {
  TemplateRenderer renderer(dir_.string());
  auto parts = renderer.render("welcome", R"({"name":"Tom & <Jerry>","raw":"<b>x</b>","url":"https://e.example/?a=1&b=2",
                                           "items":["one","two"],"company":"A&B"})");
  ASSERT_TRUE(parts.ok()) << parts.error();
  EXPECT_EQ(*parts->html,
            "<p>Hello Tom &amp; &lt;Jerry&gt;!</p><b>x</b><a href=\"https://e.example/?a=1&amp;b=2\">go</a><footer>A&amp;B</footer>");
  EXPECT_EQ(*parts->text, "Hello Tom & <Jerry>!\n- one\n- two\n-- A&B");
}

TEST_F(TemplateFolder, NamesTheProblem) {
  TemplateRenderer renderer(dir_.string());
  auto unknown = renderer.render("nosuch", "{}");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().find("unknown template 'nosuch'"), std::string::npos);
  auto bad_json = renderer.render("welcome", "{name: ");
  ASSERT_FALSE(bad_json.ok());
  EXPECT_NE(bad_json.error().find("not valid JSON"), std::string::npos);
  EXPECT_FALSE(renderer.render("welcome", "[1,2]").ok());
  EXPECT_FALSE(renderer.render("../etc/passwd", "{}").ok());
  EXPECT_FALSE(renderer.render("a/b", "{}").ok());
}

TEST_F(TemplateFolder, ReloadPicksUpChanges) {
  TemplateRenderer renderer(dir_.string());
  write("textonly.txt.mustache", "Changed {{name}}");
  EXPECT_EQ(*renderer.render("textonly", R"({"name":"x"})")->text, "Just x");  // cached until reload
  ASSERT_TRUE(renderer.reload().ok());
  EXPECT_EQ(*renderer.render("textonly", R"({"name":"x"})")->text, "Changed x");
}

TEST_F(TemplateFolder, ThreadsRenderingDifferentPartsDoNotMixEscaping) {
  TemplateRenderer renderer(dir_.string());
  std::atomic<int> wrong{0};
  auto work = [&] {
    for (int i = 0; i < 200; ++i) {
      auto parts = renderer.render("welcome", R"({"name":"a&b","company":"c"})");
      if (parts->html->find("a&amp;b") == std::string::npos || parts->text->find("a&b!") == std::string::npos) ++wrong;
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(TemplateBody, MultipartAlternativeWithQuotedPrintableParts) {
  RenderedTemplate parts{"caf\xc3\xa9 text", "<p>" + std::string(200, 'x') + "</p>"};
  auto [content_type, body] = buildTemplateBody(parts);
  ASSERT_EQ(content_type.rfind("multipart/alternative; boundary=\"", 0), 0u);
  const std::string boundary = content_type.substr(content_type.find('"') + 1, content_type.rfind('"') - content_type.find('"') - 1);
  EXPECT_NE(body.find("--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8"), std::string::npos);
  EXPECT_NE(body.find("--" + boundary + "\r\nContent-Type: text/html; charset=utf-8"), std::string::npos);
  EXPECT_NE(body.find("--" + boundary + "--\r\n"), std::string::npos);
  EXPECT_NE(body.find("caf=C3=A9 text"), std::string::npos);
  std::size_t start = 0;
  for (std::size_t end; (end = body.find("\r\n", start)) != std::string::npos; start = end + 2) EXPECT_LE(end - start, 76u);
}

TEST(TemplateBody, SinglePartWhenOnlyOneTemplateExists) {
  auto [content_type, body] = buildTemplateBody({std::string("plain"), std::nullopt});
  EXPECT_EQ(content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(mime::decodeQuotedPrintable(body), "plain");
}

}  // namespace
}  // namespace waybill
