#include "postfix/setup_plan.h"

#include <fmt/format.h>

#include <algorithm>

#include "mail/address.h"
#include "postfix/postfix_list.h"

namespace waybill::postfix {
namespace {

constexpr const char* kTransportMapFile = "waybill_transport";

std::string current(const PostfixState& state, const std::string& name) {
  auto it = state.params.find(name);
  return it == state.params.end() ? "" : it->second;
}

void setParam(SetupPlan& plan, const PostfixState& state, const std::string& name, const std::string& value) {
  const std::string old_value = current(state, name);
  if (old_value != value) plan.params.push_back({name, old_value, value});
}

bool containsItem(const std::vector<std::string>& items, std::string_view wanted) {
  return std::any_of(items.begin(), items.end(), [&](const std::string& item) {
    return toLower(firstWord(item)) == toLower(wanted) || toLower(item) == toLower(wanted);
  });
}

// Appends to the raw value, so an operator's formatting and ${...} defaults survive.
std::string appendItems(const std::string& value, const std::vector<std::string>& additions) {
  std::string result = value;
  const auto items = splitPostfixList(value);
  for (const auto& addition : additions)
    if (!containsItem(items, addition)) result += (result.empty() ? "" : ", ") + addition;
  return result;
}

bool isUnauthDestination(std::string_view item) {
  return item == "reject_unauth_destination" || item == "defer_unauth_destination";
}

// Postfix's own test for "this list stops relaying" (smtpd(8) refuses to start without one).
bool guardsRelay(const std::vector<std::string>& items) {
  return std::any_of(items.begin(), items.end(), [](const std::string& item) {
    return isUnauthDestination(item) || item == "reject" || item == "defer" || item == "defer_if_permit";
  });
}

// The policy check goes right after reject_unauth_destination when the recipient list has one;
// otherwise first (as policyd/README.md shows), so mail from permit_mynetworks clients is checked
// too. waybill-policyd never answers OK, so no position can turn it into a permit.
Result<std::string> placePolicyCheck(SetupPlan& plan, const PostfixState& state, const std::string& check) {
  const std::string value = current(state, "smtpd_recipient_restrictions");
  auto items = splitPostfixList(value);
  if (std::find(items.begin(), items.end(), check) != items.end()) return value;
  auto unauth = std::find_if(items.begin(), items.end(), [](const std::string& i) { return isUnauthDestination(i); });
  if (unauth != items.end()) {
    if (std::any_of(items.begin(), unauth, [](const std::string& i) { return i.starts_with("permit"); }))
      plan.notes.push_back(
          "smtpd_recipient_restrictions permits some clients (e.g. permit_mynetworks) before "
          "reject_unauth_destination: their mail skips waybill-policyd (suppressions, quotas)");
    items.insert(unauth + 1, check);
    return joinPostfixList(items);
  }
  if (!guardsRelay(items) && !guardsRelay(splitPostfixList(state.relay_restrictions_expanded)))
    return makeError(
        "neither smtpd_relay_restrictions nor smtpd_recipient_restrictions has reject_unauth_destination: "
        "add it before running postfix-setup (Postfix would be an open relay)");
  items.insert(items.begin(), check);
  return joinPostfixList(items);
}

std::vector<std::string> pipeDomains(const SetupInputs& inputs) {
  std::vector<std::string> domains;
  auto add = [&](const std::string& domain) {
    if (!domain.empty() && std::find(domains.begin(), domains.end(), toLower(domain)) == domains.end())
      domains.push_back(toLower(domain));
  };
  add(inputs.bounce_domain);
  for (const auto& domain : inputs.inbound_domains) add(domain);
  return domains;
}

std::string transportMapText(const std::vector<std::string>& domains) {
  std::string text =
      "# Written by `waybill postfix-setup` from waybill.conf ([pipe] bounce_domain, inbound_domains):\n"
      "# mail for these domains goes to the waybill-pipe service of master.cf. texthash: no postmap.\n";
  for (const auto& domain : domains) text += fmt::format("{:<30} {}:\n", domain, kPipeService);
  return text;
}

// Whitespace-insensitive: postconf -M prints the columns padded and -o options on their own lines.
std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n') {
      if (!word.empty()) out.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) out.push_back(std::move(word));
  return out;
}

