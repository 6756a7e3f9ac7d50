#include "runtime/daemon.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <vector>

namespace waybill::runtime {
namespace {

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char path[] = "/tmp/waybill-daemon-XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    path_ = path;
  }
  void TearDown() override { std::remove(path_.c_str()); }

  std::vector<const char*> argvFor(const char* ini) {
    std::ofstream(path_) << ini << "[log]\nsyslog = false\nstderr = false\n";
    return {"waybill-test", "-c", path_.c_str()};
  }

  ConfigParser parser_{"waybill-test", "test"};
  std::string path_;
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
