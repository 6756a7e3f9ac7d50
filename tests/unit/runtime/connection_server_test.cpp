#include "runtime/connection_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "runtime/log.h"
#include "runtime/posix_io.h"
#include "runtime/unix_listener.h"

namespace waybill::runtime {
namespace {

using namespace std::chrono_literals;

int connectTo(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  path.copy(address.sun_path, sizeof address.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string readAll(int fd) {
  std::string out;
  char buffer[256];
  ssize_t got = 0;
  while ((got = ::recv(fd, buffer, sizeof buffer, 0)) > 0) out.append(buffer, static_cast<std::size_t>(got));
  return out;
}

class ConnectionServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::init("test", {.to_stderr = false, .to_syslog = false, .level = log::Level::Error});
    dir_ = std::filesystem::temp_directory_path() / ("connection-server-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "s.sock").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Listener listen() {
    auto fd = listenUnixSocket(path_, 0600, "test.socket");
    EXPECT_TRUE(fd) << fd.error();
    return Listener{fd ? *fd : -1, path_};
  }

  // Connects a client and reads the 6-byte greeting each test's server sends first.
  void connectGreeted(int& fd) {
    fd = connectTo(path_);
    ASSERT_GE(fd, 0);
    char greeting[6];
    ASSERT_EQ(::recv(fd, greeting, sizeof greeting, MSG_WAITALL), 6);
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(ConnectionServerTest, ServesRefusesPastTheLimitAndDrains) {
  std::atomic<bool> release{false};
  std::atomic<int> refused{0};
  std::atomic<std::size_t> open{0};
  ConnectionServer server(listen(), {.max_connections = 1, .drain_limit = 5s, .cut_reads_on_drain = false},
                          {.serve =
                               [&](int fd) {
                                 sendAll(fd, "hello\n");
                                 while (!release) std::this_thread::sleep_for(1ms);
                               },
                           .refuse =
                               [&](int fd, std::size_t) {
                                 sendAll(fd, "busy\n");
                                 ++refused;
                               },
                           .counted = [&](std::size_t now) { open = now; },
                           .draining = nullptr,
                           .overran = nullptr});
  std::thread running([&] { EXPECT_TRUE(server.run()); });

  int first = -1;
  ASSERT_NO_FATAL_FAILURE(connectGreeted(first));
  EXPECT_EQ(open, 1u);
  const int second = connectTo(path_);
  ASSERT_GE(second, 0);
  EXPECT_EQ(readAll(second), "busy\n");  // refused, then closed
  EXPECT_EQ(refused, 1);
  ::close(second);

  server.stop();
  release = true;  // the open connection ends; the drain sees it and run() returns true
  EXPECT_EQ(readAll(first), "");
  ::close(first);
  running.join();
  EXPECT_EQ(open, 0u);
  EXPECT_FALSE(std::filesystem::exists(path_));  // our socket file goes with the listener
}

TEST_F(ConnectionServerTest, DrainCutsReadsWhenAsked) {
  std::atomic<bool> saw_end{false};
  ConnectionServer server(listen(), {.max_connections = 4, .drain_limit = 5s, .cut_reads_on_drain = true},
                          {.serve =
                               [&](int fd) {
                                 sendAll(fd, "ready\n");
                                 char byte;
                                 while (::recv(fd, &byte, 1, 0) > 0) {
                                 }
                                 saw_end = true;
                               },
                           .refuse = nullptr,
                           .counted = nullptr,
                           .draining = nullptr,
                           .overran = nullptr});
  std::thread running([&] { EXPECT_TRUE(server.run()); });
  int client = -1;
  ASSERT_NO_FATAL_FAILURE(connectGreeted(client));
  server.stop();  // the client says nothing more: only the cut read ends the connection
  running.join();
  EXPECT_TRUE(saw_end);
  ::close(client);
}

TEST_F(ConnectionServerTest, RunIsFalseWhenAConnectionOutlivesTheDrainLimit) {
  std::atomic<bool> release{false};
  std::atomic<bool> overran{false};
  std::atomic<std::size_t> open{0};
  auto server = std::make_unique<ConnectionServer>(
      listen(), ConnectionLimits{.max_connections = 4, .drain_limit = 0s, .cut_reads_on_drain = false},
      ConnectionHooks{.serve =
                          [&](int fd) {
                            sendAll(fd, "ready\n");
                            while (!release) std::this_thread::sleep_for(1ms);
                          },
                      .refuse = nullptr,
                      .counted = [&](std::size_t now) { open = now; },
                      .draining = nullptr,
                      .overran = [&](std::size_t) { overran = true; }});
  std::thread running([&] { EXPECT_FALSE(server->run()); });
  int client = -1;
  ASSERT_NO_FATAL_FAILURE(connectGreeted(client));
  server->stop();
  running.join();
  EXPECT_TRUE(overran);
  release = true;
  ::close(client);
  while (open != 0) std::this_thread::sleep_for(1ms);  // the serving thread still ends through the server
  std::this_thread::sleep_for(20ms);
  server.reset();
}

}  // namespace
}  // namespace waybill::runtime
