#include "runtime/config_reloader.h"

#include <gtest/gtest.h>

#include "../../support/config_test_support.h"
#include "runtime/log.h"

namespace waybill::runtime {
namespace {

// A configuration file the test rewrites between reloads, and the command line that names it.
class ReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(file_.created());
    log::init("test", {.to_stderr = false, .to_syslog = false, .level = log::Level::Info});
  }

  void write(const std::string& text) { ASSERT_TRUE(file_.write(text)); }

  std::shared_ptr<const Config> start(const char* ini) {
    write(ini);
    auto parsed = parser_.parse(3, argv());
    EXPECT_TRUE(parsed.ok()) << parsed.error();
    return parsed->config;
  }
  const char* const* argv() {
    args_ = {"test", "--config", file_.path().c_str()};
    return args_.data();
  }

  ConfigParser parser_{"test", "test"};
  test_support::TempConfigFile file_{"reload"};
  std::vector<const char*> args_;
};

TEST_F(ReloadTest, AppliesTheNewFileAndItsLogLevel) {
  auto first = start("[tracking]\nkey_file = /old.keys\n[log]\nlevel = info\n");
  std::string seen;
  ConfigReloader reloader(parser_, 3, argv(), first, [&](const std::shared_ptr<const Config>& fresh) -> Result<std::string> {
    seen = fresh->tracking.key_file;
    return std::string("token keys");
  });
  write("[tracking]\nkey_file = /new.keys\n[log]\nlevel = debug\n");
  EXPECT_TRUE(reloader.reload());
  EXPECT_EQ(seen, "/new.keys");
  EXPECT_EQ(reloader.current()->tracking.key_file, "/new.keys");
  EXPECT_TRUE(log::enabled(log::Level::Debug));
}

TEST_F(ReloadTest, ABadFileKeepsTheConfigurationInUse) {
  auto first = start("[tracking]\nkey_file = /old.keys\n");
  int applied = 0;
  ConfigReloader reloader(parser_, 3, argv(), first, [&](const auto&) -> Result<std::string> {
    ++applied;
    return std::string();
  });
  write("[log]\nlevel = loud\n");
  EXPECT_FALSE(reloader.reload());
  EXPECT_EQ(applied, 0);
  EXPECT_EQ(reloader.current(), first);
  EXPECT_FALSE(log::enabled(log::Level::Debug));
}

TEST_F(ReloadTest, ARefusedApplyChangesNothing) {
  auto first = start("[log]\nlevel = info\n");
  ConfigReloader reloader(parser_, 3, argv(), first,
                          [](const auto&) -> Result<std::string> { return makeError("key file unreadable"); });
  write("[log]\nlevel = debug\n");
  EXPECT_FALSE(reloader.reload());
  EXPECT_EQ(reloader.current(), first);
  EXPECT_FALSE(log::enabled(log::Level::Debug)) << "the log level follows only an applied reload";
}

TEST_F(ReloadTest, CommandLineOverridesStayInForce) {
  write("[database]\nurl = from-file\n");
  args_ = {"test", "--config", file_.path().c_str(), "--database.url", "from-command-line"};
  auto parsed = parser_.parse(5, args_.data());
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  ConfigReloader reloader(parser_, 5, args_.data(), parsed->config, [](const auto&) -> Result<std::string> { return std::string(); });
  write("[database]\nurl = changed-in-file\n");
  ASSERT_TRUE(reloader.reload());
  EXPECT_EQ(reloader.current()->database.url, "from-command-line");
}

}  // namespace
}  // namespace waybill::runtime
