#include "runtime/daemon.h"

#include <systemd/sd-daemon.h>

#include <fmt/format.h>

#include "runtime/log.h"

namespace waybill::runtime {
namespace {

// Before the log starts, problems go to stderr, where systemd and a terminal both see them.
int configProblem(std::string_view program, std::string_view problem) {
  fmt::print(stderr, "{}: {}\n", program, problem);
  return kExitConfig;
}

}  // namespace

Daemon::Daemon(const ConfigParser& parser, std::string program, int argc, const char* const argv[], DaemonNeeds needs)
    : parser_(parser), program_(std::move(program)), arguments_(argv, argv + argc) {
  auto parsed = parser.parse(argc, argv);
  if (!parsed) {
    exit_code_ = configProblem(program_, parsed.error());
    return;
  }
  if (parsed->exit_now) {
    exit_code_ = parsed->exit_code;
    return;
  }
  const Config& config = *parsed->config;
  if (needs.database && config.database.url.empty()) {
    exit_code_ = configProblem(program_, "option 'database.url': required");
    return;
  }
  if (needs.check) {
    if (auto usable = needs.check(config); !usable) {
      exit_code_ = configProblem(program_, usable.error());
      return;
    }
  }
  log::init(program_, {config.log.to_stderr, config.log.to_syslog, config.log.level});
  program_values_ = std::move(parsed->program_values);
  config_ = std::move(parsed->config);
}

Daemon::Daemon(const ConfigParser& parser, std::string program, int argc, const char* const argv[],
               std::shared_ptr<const Config> parsed)
    : parser_(parser), program_(std::move(program)), arguments_(argv, argv + argc), config_(std::move(parsed)) {}

void Daemon::blockSignals() { signals_ = blockDaemonSignals(); }

void Daemon::onReload(ConfigReloader::Apply apply) {
  apply_ = std::move(apply);
  reloader_.reset();
  reloader();
}

ConfigReloader& Daemon::reloader() {
  if (!reloader_) {
    std::vector<const char*> argv;
    for (const auto& argument : arguments_) argv.push_back(argument.c_str());
    auto apply = apply_ ? apply_ : [](const std::shared_ptr<const Config>&) -> Result<std::string> { return std::string(); };
    reloader_ = std::make_unique<ConfigReloader>(parser_, static_cast<int>(argv.size()), argv.data(), config_, apply);
  }
  return *reloader_;
}

bool Daemon::reload() {
  sd_notify(0, "RELOADING=1");
  const bool reloaded = reloader().reload();
  sd_notify(0, "READY=1");
  return reloaded;
}

int Daemon::fail(std::string_view problem) const {
  log::error("{}", problem);
  return kExitConfig;
}

void Daemon::ready(std::string_view started) const {
  sd_notify(0, "READY=1");
  log::info("{}", started);
}

void Daemon::stopping(int received, std::string_view doing) const {
  log::info("signal {}: {}", received, doing);
  sd_notify(0, "STOPPING=1");
}

void Daemon::waitForStop(std::string_view doing) {
  if (!signals_) blockSignals();
  reloader();  // made here, before any signal can ask for it
  stopping(runtime::waitForStop(*signals_, [this] { reload(); }), doing);
}

std::unique_ptr<SignalThread> Daemon::stopOnSignal(std::string doing, std::function<void()> stop) {
  if (!signals_) blockSignals();
  reloader();
  return std::make_unique<SignalThread>(
      *signals_, [this] { reload(); },
      [this, doing = std::move(doing), stop = std::move(stop)](int received) {
        stopping(received, doing);
        stop();
      });
}

int runDaemon(const DaemonProgram& program, int argc, char** argv,
              const std::function<int(Daemon&, const Config&)>& serve) {
  const ConfigParser parser(program.name, program.summary);
  Daemon daemon(parser, program.name, argc, argv, program.needs);
  if (!daemon.started()) return daemon.exitCode();
  daemon.blockSignals();
  const int exit_code = serve(daemon, daemon.config());
  if (exit_code == 0) log::info("stopped");
  return exit_code;
}

}  // namespace waybill::runtime
