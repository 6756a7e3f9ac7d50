// `waybill postfix-setup [--dry-run] [-c DIR]`: points a Postfix instance at Waybill through
// postconf (milters, policy service, the waybill-pipe transport), so main.cf and master.cf keep
// the operator's layout and comments. The decisions live in core/postfix/setup_plan.h; this file
// reads the instance, prints the plan, backs the files up, applies it and reloads Postfix.
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "commands.h"
#include "postfix/setup_plan.h"
#include "postfix_setup_support.h"

extern char** environ;

namespace waybill::cli {
namespace {

namespace fs = std::filesystem;
using postfix::PostfixState;
using postfix::SetupPlan;

constexpr const char* kUsage =
    "usage: waybill [--config FILE] postfix-setup [--dry-run] [--undo] [-c POSTFIX_CONFIG_DIR]\n"
    "Adds Waybill to a Postfix instance (default /etc/postfix) with postconf: smtpd_milters and\n"
    "non_smtpd_milters (milter.socket), milter_default_action = tempfail, milter_protocol = 6,\n"
    "check_policy_service (policyd.listen) in smtpd_recipient_restrictions, the waybill-pipe service\n"
    "in master.cf with transport_maps/relay_domains for pipe.bounce_domain and pipe.inbound_domains,\n"
    "disable_mime_output_conversion = yes; unless a syslog daemon writes logd.log_file, maillog_file and\n"
    "the postlog service, so waybill-logd can read Postfix's delivery log. Idempotent; backs up main.cf and master.cf before a\n"
    "change (listed in waybill-setup.log); reloads Postfix if it runs. --dry-run prints the changes and\n"
    "writes nothing. --undo puts back what setup changed, as it was before the first setup (since the\n"
    "last --undo), keeping edits made since to anything else; backs the files up first.\n"
    "See postfix-conf/README.md for what each setting does.\n";

Result<SetupArgs> parseArgs(const Args& args) {
  SetupArgs parsed;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--dry-run" || args[i] == "-n") {
      parsed.dry_run = true;
    } else if (args[i] == "--undo") {
      parsed.undo = true;
    } else if (args[i] == "--help" || args[i] == "-h") {
      parsed.help = true;
    } else if ((args[i] == "-c" || args[i] == "--postfix-config") && i + 1 < args.size()) {
      parsed.config_dir = args[++i];
    } else {
      return makeError(fmt::format("unexpected argument '{}'", args[i]));
    }
  }
  return parsed;
}

}  // namespace

// Runs argv without a shell; stdout and stderr come back together.
Result<Output> runTool(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return makeError(fmt::format("pipe: {}", std::strerror(errno)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  std::vector<char*> raw;
  for (const auto& arg : argv) raw.push_back(const_cast<char*>(arg.c_str()));
  raw.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, raw[0], &actions, nullptr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  Output out;
  char buffer[4096];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR);)
    if (n > 0) out.text.append(buffer, static_cast<std::size_t>(n));
  close(fds[0]);
  if (spawned != 0) return makeError(fmt::format("{}: {}", argv[0], std::strerror(spawned)));
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  out.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128;
  return out;
}

// PATH first, then /usr/sbin (not on an ordinary user's PATH).
std::string findTool(const std::string& name) {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  std::istringstream dirs(path + ":/usr/sbin:/usr/local/sbin");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
  return "";
}

// The tool's output without its warnings, or its first line as the error.
Result<std::string> query(const Tools& tools, std::vector<std::string> args) {
  args.insert(args.begin(), {tools.postconf, "-c", tools.dir});
  auto out = runTool(args);
  if (!out) return makeError(out.error());
  std::istringstream lines(out->text);
  std::string kept;
  for (std::string line; std::getline(lines, line);) {
    if (out->status != 0 && line.find("fatal") != std::string::npos) return makeError(line);
    // Postfix prefixes its messages with argv[0] as given.
    if (!line.starts_with(tools.postconf + ": ") && !line.starts_with("postconf: ")) kept += line + "\n";
  }
  if (out->status != 0) return makeError(fmt::format("postconf exited {}: {}", out->status, out->text));
  return kept;
}

