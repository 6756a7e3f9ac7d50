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
      "[tracking]\nbase_url = https://t.sender.example/\ndefault_mode = clicks\n"
      "[milter]\nsocket = inet:9999@127.0.0.1\n");
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ((*config)->database.url, "postgresql://u@127.0.0.1:5432/db");
  EXPECT_EQ((*config)->database.pool_size, 4);
  EXPECT_EQ((*config)->database.timeout_seconds, 10);
  EXPECT_EQ((*config)->tracking.base_url, "https://t.sender.example");  // trailing slash dropped
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
    BadCase{"[database]\ntimeout = 0\n", "database.timeout"},
    BadCase{"[database]\ntimeout = soon\n", "database.timeout"},
    BadCase{"[database]\nurll = x\n", "database.urll"},
    BadCase{"[log]\nlevel = loud\n", "log.level"},
    BadCase{"[logd]\nlog_file = mail.log\n", "logd.log_file"},
    BadCase{"[logd]\nbatch_lines = 0\n", "logd.batch_lines"},
    BadCase{"[logd]\nmetrics_listen = 0.0.0.0:9106\n", "logd.metrics_listen"}));

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

TEST(Config, RefusesTheDocumentationsPlaceholderBaseUrl) {
  for (const char* url : {"https://track.example.com", "https://example.org/t", "http://T.EXAMPLE.NET:8080"}) {
    ConfigParser parser("waybill-test", "");
    const std::string option = std::string("--tracking.base_url=") + url;
    const char* argv[] = {"waybill-test", "--config", "/dev/null", option.c_str()};
    auto parsed = parser.parse(4, argv);
    ASSERT_FALSE(parsed) << url;
    EXPECT_NE(parsed.error().find("placeholder"), std::string::npos) << parsed.error();
  }
  for (const char* url : {"https://track.shop.example", "https://notexample.com", "https://example.community"}) {
    ConfigParser parser("waybill-test", "");
    const std::string option = std::string("--tracking.base_url=") + url;
    const char* argv[] = {"waybill-test", "--config", "/dev/null", option.c_str()};
    EXPECT_TRUE(parser.parse(4, argv).ok()) << url;
  }
}

}  // namespace
}  // namespace waybill
