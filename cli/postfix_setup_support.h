// What `waybill postfix-setup` and `postfix-setup --undo` share: running postconf/postfix without
// a shell, timestamped backups, the setup log and Postfix's reload (command_postfix_setup.cpp).
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "util/result.h"

namespace waybill::cli {

// One line per run that changed the instance: "setup|undo<TAB>MAIN_BACKUP<TAB>MASTER_BACKUP", the
// copies made just before; --undo restores from the first setup after the last undo.
inline constexpr const char* kSetupLog = "waybill-setup.log";

struct SetupArgs {
  std::string config_dir = "/etc/postfix";
  bool dry_run = false;
  bool undo = false;
  bool help = false;
};

struct Tools {
  std::string postconf;
  std::string postfix;
  std::string dir;
};

struct Output {
  int status = 0;
  std::string text;  // stdout and stderr
};

Result<Output> runTool(const std::vector<std::string>& argv);
// The program on PATH, then in /usr/sbin and /usr/local/sbin; empty when missing.
std::string findTool(const std::string& name);
// postconf -c tools.dir ARGS: its output without its warnings, or its first fatal line as the error.
Result<std::string> query(const Tools& tools, std::vector<std::string> args);
// "name = value" lines -> map.
std::map<std::string, std::string> parseParams(const std::string& text);
std::string readFile(const std::filesystem::path& path);
Result<std::string> backUp(const std::string& dir);
std::string listed(std::string copies);  // backUp's paths, space-separated for people
Result<bool> appendSetupLog(const std::string& dir, const std::string& action, const std::string& copies);
void reloadIfRunning(const Tools& tools);
Result<Tools> findTools(const std::string& dir, bool dry_run);

int runPostfixUndo(const SetupArgs& args);

template <typename... T>
int fail(int exit_code, fmt::format_string<T...> format, T&&... args) {
  fmt::print(stderr, "waybill postfix-setup: {}\n", fmt::format(format, std::forward<T>(args)...));
  return exit_code;
}

}  // namespace waybill::cli
