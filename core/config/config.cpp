#include "config/config.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "metrics/metrics_server.h"

namespace po = boost::program_options;

namespace waybill {

Result<TrackMode> parseTrackMode(std::string_view text) {
  if (text == "all") return TrackMode::All;
  if (text == "opens") return TrackMode::Opens;
  if (text == "clicks") return TrackMode::Clicks;
  if (text == "none") return TrackMode::None;
  return makeError(fmt::format("'{}' is not one of all, opens, clicks, none", text));
}

const char* trackModeName(TrackMode mode) {
  switch (mode) {
    case TrackMode::All: return "all";
    case TrackMode::Opens: return "opens";
    case TrackMode::Clicks: return "clicks";
    case TrackMode::None: return "none";
  }
  return "all";
}

po::options_description sharedOptions() {
  const Config d;  // defaults come from the struct initialisers, stated once
  po::options_description desc("Configuration (file [section] key, or --section.key on the command line)");
  desc.add_options()
      ("database.url", po::value<std::string>(), "PostgreSQL URL (postgresql://...) or libpq conninfo")
      ("database.pool_size", po::value<int>()->default_value(d.database.pool_size), "connections per daemon")
      ("database.connect_timeout", po::value<int>()->default_value(d.database.connect_timeout_seconds), "seconds")
      ("tracking.base_url", po::value<std::string>(), "public base URL of waybill-trackd, e.g. https://t.example.com")
      ("tracking.key_file", po::value<std::string>(), "token signing keys: lines 'KEYID SECRET_HEX', first one signs")
      ("tracking.default_mode", po::value<std::string>()->default_value("all"), "all | opens | clicks | none")
      ("tracking.rewrite_text_links", po::value<bool>()->default_value(d.tracking.rewrite_text_links), "rewrite bare URLs in text/plain")
      ("milter.socket", po::value<std::string>()->default_value(d.milter.socket), "libmilter socket: inet:PORT@127.0.0.1 or unix:/path")
      ("milter.metrics_listen", po::value<std::string>()->default_value(""), "Prometheus /metrics on 127.0.0.1:PORT (default off)")
      ("milter.message_id_domain", po::value<std::string>()->default_value(""), "domain of generated Message-IDs (default: From domain)")
      ("milter.timeout", po::value<int>()->default_value(d.milter.timeout_seconds), "seconds of MTA silence before a session is dropped")
      ("milter.reinject_command", po::value<std::string>()->default_value(d.milter.reinject_command), "command re-injecting per-recipient copies ('-f SENDER -- RCPT' appended)")
      ("milter.spool_dir", po::value<std::string>()->default_value(d.milter.spool_dir), "directory for message bodies larger than milter.spool_memory_limit_kb")
      ("milter.spool_memory_limit_kb", po::value<int>()->default_value(d.milter.spool_memory_limit_kb), "body bytes kept in memory before spooling to a file")
      ("policyd.listen", po::value<std::string>()->default_value(d.policyd.listen), "127.0.0.1:PORT or unix:/path")
      ("policyd.metrics_listen", po::value<std::string>()->default_value(""), "Prometheus /metrics on 127.0.0.1:PORT (default off)")
      ("policyd.max_connections", po::value<int>()->default_value(d.policyd.max_connections), "concurrent policy clients")
      ("policyd.idle_timeout", po::value<int>()->default_value(d.policyd.idle_timeout_seconds), "seconds before an idle client is dropped")
      ("policyd.quota", po::value<std::vector<std::string>>()->composing(), "repeatable: 'sasl:USER|* LIMIT/minute|hour|day|Ns' or 'domain:DOMAIN|* ...'")
      ("policyd.scope_unsubscribed", po::value<std::string>()->default_value("sender"), "default scope of unsubscribes: sender | domain | global")
      ("policyd.scope_hard_bounce", po::value<std::string>()->default_value("global"), "default scope of hard bounces")
      ("policyd.scope_soft_bounce", po::value<std::string>()->default_value("global"), "default scope of soft-bounce suppressions")
      ("policyd.scope_complaint", po::value<std::string>()->default_value("global"), "default scope of complaints")
      ("policyd.scope_manual", po::value<std::string>()->default_value("global"), "default scope of manual suppressions")
      ("policyd.postfix_config_dir", po::value<std::string>()->default_value(d.policyd.postfix_config_dir), "Postfix instance whose hold queue the scheduler releases")
      ("policyd.hold_helper", po::value<std::string>()->default_value(d.policyd.hold_helper), "command that runs 'release|delete QUEUE_ID' on held mail (see README)")
      ("policyd.schedule_interval", po::value<int>()->default_value(d.policyd.schedule_interval_seconds), "seconds between scheduler runs")
      ("trackd.listen", po::value<std::string>()->default_value(d.trackd.listen), "HOST:PORT[,HOST:PORT...] ([::1]:PORT for IPv6)")
      ("trackd.metrics_listen", po::value<std::string>()->default_value(""), "Prometheus /metrics on 127.0.0.1:PORT (default off)")
      ("trackd.spool_dir", po::value<std::string>()->default_value(d.trackd.spool_dir), "local event spool (survives database outages and crashes)")
      ("trackd.unsubscribe_scope", po::value<std::string>()->default_value(d.trackd.unsubscribe_scope), "sender | domain | global")
      ("trackd.template_dir", po::value<std::string>()->default_value(""), "directory with unsubscribe.html.mustache (default: built-in page)")
      ("trackd.threads", po::value<int>()->default_value(d.trackd.threads), "HTTP worker threads (0: one per CPU)")
      ("trackd.timeout", po::value<int>()->default_value(d.trackd.timeout_seconds), "seconds before a slow or idle client is dropped")
      ("trackd.scanner_click_seconds", po::value<int>()->default_value(d.trackd.scanner_click_seconds), "clicks sooner than this after acceptance are flagged as machine")
      ("trackd.real_ip_header", po::value<std::string>()->default_value(""), "header carrying the client IP (only behind a trusted proxy)")
      ("webhooks.endpoint", po::value<std::vector<std::string>>()->composing(), "repeatable: 'NAME URL [events=T1,T2|*] [sender=ADDR|@DOMAIN,...] [secret=S]'")
      ("webhooks.secret", po::value<std::string>()->default_value(""), "HMAC-SHA256 key signing requests (X-Waybill-Signature)")
      ("webhooks.batch_size", po::value<int>()->default_value(d.webhooks.batch_size), "events per POST")
      ("webhooks.timeout", po::value<int>()->default_value(d.webhooks.timeout_seconds), "seconds per request")
      ("webhooks.connect_timeout", po::value<int>()->default_value(d.webhooks.connect_timeout_seconds), "seconds to connect")
      ("webhooks.retry_initial_ms", po::value<int>()->default_value(d.webhooks.retry_initial_ms), "first retry delay (doubles each retry)")
      ("webhooks.retry_max", po::value<int>()->default_value(d.webhooks.retry_max_seconds), "longest delay between retries, seconds")
      ("webhooks.retry_period", po::value<int>()->default_value(d.webhooks.retry_period_seconds), "seconds of retrying before events are recorded as failed")
      ("webhooks.metrics_listen", po::value<std::string>()->default_value(""), "Prometheus /metrics on 127.0.0.1:PORT (default off)")
      ("pipe.bounce_domain", po::value<std::string>()->default_value(""), "domain of VERP return paths and unsubscribe mailto addresses")
      ("pipe.bounce_local_part", po::value<std::string>()->default_value(d.pipe.bounce_local_part), "LOCALPART of LOCALPART+TOKEN@bounce_domain")
      ("pipe.inbound_domains", po::value<std::string>()->default_value(""), "comma-separated domains whose mail is stored in inbound_messages")
      ("pipe.soft_bounce_limit", po::value<int>()->default_value(d.pipe.soft_bounce_limit), "soft bounces of one address that suppress it ...")
      ("pipe.soft_bounce_days", po::value<int>()->default_value(d.pipe.soft_bounce_days), "... within this many days")
      ("pipe.socket", po::value<std::string>()->default_value(d.pipe.socket), "unix:/path of waybill-piped --serve; empty: waybill-pipe runs one-shot")
      ("pipe.socket_mode", po::value<std::string>()->default_value("0660"), "octal mode of the socket waybill-piped creates")
      ("pipe.pool_size", po::value<int>()->default_value(d.pipe.pool_size), "PostgreSQL connections of waybill-piped")
      ("pipe.max_connections", po::value<int>()->default_value(d.pipe.max_connections), "messages waybill-piped takes at once")
      ("pipe.max_message_mb", po::value<int>()->default_value(d.pipe.max_message_mb), "message bytes kept; the rest is cut")
      ("pipe.timeout", po::value<int>()->default_value(d.pipe.timeout_seconds), "seconds of client silence, and of waiting for the answer")
      ("pipe.metrics_listen", po::value<std::string>()->default_value(""), "Prometheus /metrics on 127.0.0.1:PORT (default off)")
      ("dkim.key_table", po::value<std::string>()->default_value(""), "OpenDKIM KeyTable file")
      ("dkim.signing_table", po::value<std::string>()->default_value(""), "OpenDKIM SigningTable file")
      ("dkim.fallback_key", po::value<std::string>()->default_value(""), "KeyTable name signing senders that no SigningTable rule matches")
      ("dkim.allow_unsigned", po::value<bool>()->default_value(d.dkim.allow_unsigned), "send unsigned when a key cannot be used (default: tempfail)")
      ("milter.template_dir", po::value<std::string>()->default_value(d.milter.template_dir), "folder of NAME.html.mustache / NAME.txt.mustache")
      ("milter.bounce_domains", po::value<std::string>()->default_value(""), "VERP bounce domain per sender domain: 'example.com=bounces.example.com, ...'")
      ("log.level", po::value<std::string>()->default_value("info"), "debug | info | warning | error")
      ("log.stderr", po::value<bool>()->default_value(d.log.to_stderr), "also log to stderr")
      ("log.syslog", po::value<bool>()->default_value(d.log.to_syslog), "log to syslog, facility mail");
  return desc;
}

namespace {

std::string stringOr(const po::variables_map& vm, const char* key) {
  return vm.count(key) ? vm[key].as<std::string>() : std::string();
}

Status requirePositive(const char* key, int value) {
  if (value > 0) return {};
  return makeError(fmt::format("option '{}': must be a positive number, got {}", key, value));
}

Status checkBaseUrl(const std::string& url) {
  if (url.empty()) return {};
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    return makeError(fmt::format("option 'tracking.base_url': '{}' must start with http:// or https://", url));
  return {};
}

Status buildPipeDaemon(const po::variables_map& vm, PipeConfig& pipe) {
  pipe.socket = vm["pipe.socket"].as<std::string>();
  if (!pipe.socket.empty() && (pipe.socket.rfind("unix:/", 0) != 0 || pipe.socket.size() > 100))
    return makeError(fmt::format("option 'pipe.socket': '{}' is not unix:/absolute/path (at most 100 characters)", pipe.socket));
  const std::string mode = vm["pipe.socket_mode"].as<std::string>();
  char* end = nullptr;
  const long parsed = std::strtol(mode.c_str(), &end, 8);
  if (mode.empty() || *end != '\0' || parsed <= 0 || parsed > 0777)
    return makeError(fmt::format("option 'pipe.socket_mode': '{}' is not an octal mode such as 0660", mode));
  pipe.socket_mode = static_cast<int>(parsed);
  pipe.pool_size = vm["pipe.pool_size"].as<int>();
  pipe.max_connections = vm["pipe.max_connections"].as<int>();
  pipe.max_message_mb = vm["pipe.max_message_mb"].as<int>();
  pipe.timeout_seconds = vm["pipe.timeout"].as<int>();
  for (auto [key, value] : {std::pair{"pipe.pool_size", pipe.pool_size}, std::pair{"pipe.max_connections", pipe.max_connections},
                            std::pair{"pipe.max_message_mb", pipe.max_message_mb}, std::pair{"pipe.timeout", pipe.timeout_seconds}})
    if (auto s = requirePositive(key, value); !s) return s;
  if (pipe.max_message_mb > 1024) return makeError("option 'pipe.max_message_mb': at most 1024");
  return {};
}

Status buildPipe(const po::variables_map& vm, PipeConfig& pipe) {
  pipe.bounce_domain = vm["pipe.bounce_domain"].as<std::string>();
  pipe.bounce_local_part = vm["pipe.bounce_local_part"].as<std::string>();
  pipe.inbound_domains.clear();
  std::string domains = vm["pipe.inbound_domains"].as<std::string>();
  for (std::size_t pos = 0; pos <= domains.size();) {
    std::size_t comma = std::min(domains.find(',', pos), domains.size());
    std::string domain = domains.substr(pos, comma - pos);
    domain.erase(0, domain.find_first_not_of(" \t"));
    domain.erase(domain.find_last_not_of(" \t") + 1);
    if (!domain.empty()) pipe.inbound_domains.push_back(domain);
    pos = comma + 1;
  }
  pipe.soft_bounce_limit = vm["pipe.soft_bounce_limit"].as<int>();
  pipe.soft_bounce_days = vm["pipe.soft_bounce_days"].as<int>();
  if (auto s = requirePositive("pipe.soft_bounce_limit", pipe.soft_bounce_limit); !s) return s;
  if (auto s = requirePositive("pipe.soft_bounce_days", pipe.soft_bounce_days); !s) return s;
  return buildPipeDaemon(vm, pipe);
}

Status buildPolicyd(const po::variables_map& vm, PolicydConfig& policyd) {
  policyd.listen = vm["policyd.listen"].as<std::string>();
  policyd.max_connections = vm["policyd.max_connections"].as<int>();
  policyd.idle_timeout_seconds = vm["policyd.idle_timeout"].as<int>();
  policyd.schedule_interval_seconds = vm["policyd.schedule_interval"].as<int>();
  for (const char* key : {"policyd.max_connections", "policyd.idle_timeout", "policyd.schedule_interval"})
    if (auto s = requirePositive(key, vm[key].as<int>()); !s) return s;
  if (vm.count("policyd.quota")) {
    for (const auto& text : vm["policyd.quota"].as<std::vector<std::string>>()) {
      auto rule = policy::parseQuotaRule(text);
      if (!rule) return makeError("option 'policyd.quota': " + rule.error());
      policyd.quotas.push_back(*rule);
    }
  }
  const std::pair<const char*, policy::SuppressionScope*> scopes[] = {
      {"policyd.scope_unsubscribed", &policyd.default_scopes.unsubscribed},
      {"policyd.scope_hard_bounce", &policyd.default_scopes.hard_bounce},
      {"policyd.scope_soft_bounce", &policyd.default_scopes.soft_bounce},
      {"policyd.scope_complaint", &policyd.default_scopes.complaint},
      {"policyd.scope_manual", &policyd.default_scopes.manual}};
  for (const auto& [key, target] : scopes) {
    auto scope = policy::parseSuppressionScope(vm[key].as<std::string>());
    if (!scope) return makeError(fmt::format("option '{}': {}", key, scope.error()));
    *target = *scope;
  }
  policyd.postfix_config_dir = vm["policyd.postfix_config_dir"].as<std::string>();
  policyd.hold_helper = vm["policyd.hold_helper"].as<std::string>();
  return {};
}

Result<std::string> metricsListen(const po::variables_map& vm, const char* key) {
  auto text = vm[key].as<std::string>();
  if (auto s = metrics::checkLoopbackListen(key, text); !s) return makeError(s.error());
  return text;
}

Status buildWebhooks(const po::variables_map& vm, WebhooksConfig& webhooks) {
  webhooks.secret = vm["webhooks.secret"].as<std::string>();
  const std::pair<const char*, int*> numbers[] = {
      {"webhooks.batch_size", &webhooks.batch_size}, {"webhooks.timeout", &webhooks.timeout_seconds},
      {"webhooks.connect_timeout", &webhooks.connect_timeout_seconds},
      {"webhooks.retry_initial_ms", &webhooks.retry_initial_ms}, {"webhooks.retry_max", &webhooks.retry_max_seconds},
      {"webhooks.retry_period", &webhooks.retry_period_seconds}};
  for (const auto& [key, target] : numbers) {
    *target = vm[key].as<int>();
    if (auto s = requirePositive(key, *target); !s) return s;
  }
  const auto lines = vm.count("webhooks.endpoint") ? vm["webhooks.endpoint"].as<std::vector<std::string>>()
                                                   : std::vector<std::string>();
  for (const auto& line : lines) {
    auto endpoint = webhook::parseWebhookEndpoint(line);
    if (!endpoint) return makeError("option 'webhooks.endpoint': " + endpoint.error());
    for (const auto& other : webhooks.endpoints)
      if (other.name == endpoint->name)
        return makeError(fmt::format("option 'webhooks.endpoint': name '{}' is used twice", other.name));
    if (endpoint->secret.empty() && webhooks.secret.empty())
      return makeError(fmt::format("option 'webhooks.secret': required (endpoint '{}' has no secret=)", endpoint->name));
    webhooks.endpoints.push_back(std::move(*endpoint));
  }
  auto listen = metricsListen(vm, "webhooks.metrics_listen");
  if (!listen) return makeError(listen.error());
  webhooks.metrics_listen = *listen;
  return {};
}

}  // namespace

Result<std::shared_ptr<const Config>> buildConfig(const po::variables_map& vm, std::string source_file) {
  auto config = std::make_shared<Config>();
  config->source_file = std::move(source_file);

  config->database.url = stringOr(vm, "database.url");
  config->database.pool_size = vm["database.pool_size"].as<int>();
  config->database.connect_timeout_seconds = vm["database.connect_timeout"].as<int>();
  if (auto s = requirePositive("database.pool_size", config->database.pool_size); !s) return makeError(s.error());
  if (auto s = requirePositive("database.connect_timeout", config->database.connect_timeout_seconds); !s)
    return makeError(s.error());

  config->tracking.base_url = stringOr(vm, "tracking.base_url");
  while (!config->tracking.base_url.empty() && config->tracking.base_url.back() == '/')
    config->tracking.base_url.pop_back();
  if (auto s = checkBaseUrl(config->tracking.base_url); !s) return makeError(s.error());
  config->tracking.key_file = stringOr(vm, "tracking.key_file");
  auto mode = parseTrackMode(vm["tracking.default_mode"].as<std::string>());
  if (!mode) return makeError("option 'tracking.default_mode': " + mode.error());
  config->tracking.default_mode = *mode;
  config->tracking.rewrite_text_links = vm["tracking.rewrite_text_links"].as<bool>();

  config->milter.socket = vm["milter.socket"].as<std::string>();
  for (auto [key, target] : {std::pair{"milter.metrics_listen", &config->milter.metrics_listen},
                              std::pair{"policyd.metrics_listen", &config->policyd.metrics_listen},
                              std::pair{"trackd.metrics_listen", &config->trackd.metrics_listen},
                              std::pair{"pipe.metrics_listen", &config->pipe.metrics_listen}}) {
    auto listen = metricsListen(vm, key);
    if (!listen) return makeError(listen.error());
    *target = *listen;
  }
  config->milter.message_id_domain = vm["milter.message_id_domain"].as<std::string>();
  config->milter.timeout_seconds = vm["milter.timeout"].as<int>();
  config->milter.reinject_command = vm["milter.reinject_command"].as<std::string>();
  config->milter.spool_dir = vm["milter.spool_dir"].as<std::string>();
  config->milter.spool_memory_limit_kb = vm["milter.spool_memory_limit_kb"].as<int>();
  if (auto s = requirePositive("milter.spool_memory_limit_kb", config->milter.spool_memory_limit_kb); !s) return makeError(s.error());
  if (auto s = requirePositive("milter.timeout", config->milter.timeout_seconds); !s) return makeError(s.error());

  if (auto s = buildPolicyd(vm, config->policyd); !s) return makeError(s.error());
  config->trackd.listen = vm["trackd.listen"].as<std::string>();
  config->trackd.spool_dir = vm["trackd.spool_dir"].as<std::string>();
  config->trackd.unsubscribe_scope = vm["trackd.unsubscribe_scope"].as<std::string>();
  const auto& scope = config->trackd.unsubscribe_scope;
  if (scope != "sender" && scope != "domain" && scope != "global")
    return makeError(fmt::format("option 'trackd.unsubscribe_scope': '{}' is not one of sender, domain, global", scope));
  config->trackd.template_dir = vm["trackd.template_dir"].as<std::string>();
  config->trackd.threads = vm["trackd.threads"].as<int>();
  if (config->trackd.threads < 0) return makeError("option 'trackd.threads': must not be negative");
  config->trackd.timeout_seconds = vm["trackd.timeout"].as<int>();
  if (auto s = requirePositive("trackd.timeout", config->trackd.timeout_seconds); !s) return makeError(s.error());
  config->trackd.scanner_click_seconds = vm["trackd.scanner_click_seconds"].as<int>();
  config->trackd.real_ip_header = vm["trackd.real_ip_header"].as<std::string>();
  if (auto s = buildWebhooks(vm, config->webhooks); !s) return makeError(s.error());
  if (auto s = buildPipe(vm, config->pipe); !s) return makeError(s.error());
  config->dkim.key_table = vm["dkim.key_table"].as<std::string>();
  config->dkim.signing_table = vm["dkim.signing_table"].as<std::string>();
  config->dkim.fallback_key = vm["dkim.fallback_key"].as<std::string>();
  config->dkim.allow_unsigned = vm["dkim.allow_unsigned"].as<bool>();
  config->milter.template_dir = vm["milter.template_dir"].as<std::string>();
  config->milter.bounce_domains = vm["milter.bounce_domains"].as<std::string>();

  const auto level = vm["log.level"].as<std::string>();
  if (!log::parseLevel(level, config->log.level))
    return makeError(fmt::format("option 'log.level': '{}' is not one of debug, info, warning, error", level));
  config->log.to_stderr = vm["log.stderr"].as<bool>();
  config->log.to_syslog = vm["log.syslog"].as<bool>();
  return std::shared_ptr<const Config>(std::move(config));
}

ConfigParser::ConfigParser(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

std::string ConfigParser::helpText() const {
  po::options_description generic("Generic options");
  generic.add_options()("help,h", "show this help and exit")("version", "show the version and exit")(
      "config,c", po::value<std::string>(), "configuration file (default /etc/waybill/waybill.conf)");
  std::ostringstream out;
  out << "Usage: " << program_ << " [options]\n" << summary_ << "\n\n" << generic;
  if (!program_options_.options().empty()) out << "\n" << program_options_;
  out << "\n" << sharedOptions();
  return out.str();
}

Result<ParsedCommandLine> ConfigParser::parse(int argc, const char* const argv[]) const {
  po::options_description all;
  all.add_options()("help,h", "")("version", "")("config,c", po::value<std::string>(), "");
  all.add(program_options_).add(sharedOptions());

  ParsedCommandLine parsed;
  po::variables_map& vm = parsed.program_values;
  try {
    // Command line first: Program_options keeps the first value stored, so it wins over the file.
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional_).run(), vm);
    if (vm.count("help")) {
      fmt::print("{}", helpText());
      parsed.exit_now = true;
      return parsed;
    }
    if (vm.count("version")) {
      fmt::print("{} {}\n", program_, WAYBILL_VERSION);
      parsed.exit_now = true;
      return parsed;
    }
    const bool explicit_file = vm.count("config") > 0;
    const std::string file = explicit_file ? vm["config"].as<std::string>() : kDefaultConfigFile;
    std::string source;
    std::ifstream in(file);
    if (in) {
      po::store(po::parse_config_file(in, sharedOptions(), /*allow_unregistered=*/false), vm);
      source = file;
    } else if (explicit_file) {
      return makeError(fmt::format("option 'config': cannot read '{}': {}", file, std::strerror(errno)));
    }
    po::notify(vm);
    auto config = buildConfig(vm, source);
    if (!config) return makeError(config.error());
    parsed.config = std::move(*config);
    return parsed;
  } catch (const po::error& e) {
    return makeError(fmt::format("configuration: {}", e.what()));
  }
}

Result<std::shared_ptr<const Config>> ConfigParser::parseText(const std::string& ini_text) const {
  po::variables_map vm;
  try {
    std::istringstream in(ini_text);
    po::store(po::parse_config_file(in, sharedOptions(), false), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return makeError(fmt::format("configuration: {}", e.what()));
  }
  return buildConfig(vm, "");
}

}  // namespace waybill
