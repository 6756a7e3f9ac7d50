#include "pipe_client.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "config/config.h"

namespace waybill::pipe {
namespace {

std::optional<ClientArgs> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "waybill-pipe");
  return parseClientArgs(static_cast<int>(args.size()), args.data());
}

TEST(PipeClientArgs, TheMasterCfCommandLineIsTheClientsOwn) {
  auto args = parse({"--config", "/etc/w.conf", "--sender=", "--recipient=bounce+x@b.test", "--queue-id=ABC"});
  ASSERT_TRUE(args);
  EXPECT_EQ(args->config_file, "/etc/w.conf");
  EXPECT_TRUE(args->config_explicit);
  EXPECT_EQ(args->sender, "");
  EXPECT_EQ(args->recipient, "bounce+x@b.test");
  EXPECT_EQ(args->queue_id, "ABC");
  EXPECT_FALSE(args->socket);

  args = parse({"-c", "f", "--sender", "a@b", "--recipient", "r@b", "--pipe.socket=unix:/s"});
  ASSERT_TRUE(args);
  EXPECT_EQ(args->config_file, "f");
  EXPECT_EQ(args->sender, "a@b");
  EXPECT_EQ(args->socket, "unix:/s");
  EXPECT_EQ(parse({"--recipient=r@b"})->config_file, "/etc/waybill/waybill.conf");
  EXPECT_EQ(parse({"--recipient=r@b"})->config_file, std::string(kDefaultConfigFile));
}

TEST(PipeClientArgs, EverythingElseGoesToTheFullProgram) {
  for (const auto& argv : std::vector<std::vector<const char*>>{
           {"--help"}, {"--version"}, {"--classify-only"}, {"--recipient=r@b", "--classify-only"},
           {"--recipient=r@b", "--database.url", "x"}, {"--sender=s"}, {"--recipient="}, {"--recipient"},
           {"--recipient=r@b", "extra"}, {"--recipientx=r@b"}, {}}) {
    EXPECT_FALSE(parse(argv)) << (argv.empty() ? "(none)" : argv[0]);
  }
}

TEST(PipeClientSettings, ReadsOnlyThePipeSectionsSocketAndTimeout) {
  struct Case {
    const char* ini;
    const char* socket;
    int timeout;
  };
  for (const Case& c : std::vector<Case>{
           {"", "unix:/run/waybill/pipe.sock", 60},
           {"[pipe]\nsocket = unix:/tmp/p.sock\ntimeout = 9\n", "unix:/tmp/p.sock", 9},
           {"[pipe]\r\n  socket=unix:/a # comment\r\n", "unix:/a", 60},
           {"[milter]\nsocket = unix:/milter\n[pipe]\nbounce_domain = b\n", "unix:/run/waybill/pipe.sock", 60},
           {"pipe.socket = unix:/top\n[pipe]\n", "unix:/top", 60},
           {"[pipe]\n# socket = unix:/commented\nsocket =\n", "", 60},
           {"[pipe]\ntimeout = soon\n", "unix:/run/waybill/pipe.sock", 60},
           {"[ pipe ]\nsocket = unix:/spaced\n", "unix:/spaced", 60},
       }) {
    const ClientSettings settings = settingsFromIni(c.ini);
    EXPECT_EQ(settings.socket_path, c.socket) << c.ini;
    EXPECT_EQ(settings.timeout_seconds, c.timeout) << c.ini;
  }
}

TEST(PipeClientSettings, DefaultsAreThoseOfTheFullConfiguration) {
  const PipeConfig defaults;
  EXPECT_EQ(defaults.socket, kDefaultSocket);
  EXPECT_EQ(defaults.timeout_seconds, kDefaultTimeoutSeconds);
}

TEST(PipeDaemonConfig, BadValuesStopTheDaemonWithOneLineNamingTheOption) {
  const ConfigParser parser("waybill-piped", "test");
  auto good = parser.parseText("[pipe]\nsocket = unix:/run/x.sock\nsocket_mode = 0600\npool_size = 2\n");
  ASSERT_TRUE(good) << good.error();
  EXPECT_EQ((*good)->pipe.socket_mode, 0600);
  EXPECT_EQ((*good)->pipe.pool_size, 2);
  for (const auto& [ini, option] : std::vector<std::pair<std::string, std::string>>{
           {"[pipe]\nsocket = inet:127.0.0.1:1\n", "pipe.socket"},
           {"[pipe]\nsocket = unix:relative\n", "pipe.socket"},
           {"[pipe]\nsocket_mode = 999\n", "pipe.socket_mode"},
           {"[pipe]\nsocket_mode = rw\n", "pipe.socket_mode"},
           {"[pipe]\npool_size = 0\n", "pipe.pool_size"},
           {"[pipe]\ntimeout = -1\n", "pipe.timeout"},
           {"[pipe]\nmax_message_mb = 2000\n", "pipe.max_message_mb"},
           {"[pipe]\nmetrics_listen = 0.0.0.0:9105\n", "pipe.metrics_listen"}}) {
    auto parsed = parser.parseText(ini);
    ASSERT_FALSE(parsed) << ini;
    EXPECT_NE(parsed.error().find(option), std::string::npos) << parsed.error();
  }
  EXPECT_TRUE(parser.parseText("[pipe]\nsocket =\n"));  // empty: always one-shot
}

TEST(PipeClientSettings, FileCommandLineAndUnusableValues) {
  const auto dir = std::filesystem::temp_directory_path() / ("pipe-client-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "waybill.conf";
  std::ofstream(file) << "[pipe]\nsocket = unix:/from/file\n";
  ClientArgs args;
  args.config_file = file.string();
  args.config_explicit = true;
  EXPECT_EQ(loadClientSettings(args)->socket_path, "/from/file");
  args.socket = "unix:/from/argv";
  EXPECT_EQ(loadClientSettings(args)->socket_path, "/from/argv");
  args.socket = "inet:127.0.0.1:1";
  EXPECT_FALSE(loadClientSettings(args));  // the full program reports it
  args.socket = "";
  EXPECT_EQ(loadClientSettings(args)->socket_path, "");
  args.socket.reset();
  args.config_file = (dir / "missing.conf").string();
  EXPECT_FALSE(loadClientSettings(args));
  args.config_explicit = false;  // the default file may be absent: defaults then
  EXPECT_EQ(loadClientSettings(args)->socket_path, "/run/waybill/pipe.sock");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace waybill::pipe
