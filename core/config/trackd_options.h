// The [trackd] section of waybill-trackd: its command-line/file options and the checks that turn
// them into a TrackdConfig (one line naming the option for a bad value).
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace waybill {

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
  // Abuse limits (the tracking host faces the internet).
  int max_connections = 8192;  // more get 503 and are closed; the unit's LimitNOFILE is above it
  int rate_limit = 50;         // requests per second per client address (IPv6 /64); 0: off
  int rate_burst = 200;        // a client's bucket: requests at once before rate_limit applies
  std::uint64_t spool_max_bytes = 512ull << 20;  // past it opens/clicks are dropped, unsubscribes kept
  std::int64_t click_max_age_seconds = 0;        // 0: click links never expire
  std::vector<std::string> click_allowed_hosts;  // redirect only to these (and subdomains); empty: any
};

void addTrackdOptions(boost::program_options::options_description& desc, const TrackdConfig& defaults);
Status buildTrackd(const boost::program_options::variables_map& vm, TrackdConfig& trackd);

// "512M", "64K", "2G" (binary multiples) or plain bytes.
Result<std::uint64_t> parseByteSize(std::string_view text);
// "90d", "12h", "30m", "45s" or plain seconds; "0" is zero.
Result<std::int64_t> parseDurationSeconds(std::string_view text);

}  // namespace waybill
