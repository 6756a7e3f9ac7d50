// `waybill postfix-setup --undo [--dry-run] [-c DIR]`: puts back what setup changed in a Postfix
// instance. The originals are the copies the first setup since the last undo made (listed in
// waybill-setup.log; before any undo, the oldest main.cf.waybill-* backup, which covers setups
// of older versions that kept no log). Only what setup manages is restored (core/postfix/undo_plan.h); when nothing else
// differs either, the original files are put back byte for byte, formatting and comments included.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>

#include "postfix/undo_plan.h"
#include "postfix_setup_support.h"

namespace waybill::cli {
namespace {

namespace fs = std::filesystem;
using postfix::ConfigSnapshot;
using postfix::Restore;
using postfix::UndoPlan;

constexpr const char* kTransportMap = "waybill_transport";
constexpr std::string_view kTransportMapHeader = "# Written by `waybill postfix-setup`";

struct Originals {
  std::string main_cf;
  std::string master_cf;
};

std::vector<std::vector<std::string>> readLog(const fs::path& log) {
  std::vector<std::vector<std::string>> entries;
  std::istringstream lines(readFile(log));
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields;
    std::istringstream parts(line);
    for (std::string field; std::getline(parts, field, '\t');) fields.push_back(field);
    if (fields.size() == 3 && (fields[0] == "setup" || fields[0] == "undo")) entries.push_back(fields);
  }
  return entries;
}

// Without a log: the oldest backup pair (same timestamp suffix) older versions of setup made.
std::optional<Originals> oldestBackup(const fs::path& dir) {
  std::vector<std::string> suffixes;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    const bool stamped = name.starts_with("main.cf.waybill-") && name.size() > 16 &&
                         std::isdigit(static_cast<unsigned char>(name[16]));
    if (stamped && fs::exists(dir / ("master.cf" + name.substr(7))))
      suffixes.push_back(name.substr(7));
  }
  if (suffixes.empty()) return std::nullopt;
  const auto oldest = *std::min_element(suffixes.begin(), suffixes.end());
  return Originals{(dir / ("main.cf" + oldest)).string(), (dir / ("master.cf" + oldest)).string()};
}

// The originals to restore, or nullopt with the reason in `none`. Before any undo, the oldest
// backup: a setup of an older version (which kept no log) may precede the log's first entry.
std::optional<Originals> findOriginals(const fs::path& dir, std::string& none) {
  const auto entries = readLog(dir / kSetupLog);
  auto last_undo = std::find_if(entries.rbegin(), entries.rend(), [](const auto& e) { return e[0] == "undo"; });
  if (last_undo == entries.rend()) {
    auto oldest = oldestBackup(dir);
    if (!oldest) none = fmt::format("no main.cf.waybill-* backup in {}: not set up by waybill", dir.string());
    return oldest;
  }
  auto first_setup = std::find_if(last_undo.base(), entries.end(), [](const auto& e) { return e[0] == "setup"; });
  if (first_setup == entries.end()) {
    none = fmt::format("{} lists no setup since the last undo", (dir / kSetupLog).string());
    return std::nullopt;
  }
  return Originals{(*first_setup)[1], (*first_setup)[2]};
}

Result<ConfigSnapshot> snapshot(const Tools& tools) {
  auto params = query(tools, {"-n"});
  if (!params) return makeError(params.error());
  auto services = query(tools, {"-M"});
  if (!services) return makeError(services.error());
  return ConfigSnapshot{parseParams(*params), postfix::parseServices(*services)};
}

// postconf reads the originals from a scratch directory holding copies named main.cf/master.cf.
Result<ConfigSnapshot> snapshotOf(const Tools& tools, const Originals& originals) {
  std::string scratch = (fs::temp_directory_path() / "waybill-undo-XXXXXX").string();
  if (!mkdtemp(scratch.data())) return makeError(fmt::format("mkdtemp {}: {}", scratch, std::strerror(errno)));
  std::error_code error;
  fs::copy_file(originals.main_cf, fs::path(scratch) / "main.cf", error);
  if (!error) fs::copy_file(originals.master_cf, fs::path(scratch) / "master.cf", error);
  Result<ConfigSnapshot> result = error ? Result<ConfigSnapshot>(makeError(
                                              fmt::format("read the originals {}, {}: {}", originals.main_cf,
                                                          originals.master_cf, error.message())))
                                        : snapshot(Tools{tools.postconf, tools.postfix, scratch});
  fs::remove_all(scratch, error);
  return result;
}

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

