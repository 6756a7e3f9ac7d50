#include "config/tracking_options.h"

#include <fmt/format.h>

#include "config/option_checks.h"
#include "text/ascii_text.h"
#include "text/name_table.h"

namespace waybill {
namespace {

constexpr NameTable<TrackMode, 4> kTrackModeNames{
    {{{TrackMode::All, "all"}, {TrackMode::Opens, "opens"}, {TrackMode::Clicks, "clicks"}, {TrackMode::None, "none"}}}, "all"};

Status checkBaseUrl(const std::string& url) {
  if (url.empty()) return {};
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    return makeError(fmt::format("option 'tracking.base_url': '{}' must start with http:// or https://", url));
  // The documentation's placeholder left in place would send every recipient's clicks to a
  // domain nobody runs (RFC 2606 reserves example.com/.net/.org).
  const std::size_t host_at = url.find("//") + 2;
  const std::string host = toLower(url.substr(host_at, url.find_first_of("/:?#", host_at) - host_at));
  for (const char* reserved : {"example.com", "example.net", "example.org"}) {
    const std::string_view name(reserved);
    if (host == name || (host.size() > name.size() && host.ends_with(name) && host[host.size() - name.size() - 1] == '.'))
      return makeError(fmt::format("option 'tracking.base_url': '{}' is the documentation's placeholder ({} is "
                                   "reserved): set the public URL of waybill-trackd", url, reserved));
  }
  return {};
}

}  // namespace

Result<TrackMode> parseTrackMode(std::string_view text) { return kTrackModeNames.parse(text); }
const char* trackModeName(TrackMode mode) { return kTrackModeNames.nameOf(mode); }

void addTrackingOptions(po::options_description& desc) {
  const TrackingConfig d;
  desc.add_options()
      ("tracking.base_url", po::value<std::string>(), "public base URL of waybill-trackd, e.g. https://t.example.com")
      ("tracking.key_file", po::value<std::string>(), "token signing keys: lines 'KEYID SECRET_HEX', first one signs")
      ("tracking.default_mode", po::value<std::string>()->default_value("all"), "all | opens | clicks | none")
      ("tracking.rewrite_text_links", po::value<bool>()->default_value(d.rewrite_text_links), "rewrite bare URLs in text/plain");
}

Status buildTracking(const po::variables_map& vm, TrackingConfig& tracking) {
  tracking.base_url = stringOr(vm, "tracking.base_url");
  while (!tracking.base_url.empty() && tracking.base_url.back() == '/') tracking.base_url.pop_back();
  if (auto s = checkBaseUrl(tracking.base_url); !s) return s;
  tracking.key_file = stringOr(vm, "tracking.key_file");
  auto mode = parseTrackMode(vm["tracking.default_mode"].as<std::string>());
  if (!mode) return makeError("option 'tracking.default_mode': " + mode.error());
  tracking.default_mode = *mode;
  tracking.rewrite_text_links = vm["tracking.rewrite_text_links"].as<bool>();
  return {};
}

}  // namespace waybill
