#include "config/trackd_options.h"

#include <fmt/format.h>

#include <charconv>
#include <limits>

#include "config/option_checks.h"
#include "track/click_policy.h"

namespace waybill {
namespace {

// Digits, then at most one suffix character from `units` scaling by the matching factor.
template <typename Number>
Result<Number> scaled(std::string_view text, std::string_view units, const std::uint64_t* factors, const char* what) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data()) return makeError(fmt::format("'{}' is not {}", text, what));
  std::string_view suffix(end, static_cast<std::size_t>(text.data() + text.size() - end));
  std::uint64_t factor = 1;
  if (!suffix.empty()) {
    const std::size_t unit = suffix.size() == 1 ? units.find(suffix[0]) : std::string_view::npos;
    if (unit == std::string_view::npos) return makeError(fmt::format("'{}' is not {}", text, what));
    factor = factors[unit];
  }
  if (value > static_cast<std::uint64_t>(std::numeric_limits<Number>::max()) / factor)
    return makeError(fmt::format("'{}' is too large", text));
  return static_cast<Number>(value * factor);
}

Status positive(const char* key, int value, int minimum) {
  if (value >= minimum) return {};
  return makeError(fmt::format("option '{}': must be at least {}, got {}", key, minimum, value));
}

Status buildClickPolicy(const po::variables_map& vm, TrackdConfig& trackd) {
  auto age = parseDurationSeconds(vm["trackd.click_max_age"].as<std::string>());
  if (!age) return makeError("option 'trackd.click_max_age': " + age.error());
  trackd.click_max_age_seconds = *age;
  trackd.click_allowed_hosts.clear();
  const std::string list = vm["trackd.click_allowed_hosts"].as<std::string>();
  for (std::size_t pos = 0; pos < list.size();) {
    const std::size_t end = std::min(list.find_first_of(", \t", pos), list.size());
    const std::string_view entry = std::string_view(list).substr(pos, end - pos);
    pos = end + 1;
    if (entry.empty()) continue;
    std::string host = track::normalizeAllowedHost(entry);
    if (host.empty()) return makeError(fmt::format("option 'trackd.click_allowed_hosts': '{}' is not a host name", entry));
    trackd.click_allowed_hosts.push_back(std::move(host));
  }
  return {};
}

}  // namespace

Result<std::uint64_t> parseByteSize(std::string_view text) {
  static constexpr std::uint64_t kFactors[] = {1ull << 10, 1ull << 20, 1ull << 30, 1ull << 10, 1ull << 20, 1ull << 30};
  return scaled<std::uint64_t>(text, "KMGkmg", kFactors, "a size such as 512M, 64K or 2G");
}

Result<std::int64_t> parseDurationSeconds(std::string_view text) {
  static constexpr std::uint64_t kFactors[] = {1, 60, 3600, 86400};
  return scaled<std::int64_t>(text, "smhd", kFactors, "a duration such as 90d, 12h, 30m or 45s");
}

void addTrackdOptions(po::options_description& desc, const TrackdConfig& d) {
  desc.add_options()
      ("trackd.listen", po::value<std::string>()->default_value(d.listen), "HOST:PORT[,HOST:PORT...] ([::1]:PORT for IPv6)")
      ("trackd.spool_dir", po::value<std::string>()->default_value(d.spool_dir), "local event spool (survives database outages and crashes)")
      ("trackd.unsubscribe_scope", po::value<std::string>()->default_value(d.unsubscribe_scope), "sender | domain | global")
      ("trackd.template_dir", po::value<std::string>()->default_value(""), "directory with unsubscribe.html.mustache (default: built-in page)")
      ("trackd.threads", po::value<int>()->default_value(d.threads), "HTTP worker threads (0: one per CPU)")
      ("trackd.timeout", po::value<int>()->default_value(d.timeout_seconds), "seconds before a slow or idle client is dropped")
      ("trackd.scanner_click_seconds", po::value<int>()->default_value(d.scanner_click_seconds), "clicks sooner than this after acceptance are flagged as machine")
      ("trackd.real_ip_header", po::value<std::string>()->default_value(""), "header carrying the client IP (only behind a trusted proxy)")
      ("trackd.max_connections", po::value<int>()->default_value(d.max_connections),
       "open client connections at most; more are answered 503 and closed")
      ("trackd.rate_limit", po::value<int>()->default_value(d.rate_limit),
       "requests per second per client address (IPv6: per /64), beyond which 429; 0: off")
      ("trackd.rate_burst", po::value<int>()->default_value(d.rate_burst),
       "requests a client may send at once before trackd.rate_limit applies")
      ("trackd.spool_max_size", po::value<std::string>()->default_value("512M"),
       "spool size beyond which opens and clicks are dropped (counted); unsubscribes are always kept")
      ("trackd.click_max_age", po::value<std::string>()->default_value("0"),
       "a click link older than this (e.g. 365d) shows a page instead of redirecting; 0: never expires")
      ("trackd.click_allowed_hosts", po::value<std::string>()->default_value(""),
       "comma-separated hosts (each with its subdomains) clicks may redirect to; empty: any");
  addMetricsListenOption(desc, "trackd");
}

Status buildTrackd(const po::variables_map& vm, TrackdConfig& trackd) {
  trackd.listen = vm["trackd.listen"].as<std::string>();
  if (auto s = readMetricsListen(vm, "trackd.metrics_listen", trackd.metrics_listen); !s) return s;
  trackd.spool_dir = vm["trackd.spool_dir"].as<std::string>();
  trackd.unsubscribe_scope = vm["trackd.unsubscribe_scope"].as<std::string>();
  const auto& scope = trackd.unsubscribe_scope;
  if (scope != "sender" && scope != "domain" && scope != "global")
    return makeError(fmt::format("option 'trackd.unsubscribe_scope': '{}' is not one of sender, domain, global", scope));
  trackd.template_dir = vm["trackd.template_dir"].as<std::string>();
  trackd.threads = vm["trackd.threads"].as<int>();
  trackd.timeout_seconds = vm["trackd.timeout"].as<int>();
  trackd.scanner_click_seconds = vm["trackd.scanner_click_seconds"].as<int>();
  trackd.real_ip_header = vm["trackd.real_ip_header"].as<std::string>();
  trackd.max_connections = vm["trackd.max_connections"].as<int>();
  trackd.rate_limit = vm["trackd.rate_limit"].as<int>();
  trackd.rate_burst = vm["trackd.rate_burst"].as<int>();
  for (auto [key, value, minimum] : {std::tuple{"trackd.threads", trackd.threads, 0},
                                     std::tuple{"trackd.timeout", trackd.timeout_seconds, 1},
                                     std::tuple{"trackd.max_connections", trackd.max_connections, 1},
                                     std::tuple{"trackd.rate_limit", trackd.rate_limit, 0},
                                     std::tuple{"trackd.rate_burst", trackd.rate_burst, 1}})
    if (auto s = positive(key, value, minimum); !s) return s;
  auto spool_max = parseByteSize(vm["trackd.spool_max_size"].as<std::string>());
  if (!spool_max) return makeError("option 'trackd.spool_max_size': " + spool_max.error());
  if (*spool_max < 4096) return makeError("option 'trackd.spool_max_size': at least 4K");
  trackd.spool_max_bytes = *spool_max;
  return buildClickPolicy(vm, trackd);
}

}  // namespace waybill
