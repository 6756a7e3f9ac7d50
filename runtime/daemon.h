// Daemon: the skeleton every Waybill daemon's main() shares, so a main is only its own wiring.
// Start-up: the command line and configuration are parsed and checked (an unusable one exits 78,
// EX_CONFIG, with one line on stderr; --help exits 0), then the log starts. Signals: SIGTERM
// and SIGINT stop after the work in flight (STOPPING=1 to systemd), SIGHUP reads the
// configuration again and puts in force what the daemon's reload hook takes (RELOADING=1, then
// READY=1). Units use ExecReload=kill -HUP $MAINPID (packaging/systemd).
//
//   ConfigParser parser("waybill-logd", "Records Postfix's delivery attempts.");
//   runtime::Daemon daemon(parser, argc, argv);
//   if (!daemon.started()) return daemon.exitCode();
//   daemon.blockSignals();                           // before any thread starts
//   ... start the work; on an unusable setting: return daemon.fail(error);
//   daemon.ready("started");
//   daemon.waitForStop("finishing the batch in flight");   // or stopOnSignal(...) + server.run()
//
// A daemon that adds no options of its own and takes its signals from the start says it all with
// runDaemon: return runtime::runDaemon(logd::kProgram, argc, argv, logd::serve);
#pragma once

#include <csignal>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "runtime/config_reloader.h"
#include "runtime/daemon_signals.h"
#include "util/result.h"

namespace waybill::runtime {

inline constexpr int kExitConfig = 78;  // sysexits.h EX_CONFIG

struct DaemonNeeds {
  bool database = true;  // database.url must be set
  // What else the daemon cannot start without (an error names the option); checked with the rest.
  std::function<Status(const Config&)> check;
};

class Daemon {
 public:
  // Parses argv with `parser` (which outlives the Daemon; a program adds its options to it first).
  Daemon(const ConfigParser& parser, std::string program, int argc, const char* const argv[], DaemonNeeds needs = {});
  Daemon(const ConfigParser& parser, std::string program, int argc, char** argv, DaemonNeeds needs = {})
      : Daemon(parser, std::move(program), argc, static_cast<const char* const*>(argv), std::move(needs)) {}
  // For a program whose main() parsed already and started the log (waybill-piped's one-shot mode).
  Daemon(const ConfigParser& parser, std::string program, int argc, const char* const argv[],
         std::shared_ptr<const Config> parsed);
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // False when main() returns exitCode() at once (--help answered, or the configuration is unusable).
  bool started() const { return config_ != nullptr; }
  int exitCode() const { return exit_code_; }
  const Config& config() const { return *config_; }
  const std::shared_ptr<const Config>& configInForce() const { return config_; }
  const boost::program_options::variables_map& programValues() const { return program_values_; }

  // Blocks SIGTERM, SIGINT and SIGHUP in this thread and those it starts; call before any thread.
  void blockSignals();
  // What SIGHUP puts in force (see ConfigReloader); before the signals are taken. Unset: the
  // configuration is read and checked, and only the log level changes.
  void onReload(ConfigReloader::Apply apply);
  // A reload now (SIGHUP does it; a daemon whose library owns the signals calls it itself).
  bool reload();

  // Logs the problem and returns 78, for `return daemon.fail(listener.error());`.
  int fail(std::string_view problem) const;
  // Tells systemd the daemon serves (READY=1) and logs `started` (e.g. "listening on ...").
  void ready(std::string_view started) const;
  // This thread waits for the stop signal (SIGHUP reloads meanwhile), then logs
  // "signal N: <doing>" and tells systemd STOPPING=1.
  void waitForStop(std::string_view doing);
  // The same on a thread of its own, then stop() (a server's stop(): its run() on this thread
  // then returns). Keep the thread after what stop() uses, so it ends first (without running
  // stop() when no stop signal came): `auto signal_waiter = daemon.stopOnSignal(...)`.
  [[nodiscard]] std::unique_ptr<SignalThread> stopOnSignal(std::string doing, std::function<void()> stop);

 private:
  ConfigReloader& reloader();
  void stopping(int received, std::string_view doing) const;

  const ConfigParser& parser_;
  const std::string program_;
  std::vector<std::string> arguments_;  // argv as given, for the reloader
  std::shared_ptr<const Config> config_;
  boost::program_options::variables_map program_values_;
  int exit_code_ = 0;
  std::optional<sigset_t> signals_;
  ConfigReloader::Apply apply_;
  std::unique_ptr<ConfigReloader> reloader_;
};

// The name and --help summary of a daemon started by runDaemon, and what it cannot start without.
struct DaemonProgram {
  std::string name;
  std::string summary;
  DaemonNeeds needs = {};
};

// A daemon's whole main(): parses the command line and configuration (returning at once as the
// Daemon constructor says), blocks the signals, then runs `serve`, whose result is the exit code
// ("stopped" is logged when it is 0).
int runDaemon(const DaemonProgram& program, int argc, char** argv,
              const std::function<int(Daemon&, const Config&)>& serve);

}  // namespace waybill::runtime
