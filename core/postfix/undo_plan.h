// What `waybill postfix-setup --undo` changes to put a Postfix instance back as it was before
// setup, computed from two snapshots that postconf reports (pure: no files, no processes): the
// copy setup made before its first change, and the instance now. Only what setup manages is
// touched, so the operator's own edits since then stay.
//
//   auto plan = planPostfixUndo(original, current);   // postconf -n and -M of both
//   for (const auto& p : plan.params) ...               // postconf -e NAME=VALUE or -X NAME
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace waybill::postfix {

struct ConfigSnapshot {
  std::map<std::string, std::string> explicit_params;  // postconf -n: NAME -> raw value
  std::map<std::string, std::string> services;         // postconf -M: "NAME/TYPE" -> entry line
};

// A parameter or master.cf entry and what it goes back to; nullopt: remove it (postconf -X / -MX).
struct Restore {
  std::string name;
  std::optional<std::string> current;
  std::optional<std::string> original;
};

struct UndoPlan {
  std::vector<Restore> params;
  std::vector<Restore> services;

  bool empty() const { return params.empty() && services.empty(); }
};

// main.cf parameters `waybill postfix-setup` may set.
std::vector<std::string> managedParameters();

// `postconf -M` output -> "NAME/TYPE" -> entry (whitespace runs kept as postconf prints them).
std::map<std::string, std::string> parseServices(const std::string& postconf_m);

UndoPlan planPostfixUndo(const ConfigSnapshot& original, const ConfigSnapshot& current);

}  // namespace waybill::postfix
