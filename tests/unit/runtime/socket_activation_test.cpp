#include "runtime/socket_activation.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace waybill::runtime {
namespace {

// sd_listen_fds marks the passed descriptors CLOEXEC and fails on a closed one: make sure 3 and 4
// are open (their kind does not matter for the count).
void openDescriptorsThreeAndFour() {
  for (int fd : {3, 4}) {
    if (fcntl(fd, F_GETFD) < 0) {
      ASSERT_EQ(dup2(STDERR_FILENO, fd), fd);
    }
  }
}

TEST(SocketActivation, NothingPassedWithoutTheVariables) {
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_PID");
  auto all = passedSockets();
  ASSERT_TRUE(all) << all.error();
  EXPECT_TRUE(all->empty());
  auto one = passedSocket("waybill-test");
  ASSERT_TRUE(one) << one.error();
  EXPECT_FALSE(*one);
}

TEST(SocketActivation, MoreThanOneIsRefusedByAOneSocketDaemon) {
  openDescriptorsThreeAndFour();
  setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
  setenv("LISTEN_FDS", "2", 1);
  auto one = passedSocket("waybill-test");
  ASSERT_FALSE(one);
  EXPECT_EQ(one.error(), "systemd passed more than one socket; waybill-test uses exactly one");
  EXPECT_EQ(getenv("LISTEN_FDS"), nullptr);  // read once: children never see them
}

TEST(SocketActivation, OnePassedIsTheFirstDescriptor) {
  openDescriptorsThreeAndFour();
  setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
  setenv("LISTEN_FDS", "1", 1);
  auto one = passedSocket("waybill-test");
  ASSERT_TRUE(one) << one.error();
  ASSERT_TRUE(*one);
  EXPECT_EQ(**one, 3);
}

TEST(SocketActivation, AnotherProcessesSocketsAreNotOurs) {
  setenv("LISTEN_PID", std::to_string(getpid() + 1).c_str(), 1);
  setenv("LISTEN_FDS", "1", 1);
  auto all = passedSockets();
  ASSERT_TRUE(all) << all.error();
  EXPECT_TRUE(all->empty());
}

}  // namespace
}  // namespace waybill::runtime