Status planCopyListener(SetupPlan& plan, const SetupInputs& inputs, const PostfixState& state) {
  if (inputs.copy_listener.empty()) return {};
  const auto colon = inputs.copy_listener.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == inputs.copy_listener.size())
    return makeError(fmt::format("milter.copy_listener '{}': expected HOST:PORT", inputs.copy_listener));
  plan.copy_service_name = inputs.copy_listener + "/inet";
  plan.copy_service_exists = !state.copy_service.empty();
  const std::string entry = copyListenerEntry(inputs.copy_listener);
  if (words(entry) != words(state.copy_service)) plan.copy_service_entry = entry;
  return {};
}

void planPipe(SetupPlan& plan, const SetupInputs& inputs, const PostfixState& state) {
  const std::string entry = fmt::format(
      "{} unix - n n - 10 pipe flags=Rq user=waybill_pipe:waybill argv={} --config {} --database.role waybill_pipe "
      "--sender=${{sender}} "
      "--recipient=${{recipient}} --queue-id=${{queue_id}}",
      kPipeService, inputs.pipe_binary, inputs.waybill_config);
  plan.service_exists = !state.pipe_service.empty();
  if (words(entry) != words(state.pipe_service)) plan.service_entry = entry;
}

void planTransport(SetupPlan& plan, const SetupInputs& inputs, const PostfixState& state) {
  const auto domains = pipeDomains(inputs);
  if (domains.empty()) {
    plan.notes.push_back("pipe.bounce_domain and pipe.inbound_domains are empty: no transport_maps entry, "
                         "bounces will not reach waybill-pipe");
    return;
  }
  plan.transport_map_path = inputs.config_dir + "/" + kTransportMapFile;
  const std::string text = transportMapText(domains);
  if (text != state.transport_map_text) plan.transport_map_text = text;
  const std::string map = "texthash:" + plan.transport_map_path;
  const std::string maps = current(state, "transport_maps");
  // Ours first: the first map that knows a domain wins.
  if (!containsItem(splitPostfixList(maps), map))
    setParam(plan, state, "transport_maps", maps.empty() ? map : map + ", " + maps);
  setParam(plan, state, "relay_domains", appendItems(current(state, "relay_domains"), domains));
  setParam(plan, state, std::string(kPipeService) + "_destination_recipient_limit", "1");
}

// waybill-logd reads a plain file. With a syslog daemon that is its mail log; without one (no
// /dev/log: containers, minimal hosts) Postfix writes the file itself through postlogd.
void planLogFile(SetupPlan& plan, const SetupInputs& inputs, const PostfixState& state) {
  if (inputs.log_file.empty()) return;
  const std::string maillog = current(state, "maillog_file");
  if (!maillog.empty() && maillog != inputs.log_file)
    plan.notes.push_back(fmt::format("Postfix writes its log to maillog_file = {}: set [logd] log_file = {} "
                                     "so that waybill-logd reads it", maillog, maillog));
  if (maillog.empty() && inputs.host_has_syslog) {
    plan.notes.push_back(fmt::format("Postfix logs through syslog: waybill-logd reads [logd] log_file = {}; "
                                     "make sure the syslog daemon writes mail.* there", inputs.log_file));
    return;
  }
  if (maillog.empty()) {
    setParam(plan, state, "maillog_file", inputs.log_file);
    const std::string prefixes = current(state, "maillog_file_prefixes");
    const auto items = splitPostfixList(prefixes);
    if (!std::any_of(items.begin(), items.end(), [&](const std::string& p) { return inputs.log_file.starts_with(p); })) {
      const std::string dir = inputs.log_file.substr(0, inputs.log_file.rfind('/'));
      setParam(plan, state, "maillog_file_prefixes", prefixes.empty() ? dir : prefixes + ", " + dir);
    }
  }
  if (state.postlog_service.empty()) plan.postlog_entry = kPostlogService;
}

}  // namespace

std::vector<std::string> parametersToRead() {
  return {"smtpd_milters",          "non_smtpd_milters",
          "milter_default_action",  "milter_protocol",
          "smtpd_recipient_restrictions", "transport_maps",
          "relay_domains",          std::string(kPipeService) + "_destination_recipient_limit",
          "disable_mime_output_conversion", "delay_warning_time", "queue_directory",
          "maillog_file",           "maillog_file_prefixes"};
}

