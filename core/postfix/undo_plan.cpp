#include "postfix/undo_plan.h"

#include <sstream>

#include "postfix/setup_plan.h"

namespace waybill::postfix {
namespace {

// The copy listener's name comes from milter.copy_listener, which may have changed since setup;
// its entry is recognised by the syslog name setup gives it.
constexpr std::string_view kCopyListenerMark = "syslog_name=postfix/waybill-copy";

std::optional<std::string> find(const std::map<std::string, std::string>& values, const std::string& name) {
  auto it = values.find(name);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

bool sameEntry(const std::optional<std::string>& a, const std::optional<std::string>& b) {
  if (!a || !b) return a.has_value() == b.has_value();
  return words(*a) == words(*b);
}

bool isManagedService(const std::string& key, const std::string& entry) {
  return key == std::string(kPipeService) + "/unix" || key == "postlog/unix-dgram" ||
         entry.find(kCopyListenerMark) != std::string::npos;
}

}  // namespace

std::vector<std::string> managedParameters() {
  std::vector<std::string> names;
  for (auto& name : parametersToRead())
    if (name != "queue_directory") names.push_back(std::move(name));  // read, never written
  return names;
}

std::map<std::string, std::string> parseServices(const std::string& postconf_m) {
  std::map<std::string, std::string> services;
  std::istringstream lines(postconf_m);
  for (std::string line; std::getline(lines, line);) {
    const auto entry = words(line);
    if (entry.size() >= 8 && !line.starts_with("#")) services[entry[0] + "/" + entry[1]] = line;
  }
  return services;
}

UndoPlan planPostfixUndo(const ConfigSnapshot& original, const ConfigSnapshot& current) {
  UndoPlan plan;
  for (const auto& name : managedParameters()) {
    auto was = find(original.explicit_params, name);
    auto now = find(current.explicit_params, name);
    if (was != now) plan.params.push_back({name, now, was});
  }
  // Setup's services in either snapshot (one it replaced or one it added).
  std::map<std::string, bool> keys;
  for (const auto* snapshot : {&original, &current})
    for (const auto& [key, entry] : snapshot->services)
      if (isManagedService(key, entry)) keys[key] = true;
  for (const auto& [key, unused] : keys) {
    auto was = find(original.services, key);
    auto now = find(current.services, key);
    if (!sameEntry(was, now)) plan.services.push_back({key, now, was});
  }
  return plan;
}

}  // namespace waybill::postfix
