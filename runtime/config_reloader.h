// ConfigReloader: what SIGHUP does in every daemon. It reads the configuration again the way the
// daemon started (same file, same command-line overrides), validates all of it, and hands the new
// snapshot to the daemon's apply(), which puts in force what can change while running (token
// keys, DKIM keys, templates, ...) and says what that was. The log level always follows. A file
// that does not parse, or an apply() that fails, changes nothing: the old configuration keeps
// running. One log line says what happened either way:
//
//   reloaded token keys from /etc/waybill/token.keys, the unsubscribe page; log level info
//   reload refused, keeping the configuration in use: option 'log.level': 'loud' is not one of ...
//
//   runtime::ConfigReloader reloader(parser, argc, argv, parsed->config, [&](const auto& fresh) -> Result<std::string> {
//     ...load what *fresh names; return makeError(...) to refuse, or the words for what changed
//   });
//   reloader.reload();   // from the signal thread
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "util/result.h"

namespace waybill::runtime {

class ConfigReloader {
 public:
  using Apply = std::function<Result<std::string>(const std::shared_ptr<const Config>& fresh)>;

  // `parser` must outlive the reloader (it is main()'s); argv is copied.
  ConfigReloader(const ConfigParser& parser, int argc, const char* const argv[], std::shared_ptr<const Config> current,
                 Apply apply);

  // Reads, validates, applies; logs one line. True when the new configuration is in force.
  bool reload();
  // The configuration in force (the one the daemon started with until a reload succeeds).
  std::shared_ptr<const Config> current() const;

 private:
  const ConfigParser& parser_;
  std::vector<std::string> arguments_;
  Apply apply_;
  mutable std::mutex mutex_;  // reload() from the signal thread, current() from anywhere
  std::shared_ptr<const Config> current_;
};

}  // namespace waybill::runtime