// "name = value" lines -> map (values never span lines without -f).
std::map<std::string, std::string> parseParams(const std::string& text) {
  std::map<std::string, std::string> params;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const auto eq = line.find(" = ");
    if (eq != std::string::npos) params[line.substr(0, eq)] = line.substr(eq + 3);
    else if (line.ends_with(" =")) params[line.substr(0, line.size() - 2)] = "";
  }
  return params;
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {

Result<PostfixState> readState(const Tools& tools, const postfix::SetupInputs& inputs) {
  PostfixState state;
  auto values = query(tools, postfix::parametersToRead());
  if (!values) return makeError(values.error());
  state.params = parseParams(*values);
  auto set = query(tools, {"-n"});
  if (!set) return makeError(set.error());
  for (const auto& [name, value] : parseParams(*set)) state.explicit_params.insert(name);
  auto relay = query(tools, {"-x", "-h", "smtpd_relay_restrictions"});
  if (!relay) return makeError(relay.error());
  state.relay_restrictions_expanded = *relay;
  auto service = query(tools, {"-M", std::string(postfix::kPipeService) + "/unix"});
  if (!service) return makeError(service.error());
  state.pipe_service = *service;
  if (!inputs.copy_listener.empty()) {
    auto copies = query(tools, {"-M", inputs.copy_listener + "/inet"});
    if (!copies) return makeError(copies.error());
    state.copy_service = *copies;
  }
  state.transport_map_text = readFile(fs::path(tools.dir) / "waybill_transport");
  auto postlog = query(tools, {"-M", "postlog/unix-dgram"});
  if (!postlog) return makeError(postlog.error());
  state.postlog_service = *postlog;
  return state;
}

void printPlan(const SetupPlan& plan, const Tools& tools, bool dry_run) {
  fmt::print("Postfix instance {}{}\n", tools.dir, dry_run ? " (dry run: nothing is written)" : "");
  if (!plan.service_entry.empty())
    fmt::print("master.cf: {} {}\n  + {}\n", plan.service_exists ? "replace" : "add",
               postfix::kPipeService, plan.service_entry);
  if (!plan.copy_service_entry.empty())
    fmt::print("master.cf: {} {} (per-recipient copies)\n  + {}\n", plan.copy_service_exists ? "replace" : "add",
               plan.copy_service_name, plan.copy_service_entry);
  if (!plan.transport_map_text.empty())
    fmt::print("{}: write\n{}", plan.transport_map_path, plan.transport_map_text);
  if (!plan.postlog_entry.empty()) fmt::print("master.cf: add postlog\n  + {}\n", plan.postlog_entry);
  for (const auto& change : plan.params)
    fmt::print("main.cf: {}\n  - {}\n  + {}\n", change.name, change.old_value.empty() ? "(unset)" : change.old_value,
               change.new_value);
  for (const auto& note : plan.notes) fmt::print("note: {}\n", note);
  if (plan.empty()) fmt::print("already set up for Waybill: nothing to change\n");
}

}  // namespace

std::string listed(std::string copies) {
  std::replace(copies.begin(), copies.end(), '\t', ' ');
  return copies;
}

// Timestamped copies next to the originals, e.g. main.cf.waybill-20261122T050000Z; returns their
// paths, tab-separated (as waybill-setup.log lists them).
Result<std::string> backUp(const std::string& dir) {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char stamp[32];
  std::tm utc{};
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime_r(&now, &utc));
  std::string copies;
  for (const char* name : {"main.cf", "master.cf"}) {
    const fs::path from = fs::path(dir) / name;
    fs::path to = fs::path(dir) / fmt::format("{}.waybill-{}", name, stamp);
    for (int n = 1; fs::exists(to); ++n) to = fs::path(dir) / fmt::format("{}.waybill-{}.{}", name, stamp, n);
    std::error_code error;
    fs::copy_file(from, to, error);
    if (error) return makeError(fmt::format("back up {}: {}", from.string(), error.message()));
    copies += (copies.empty() ? "" : "\t") + to.string();
  }
  return copies;
}

namespace {

Result<bool> writeTransportMap(const SetupPlan& plan) {
  const std::string temp = plan.transport_map_path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << plan.transport_map_text;
    if (!out.flush()) return makeError(fmt::format("cannot write {}", temp));
  }
  if (std::rename(temp.c_str(), plan.transport_map_path.c_str()) != 0)
    return makeError(fmt::format("rename {}: {}", temp, std::strerror(errno)));
  return true;
}

// master.cf first: NAME_destination_recipient_limit is a known parameter only once NAME exists.
Result<bool> apply(const SetupPlan& plan, const Tools& tools) {
  if (!plan.transport_map_text.empty()) {
    auto written = writeTransportMap(plan);
    if (!written) return written;
  }
  if (!plan.service_entry.empty()) {
    auto done = query(tools, {"-M", std::string(postfix::kPipeService) + "/unix=" + plan.service_entry});
    if (!done) return makeError(done.error());
  }
  if (!plan.copy_service_entry.empty()) {
    auto done = query(tools, {"-M", plan.copy_service_name + "=" + plan.copy_service_entry});
    if (!done) return makeError(done.error());
  }
  if (!plan.postlog_entry.empty()) {
    auto done = query(tools, {"-M", "postlog/unix-dgram=" + plan.postlog_entry});
    if (!done) return makeError(done.error());
  }
  if (plan.params.empty()) return true;
  std::vector<std::string> args = {"-e"};
  for (const auto& change : plan.params) args.push_back(change.name + "=" + change.new_value);
  auto done = query(tools, args);
  if (!done) return makeError(done.error());
  return true;
}

}  // namespace