Result<std::string> postfixMilterAddress(std::string_view socket, std::string_view queue_directory) {
  auto colon = socket.find(':');
  const std::string_view kind = colon == std::string_view::npos ? "unix" : socket.substr(0, colon);
  const std::string_view rest = colon == std::string_view::npos ? socket : socket.substr(colon + 1);
  if ((kind == "unix" || kind == "local") && rest.starts_with("/")) {
    // Inside the queue directory: named relative to it. smtpd and cleanup run chrooted there on
    // Debian and chdir there otherwise, so the relative name reaches the socket either way.
    std::string queue(queue_directory);
    while (queue.size() > 1 && queue.back() == '/') queue.pop_back();
    if (queue.starts_with("/") && queue.size() > 1 && rest.starts_with(queue + "/") && rest.size() > queue.size() + 1)
      return "unix:" + std::string(rest.substr(queue.size() + 1));
    return "unix:" + std::string(rest);
  }
  if (kind == "inet" || kind == "inet6") {
    const auto at = rest.find('@');
    const std::string port(rest.substr(0, at));
    std::string host = at == std::string_view::npos ? "" : std::string(rest.substr(at + 1));
    if (host.empty() || host == "0.0.0.0" || host == "::") host = kind == "inet" ? "127.0.0.1" : "::1";
    if (!port.empty() && std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return kind == "inet" ? fmt::format("inet:{}:{}", host, port) : fmt::format("inet:[{}]:{}", host, port);
  }
  return makeError(fmt::format("milter.socket '{}': expected inet:PORT@HOST or unix:/PATH", socket));
}

Result<std::string> postfixPolicyAddress(std::string_view listen, std::string_view queue_directory) {
  listen = listen.substr(0, listen.find(','));
  // Inside the queue directory (the package's private/waybill-policy): relative, as for the milter.
  if (listen.starts_with("unix:/")) return postfixMilterAddress(listen, queue_directory);
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == listen.size())
    return makeError(fmt::format("policyd.listen '{}': expected HOST:PORT or unix:/PATH", listen));
  std::string host(listen.substr(0, colon));
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "[::]") host = "[::1]";
  return fmt::format("inet:{}:{}", host, listen.substr(colon + 1));
}

std::string copyListenerEntry(const std::string& listen) {
  static const char* const options[] = {
      "syslog_name=postfix/waybill-copy",
      "mynetworks=127.0.0.0/8",
      "smtpd_client_restrictions=",
      "smtpd_helo_restrictions=",
      "smtpd_sender_restrictions=",
      "smtpd_relay_restrictions=permit_mynetworks,reject",
      "smtpd_recipient_restrictions=permit_mynetworks,reject",
      "smtpd_data_restrictions=",
      "smtpd_end_of_data_restrictions=",
      "smtpd_proxy_filter=",
      "smtpd_sasl_auth_enable=no",
      "smtpd_tls_security_level=none",
      "smtpd_client_connection_count_limit=0",
      "smtpd_client_connection_rate_limit=0",
      "smtpd_client_message_rate_limit=0",
      "smtpd_client_recipient_rate_limit=0",
  };
  std::string entry = listen + " inet n - n - 20 smtpd";
  for (const char* option : options) entry += std::string(" -o ") + option;
  return entry;
}

Result<SetupPlan> planPostfixSetup(const SetupInputs& inputs, const PostfixState& state) {
  auto milter = postfixMilterAddress(inputs.milter_socket, current(state, "queue_directory"));
  if (!milter) return makeError(milter.error());
  auto policy = postfixPolicyAddress(inputs.policy_listen, current(state, "queue_directory"));
  if (!policy) return makeError(policy.error());
  SetupPlan plan;
  planPipe(plan, inputs, state);
  if (auto copies = planCopyListener(plan, inputs, state); !copies) return makeError(copies.error());
  // Appended: waybill-milter signs DKIM last, so it must run after milters that edit the message.
  setParam(plan, state, "smtpd_milters", appendItems(current(state, "smtpd_milters"), {*milter}));
  setParam(plan, state, "non_smtpd_milters", appendItems(current(state, "non_smtpd_milters"), {*milter}));
  setParam(plan, state, "milter_default_action", "tempfail");
  setParam(plan, state, "milter_protocol", "6");
  auto restrictions = placePolicyCheck(plan, state, "check_policy_service " + *policy);
  if (!restrictions) return makeError(restrictions.error());
  setParam(plan, state, "smtpd_recipient_restrictions", *restrictions);
  planTransport(plan, inputs, state);
  setParam(plan, state, "disable_mime_output_conversion", "yes");
  if (!state.explicit_params.contains("delay_warning_time")) setParam(plan, state, "delay_warning_time", "4h");
  planLogFile(plan, inputs, state);
  return plan;
}

}  // namespace waybill::postfix