// Names of the parameters and services that differ (not only in layout) between the snapshots.
std::vector<std::string> differences(const ConfigSnapshot& a, const ConfigSnapshot& b) {
  std::vector<std::string> names;
  auto compare = [&](const std::map<std::string, std::string>& x, const std::map<std::string, std::string>& y,
                     bool by_words) {
    for (const auto& [name, value] : x) {
      auto other = y.find(name);
      if (other == y.end() || (by_words ? words(value) != words(other->second) : value != other->second))
        names.push_back(name);
    }
    for (const auto& [name, value] : y)
      if (!x.contains(name)) names.push_back(name);
  };
  compare(a.explicit_params, b.explicit_params, false);
  // postconf -c DIR reports config_directory as DIR, so the scratch copy's differs by design.
  std::erase(names, "config_directory");
  compare(a.services, b.services, true);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

// Setup's transport map, once main.cf no longer names it.
bool transportMapToRemove(const Tools& tools, const ConfigSnapshot& after) {
  const fs::path map = fs::path(tools.dir) / kTransportMap;
  if (!readFile(map).starts_with(kTransportMapHeader)) return false;
  auto maps = after.explicit_params.find("transport_maps");
  return maps == after.explicit_params.end() || maps->second.find(map.string()) == std::string::npos;
}

void printPlan(const UndoPlan& plan, const Tools& tools, const Originals& originals, bool remove_map, bool dry_run) {
  fmt::print("Postfix instance {}{}\nrestoring what setup changed, as in {} and {}\n", tools.dir,
             dry_run ? " (dry run: nothing is written)" : "", originals.main_cf, originals.master_cf);
  for (const Restore& p : plan.params)
    fmt::print("main.cf: {}\n  - {}\n  + {}\n", p.name, p.current.value_or("(unset)"),
               p.original.value_or("(unset: Postfix's default)"));
  for (const Restore& s : plan.services) {
    if (s.original) fmt::print("master.cf: restore {}\n  + {}\n", s.name, *s.original);
    else fmt::print("master.cf: remove {}\n  - {}\n", s.name, s.current.value_or(""));
  }
  if (remove_map) fmt::print("{}/{}: remove\n", tools.dir, kTransportMap);
}

Result<bool> apply(const UndoPlan& plan, const Tools& tools) {
  std::vector<std::string> set = {"-e"}, unset = {"-X"};
  for (const Restore& p : plan.params) {
    if (p.original) set.push_back(p.name + "=" + *p.original);
    else unset.push_back(p.name);
  }
  for (const auto* args : {&set, &unset}) {
    if (args->size() == 1) continue;
    if (auto done = query(tools, *args); !done) return makeError(done.error());
  }
  for (const Restore& s : plan.services) {
    auto done = s.original ? query(tools, {"-M", s.name + "=" + *s.original}) : query(tools, {"-MX", s.name});
    if (!done) return makeError(done.error());
  }
  return true;
}

// Written beside, then renamed over: Postfix never reads half a file.
Result<bool> putBack(const std::string& original, const fs::path& target) {
  const fs::path temp = target.string() + ".undo-tmp";
  std::error_code error;
  fs::copy_file(original, temp, fs::copy_options::overwrite_existing, error);
  if (!error) fs::rename(temp, target, error);
  if (error) return makeError(fmt::format("put back {} as {}: {}", original, target.string(), error.message()));
  return true;
}

// After the managed items: the whole files back when nothing else differs from the originals.
Result<bool> restoreBytesIfSame(const Tools& tools, const Originals& originals, const ConfigSnapshot& original) {
  auto now = snapshot(tools);
  if (!now) return makeError(now.error());
  if (const auto kept = differences(*now, original); !kept.empty()) {
    fmt::print("note: main.cf/master.cf keep the edits made since setup to settings it does not manage: {}\n",
               fmt::join(kept, ", "));
    return false;
  }
  for (const auto& [from, name] : {std::pair{originals.main_cf, "main.cf"}, {originals.master_cf, "master.cf"}})
    if (auto done = putBack(from, fs::path(tools.dir) / name); !done) return done;
  fmt::print("main.cf and master.cf are again byte for byte as before setup\n");
  return true;
}

}  // namespace

int runPostfixUndo(const SetupArgs& args) {
  auto tools = findTools(fs::absolute(args.config_dir).lexically_normal().string(), args.dry_run);
  if (!tools) return fail(tools.error().starts_with("postconf") ? 69 : 66, "{}", tools.error());
  std::string none;
  const auto originals = findOriginals(tools->dir, none);
  if (!originals) return fmt::print("nothing to undo: {}\n", none), 0;
  auto original = snapshotOf(*tools, *originals);
  if (!original) return fail(66, "{}", original.error());
  auto current = snapshot(*tools);
  if (!current) return fail(69, "{}", current.error());
  const UndoPlan plan = postfix::planPostfixUndo(*original, *current);
  const bool remove_map = transportMapToRemove(*tools, *original);
  printPlan(plan, *tools, *originals, remove_map, args.dry_run);
  if (plan.empty() && !remove_map) fmt::print("nothing to undo: what setup manages is as in the originals\n");
  if (args.dry_run || (plan.empty() && !remove_map)) return 0;
  auto copies = backUp(tools->dir);
  if (!copies) return fail(73, "{}", copies.error());
  fmt::print("backed up: {}\n", listed(*copies));
  if (auto logged = appendSetupLog(tools->dir, "undo", *copies); !logged) return fail(73, "{}", logged.error());
  if (auto applied = apply(plan, *tools); !applied)
    return fail(70, "{} (the files before this undo are in {})", applied.error(), listed(*copies));
  auto restored = restoreBytesIfSame(*tools, *originals, *original);
  if (!restored) return fail(70, "{} (the files before this undo are in {})", restored.error(), listed(*copies));
  if (remove_map) {
    std::error_code error;
    fs::remove(fs::path(tools->dir) / kTransportMap, error);
  }
  reloadIfRunning(*tools);
  return 0;
}

}  // namespace waybill::cli
