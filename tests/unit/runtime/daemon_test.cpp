#include "runtime/daemon.h"

#include <gtest/gtest.h>

#include <vector>

#include "../../support/config_test_support.h"

namespace waybill::runtime {
namespace {

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(file_.created()); }

  std::vector<const char*> argvFor(const char* ini) {
    EXPECT_TRUE(file_.write(std::string(ini) + "[log]\nsyslog = false\nstderr = false\n"));
    return {"waybill-test", "-c", file_.path().c_str()};
  }

  ConfigParser parser_{"waybill-test", "test"};
  test_support::TempConfigFile file_{"daemon"};
};

TEST_F(DaemonTest, StartsWithAUsableConfiguration) {
  auto argv = argvFor("[database]\nurl = postgresql:///waybill\n");
  Daemon daemon(parser_, "waybill-test", static_cast<int>(argv.size()), argv.data());
  ASSERT_TRUE(daemon.started());
  EXPECT_EQ(daemon.config().database.url, "postgresql:///waybill");
}

TEST_F(DaemonTest, NoDatabaseUrlIsAConfigurationError) {
  auto argv = argvFor("");
  Daemon daemon(parser_, "waybill-test", static_cast<int>(argv.size()), argv.data());
  EXPECT_FALSE(daemon.started());
  EXPECT_EQ(daemon.exitCode(), kExitConfig);
}

TEST_F(DaemonTest, TheDaemonsOwnCheckRuns) {
  auto argv = argvFor("[database]\nurl = postgresql:///waybill\n");
  Daemon daemon(parser_, "waybill-test", static_cast<int>(argv.size()), argv.data(),
                {.database = true, .check = [](const Config&) -> Status { return makeError("option 'x': required"); }});
  EXPECT_FALSE(daemon.started());
  EXPECT_EQ(daemon.exitCode(), kExitConfig);
}

TEST_F(DaemonTest, ReloadPutsInForceWhatTheHookTakes) {
  auto argv = argvFor("[database]\nurl = postgresql:///waybill\n");
  Daemon daemon(parser_, "waybill-test", static_cast<int>(argv.size()), argv.data());
  ASSERT_TRUE(daemon.started());
  std::string seen;
  daemon.onReload([&](const std::shared_ptr<const Config>& fresh) -> Result<std::string> {
    seen = fresh->database.url;
    return std::string("the url");
  });
  argvFor("[database]\nurl = postgresql:///other\n");
  EXPECT_TRUE(daemon.reload());
  EXPECT_EQ(seen, "postgresql:///other");
}

}  // namespace
}  // namespace waybill::runtime
