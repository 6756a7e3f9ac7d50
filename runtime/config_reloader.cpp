#include "runtime/config_reloader.h"

#include "runtime/log.h"

namespace waybill::runtime {
namespace {

const char* levelName(log::Level level) {
  switch (level) {
    case log::Level::Debug: return "debug";
    case log::Level::Info: return "info";
    case log::Level::Warning: return "warning";
    case log::Level::Error: return "error";
  }
  return "info";
}

}  // namespace

ConfigReloader::ConfigReloader(const ConfigParser& parser, int argc, const char* const argv[],
                               std::shared_ptr<const Config> current, Apply apply)
    : parser_(parser), arguments_(argv, argv + argc), apply_(std::move(apply)), current_(std::move(current)) {}

bool ConfigReloader::reload() {
  std::vector<const char*> argv;
  for (const auto& argument : arguments_) argv.push_back(argument.c_str());
  auto parsed = parser_.parse(static_cast<int>(argv.size()), argv.data());
  if (!parsed || parsed->exit_now || !parsed->config) {
    log::error("reload refused, keeping the configuration in use: {}", parsed ? "no configuration read" : parsed.error());
    return false;
  }
  const Config& fresh = *parsed->config;
  auto applied = apply_ ? apply_(parsed->config) : Result<std::string>(std::string());
  if (!applied) {
    log::error("reload refused, keeping the configuration in use: {}", applied.error());
    return false;
  }
  log::setLevel(fresh.log.level);
  log::info("reloaded {}{}log level {} (other settings apply at the next restart)", *applied,
            applied->empty() ? "" : "; ", levelName(fresh.log.level));
  std::lock_guard lock(mutex_);
  current_ = std::move(parsed->config);
  return true;
}

std::shared_ptr<const Config> ConfigReloader::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

}  // namespace waybill::runtime
