// The [milter] section of waybill-milter: its socket, per-recipient copies, spooling, templates,
// VERP bounce domains and which submitters count as outbound.
#pragma once

#include <boost/program_options.hpp>
#include <string>

#include "util/result.h"

namespace waybill {

struct MilterConfig {
  std::string socket = "unix:/var/spool/postfix/waybill/milter.sock";  // libmilter syntax; inside Postfix's chroot
  std::string metrics_listen;  // Prometheus /metrics on loopback HOST:PORT; empty: off
  std::string message_id_domain;  // empty: the From domain, else the host name
  int timeout_seconds = 300;
  // Per-recipient copies (see milter/stages/track_links.h) go back into Postfix through this
  // command, with "-f SENDER -- RECIPIENT" appended; split on blanks, no shell.
  std::string reinject_command = "/usr/sbin/sendmail -i";
  // Or, when set (127.0.0.1:PORT), over persistent SMTP connections to the Postfix listener
  // reserved for copies (waybill postfix-setup adds it); reinject_command is then unused.
  std::string copy_listener;
  int copy_connections = 8;  // at most this many open to copy_listener, shared by all sessions
  std::string spool_dir = "/var/tmp";        // bodies past spool_memory_limit go to a file here
  int spool_memory_limit_kb = 1024;
  std::string template_dir = "/etc/waybill/templates";  // NAME.html.mustache / NAME.txt.mustache
  std::string bounce_domains;  // "SENDERDOMAIN=BOUNCEDOMAIN, ..."; others use pipe.bounce_domain
  // Submitters whose mail is outbound (besides SASL-authenticated clients and local submission):
  // mail from anyone else passes the milter untouched. CIDR list, as OpenDKIM's InternalHosts.
  std::string trusted_networks = "127.0.0.0/8, ::1/128";
};

void addMilterOptions(boost::program_options::options_description& desc);
Status buildMilter(const boost::program_options::variables_map& vm, MilterConfig& milter);

}  // namespace waybill
