// Config: the immutable settings snapshot shared by every Waybill program, read from one INI
// file (/etc/waybill/waybill.conf, Boost.Program_options syntax, one [section] per component)
// and overridden by `--section.key VALUE` on the command line.
//
//   ConfigParser parser("waybill-milter", "Postfix milter: tracking, headers, DKIM.");
//   auto parsed = parser.parse(argc, argv);
//   if (!parsed) { fmt::print(stderr, "{}\n", parsed.error()); return 78; }
//   if (parsed->exit_now) return parsed->exit_code;       // --help / --version
//   const Config& config = *parsed->config;
#pragma once

#include <boost/program_options.hpp>
#include <memory>
#include <string>
#include <vector>

#include "log/log.h"
#include "policy/quota_rule.h"
#include "policy/suppression.h"
#include "util/result.h"
#include "webhook/webhook_endpoint.h"

namespace waybill {

inline constexpr const char* kDefaultConfigFile = "/etc/waybill/waybill.conf";

// What the milter does to links and pixels unless a message says otherwise (X-Waybill-Track).
enum class TrackMode { All, Opens, Clicks, None };
Result<TrackMode> parseTrackMode(std::string_view text);
const char* trackModeName(TrackMode mode);

struct DatabaseConfig {
  std::string url;  // postgresql://... or a libpq conninfo
  int pool_size = 4;
  int connect_timeout_seconds = 5;
};

struct TrackingConfig {
  std::string base_url;  // public https://host[/prefix] of waybill-trackd
  std::string key_file;  // token signing keys, see token/key_ring.h
  TrackMode default_mode = TrackMode::All;
  bool rewrite_text_links = true;
};

struct MilterConfig {
  std::string socket = "unix:/run/waybill/milter.sock";  // libmilter syntax
  std::string metrics_listen;  // Prometheus /metrics on loopback HOST:PORT; empty: off
  std::string message_id_domain;  // empty: the From domain, else the host name
  int timeout_seconds = 300;
  // Per-recipient copies (see milter/stages/track_links.h) go back into Postfix through this
  // command, with "-f SENDER -- RECIPIENT" appended; split on blanks, no shell.
  std::string reinject_command = "/usr/sbin/sendmail -i";
  std::string spool_dir = "/var/tmp";        // bodies past spool_memory_limit go to a file here
  int spool_memory_limit_kb = 1024;
  std::string template_dir = "/etc/waybill/templates";  // NAME.html.mustache / NAME.txt.mustache
  std::string bounce_domains;  // "SENDERDOMAIN=BOUNCEDOMAIN, ..."; others use pipe.bounce_domain
};

struct PolicydConfig {
  std::string listen = "unix:/run/waybill/policyd.sock";
  std::string metrics_listen;  // Prometheus /metrics on loopback HOST:PORT; empty: off
  int max_connections = 1000;       // Postfix keeps one per smtpd process
  int idle_timeout_seconds = 300;   // as Postfix's smtpd_policy_service_max_idle
  std::vector<policy::QuotaRule> quotas;
  policy::ScopeDefaults default_scopes;
  std::string postfix_config_dir = "/etc/postfix";
  std::string hold_helper = "sudo -n /usr/libexec/waybill/waybill-hold-helper";  // releases/deletes held mail
  int schedule_interval_seconds = 1;
};

struct TrackdConfig {
  std::string listen = "127.0.0.1:8025";  // comma-separated list of HOST:PORT (or [v6]:PORT)
  std::string metrics_listen;  // Prometheus /metrics on loopback HOST:PORT; empty: off
  std::string spool_dir = "/var/spool/waybill/trackd";  // events wait here for PostgreSQL
  std::string unsubscribe_scope = "sender";  // sender | domain | global
  std::string template_dir;  // operator's unsubscribe.html.mustache; empty: built-in page
  int threads = 0;           // 0: one per CPU
  int timeout_seconds = 15;  // slow or idle clients are dropped after this
  int scanner_click_seconds = 10;  // a click this soon after the message was accepted is a scanner
  std::string real_ip_header;  // e.g. X-Forwarded-For, only behind a trusted proxy
};

// waybill-webhookd: where events go (see webhook/webhook_endpoint.h) and how hard to try.
struct WebhooksConfig {
  std::vector<webhook::WebhookEndpoint> endpoints;
  std::string secret;                 // HMAC key of endpoints without their own secret=
  int batch_size = 1;                 // events per POST
  int timeout_seconds = 10;           // a whole request, connect included
  int connect_timeout_seconds = 5;
  int retry_initial_ms = 1000;        // first retry delay; doubles each time
  int retry_max_seconds = 600;        // cap of the delay
  int retry_period_seconds = 86400;   // then the events are recorded as failed
  std::string metrics_listen;         // Prometheus /metrics on loopback HOST:PORT; empty: off
};

// waybill-pipe: the domains Postfix hands it (see postfix-conf/) and when soft bounces suppress.
struct PipeConfig {
  std::string bounce_domain;                 // VERP return paths and the unsubscribe mailto live here
  std::string bounce_local_part = "bounce";  // LOCALPART of LOCALPART+TOKEN@bounce_domain
  std::vector<std::string> inbound_domains;  // other mail for these is stored in inbound_messages
  int soft_bounce_limit = 5;                 // this many soft bounces of one address ...
  int soft_bounce_days = 7;                  // ... within this many days suppress it
  // waybill-piped --serve (pipe-transport/README.md): the resident store behind the thin waybill-pipe.
  std::string socket = "unix:/run/waybill/pipe.sock";  // empty: waybill-pipe always runs one-shot
  int socket_mode = 0660;           // only the waybill user/group (Postfix's pipe user=) may connect
  int pool_size = 4;                // PostgreSQL connections kept open
  int max_connections = 32;         // messages in flight; more are told to run one-shot
  int max_message_mb = 64;          // larger input is cut here (one-shot and daemon alike)
  int timeout_seconds = 60;         // client silence, and the client's wait for the answer
  std::string metrics_listen;       // Prometheus /metrics on loopback HOST:PORT; empty: off
};

struct DkimConfig {
  std::string key_table;      // OpenDKIM KeyTable format
  std::string signing_table;  // OpenDKIM SigningTable format
  std::string fallback_key;   // KeyTable name for senders no SigningTable rule matches; empty: none
  bool allow_unsigned = false;  // a key that cannot be used: send unsigned instead of tempfail
};

struct LogConfig {
  log::Level level = log::Level::Info;
  bool to_stderr = true;
  bool to_syslog = true;
};

struct Config {
  std::string source_file;  // the file read, empty when none
  DatabaseConfig database;
  TrackingConfig tracking;
  MilterConfig milter;
  PolicydConfig policyd;
  TrackdConfig trackd;
  WebhooksConfig webhooks;
  DkimConfig dkim;
  PipeConfig pipe;
  LogConfig log;
};

struct ParsedCommandLine {
  std::shared_ptr<const Config> config;
  boost::program_options::variables_map program_values;  // the program's own options
  bool exit_now = false;  // --help or --version was answered
  int exit_code = 0;
};

// Parses the shared options plus the options a program adds with programOptions().
class ConfigParser {
 public:
  ConfigParser(std::string program, std::string summary);

  boost::program_options::options_description& programOptions() { return program_options_; }
  boost::program_options::positional_options_description& positional() { return positional_; }

  // Errors come back as one line naming the option and the problem.
  Result<ParsedCommandLine> parse(int argc, const char* const argv[]) const;
  // For tests and tools: the same, from a file's text and extra arguments.
  Result<std::shared_ptr<const Config>> parseText(const std::string& ini_text) const;

  std::string helpText() const;

 private:
  std::string program_;
  std::string summary_;
  boost::program_options::options_description program_options_{"Program options"};
  boost::program_options::positional_options_description positional_;
};

// Registers every [section].key that the file may contain.
boost::program_options::options_description sharedOptions();
// Builds and validates the typed snapshot from parsed values.
Result<std::shared_ptr<const Config>> buildConfig(const boost::program_options::variables_map& vm,
                                                  std::string source_file);

}  // namespace waybill
