#include "config/config.h"

#include <gtest/gtest.h>

namespace waybill {
namespace {

Result<std::shared_ptr<const Config>> parseIni(const std::string& text) {
  ConfigParser parser("test", "test");
  return parser.parseText(text);
}

TEST(Config, ReadsSectionsAndDefaults) {
  auto config = parseIni(
      "[database]\nurl = postgresql://u@127.0.0.1:5432/db\n"
      "[tracking]\nbase_url = https://t.example.com/\ndefault_mode = clicks\n"
      "[milter]\nsocket = inet:9999@127.0.0.1\n");
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ((*config)->database.url, "postgresql://u@127.0.0.1:5432/db");
  EXPECT_EQ((*config)->database.pool_size, 4);
  EXPECT_EQ((*config)->tracking.base_url, "https://t.example.com");  // trailing slash dropped
  EXPECT_EQ((*config)->tracking.default_mode, TrackMode::Clicks);
  EXPECT_EQ((*config)->milter.socket, "inet:9999@127.0.0.1");
}

struct BadCase {
  const char* ini;
  const char* expected_in_error;
};

class ConfigErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigErrors, NameTheOptionAndTheProblem) {
  auto config = parseIni(GetParam().ini);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().find(GetParam().expected_in_error), std::string::npos) << config.error();
  EXPECT_EQ(config.error().find('\n'), std::string::npos) << "one line";
}

INSTANTIATE_TEST_SUITE_P(Table, ConfigErrors, ::testing::Values(
    BadCase{"[tracking]\ndefault_mode = sometimes\n", "tracking.default_mode"},
    BadCase{"[tracking]\nbase_url = ftp://x\n", "tracking.base_url"},
    BadCase{"[database]\npool_size = 0\n", "database.pool_size"},
    BadCase{"[database]\npool_size = many\n", "database.pool_size"},
    BadCase{"[database]\nurll = x\n", "database.urll"},
    BadCase{"[log]\nlevel = loud\n", "log.level"}));

TEST(Config, CommandLineWinsOverFile) {
  char path[] = "/tmp/waybill-config-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string ini = "[database]\nurl = from-file\npool_size = 2\n";
  ASSERT_EQ(write(fd, ini.data(), ini.size()), static_cast<ssize_t>(ini.size()));
  close(fd);
  ConfigParser parser("test", "test");
  const char* argv[] = {"test", "--config", path, "--database.url", "from-command-line"};
  auto parsed = parser.parse(5, argv);
  unlink(path);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->config->database.url, "from-command-line");
  EXPECT_EQ(parsed->config->database.pool_size, 2);
}

TEST(Config, MissingExplicitFileIsAnError) {
  ConfigParser parser("test", "test");
  const char* argv[] = {"test", "--config", "/nonexistent/waybill.conf"};
  auto parsed = parser.parse(3, argv);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().find("/nonexistent/waybill.conf"), std::string::npos);
}

}  // namespace
}  // namespace waybill