void reloadIfRunning(const Tools& tools) {
  auto status = runTool({tools.postfix, "-c", tools.dir, "status"});
  if (!status || status->status != 0) {
    fmt::print("Postfix is not running for {}: the settings apply when it starts "
               "(or run: postfix -c {} reload)\n", tools.dir, tools.dir);
    return;
  }
  auto reload = runTool({tools.postfix, "-c", tools.dir, "reload"});
  if (reload && reload->status == 0) fmt::print("Postfix reloaded\n");
  else fmt::print("a reload is needed: postfix -c {} reload failed: {}\n", tools.dir, reload ? reload->text : reload.error());
}

Result<Tools> findTools(const std::string& dir, bool dry_run) {
  Tools tools{findTool("postconf"), findTool("postfix"), dir};
  if (tools.postconf.empty() || tools.postfix.empty())
    return makeError("postconf/postfix not found on PATH or in /usr/sbin (is Postfix installed?)");
  for (const char* name : {"main.cf", "master.cf"})
    if (access((dir + "/" + name).c_str(), dry_run ? R_OK : R_OK | W_OK) != 0)
      return makeError(fmt::format("{}/{}: {}", dir, name, std::strerror(errno)));
  return tools;
}

Result<bool> appendSetupLog(const std::string& dir, const std::string& action, const std::string& copies) {
  const fs::path log = fs::path(dir) / kSetupLog;
  std::ofstream out(log, std::ios::app);
  out << action << '\t' << copies << '\n';
  if (!out.flush()) return makeError(fmt::format("cannot append to {}: {}", log.string(), std::strerror(errno)));
  return true;
}

namespace {

postfix::SetupInputs inputsFrom(const Config& config, const std::string& dir) {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  const std::string file = config.source_file.empty() ? kDefaultConfigFile : config.source_file;
  return {fs::absolute(dir).lexically_normal().string(), config.milter.socket, config.policyd.listen,
          config.pipe.bounce_domain, config.pipe.inbound_domains,
          (error ? fs::path("/usr/sbin") : self.parent_path()).append("waybill-pipe").string(),
          fs::absolute(file).lexically_normal().string(), config.milter.copy_listener, config.logd.log_file,
          // A syslog daemon writes the mail log only when one runs (/dev/log) and the file exists:
          // a stock Debian 12 has journald's /dev/log but no rsyslog, so no /var/log/mail.log.
          // Otherwise Postfix must write the log file itself.
          fs::exists("/dev/log") && fs::exists(config.logd.log_file)};
}

}  // namespace

int runPostfixSetup(const Config& config, const Args& args) {
  auto parsed = parseArgs(args);
  if (!parsed) return fail(64, "{}\n{}", parsed.error(), kUsage);
  if (parsed->help) return fmt::print("{}", kUsage), 0;
  if (parsed->undo) return runPostfixUndo(*parsed);
  const auto inputs = inputsFrom(config, parsed->config_dir);
  auto tools = findTools(inputs.config_dir, parsed->dry_run);
  if (!tools) return fail(tools.error().starts_with("postconf") ? 69 : 66, "{}", tools.error());
  auto state = readState(*tools, inputs);
  if (!state) return fail(69, "{}", state.error());
  auto plan = postfix::planPostfixSetup(inputs, *state);
  if (!plan) return fail(78, "{}", plan.error());
  printPlan(*plan, *tools, parsed->dry_run);
  if (parsed->dry_run || plan->empty()) return 0;
  auto copies = backUp(tools->dir);
  if (!copies) return fail(73, "{}", copies.error());
  fmt::print("backed up: {}\n", listed(*copies));
  if (auto logged = appendSetupLog(tools->dir, "setup", *copies); !logged) return fail(73, "{}", logged.error());
  auto applied = apply(*plan, *tools);
  if (!applied) return fail(70, "{} (originals in {})", applied.error(), listed(*copies));
  reloadIfRunning(*tools);
  return 0;
}

const char* postfixSetupUsage() { return kUsage; }

}  // namespace waybill::cli
