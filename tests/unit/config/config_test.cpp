#include "config/config.h"

#include <gtest/gtest.h>

#include "../../support/config_test_support.h"
#include "../../support/refused_config_test.h"

namespace waybill {
namespace {

using test_support::parseIni;
using test_support::RefusedConfig;
using test_support::RefusedConfigTest;

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

INSTANTIATE_TEST_SUITE_P(Config, RefusedConfigTest, ::testing::Values(
    RefusedConfig{"[tracking]\ndefault_mode = sometimes\n", "tracking.default_mode"},
    RefusedConfig{"[tracking]\nbase_url = ftp://x\n", "tracking.base_url"},
    RefusedConfig{"[database]\npool_size = 0\n", "database.pool_size"},
    RefusedConfig{"[database]\npool_size = many\n", "database.pool_size"},
    RefusedConfig{"[database]\ntimeout = 0\n", "database.timeout"},
    RefusedConfig{"[database]\ntimeout = soon\n", "database.timeout"},
    RefusedConfig{"[database]\nurll = x\n", "database.urll"},
    RefusedConfig{"[log]\nlevel = loud\n", "log.level"},
    RefusedConfig{"[logd]\nlog_file = mail.log\n", "logd.log_file"},
    RefusedConfig{"[logd]\nbatch_lines = 0\n", "logd.batch_lines"},
    RefusedConfig{"[logd]\nmetrics_listen = 0.0.0.0:9106\n", "logd.metrics_listen"}));

TEST(Config, CommandLineWinsOverFile) {
  test_support::TempConfigFile file("config");
  ASSERT_TRUE(file.created());
  ASSERT_TRUE(file.write("[database]\nurl = from-file\npool_size = 2\n"));
  ConfigParser parser("test", "test");
  const char* argv[] = {"test", "--config", file.path().c_str(), "--database.url", "from-command-line"};
  auto parsed = parser.parse(5, argv);
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
