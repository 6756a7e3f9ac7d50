// The [tracking] section: the public base URL and signing keys of tracking links, and what the
// milter tracks unless a message says otherwise.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <string_view>

#include "util/result.h"

namespace waybill {

// What the milter does to links and pixels unless a message says otherwise (X-Waybill-Track).
enum class TrackMode { All, Opens, Clicks, None };
Result<TrackMode> parseTrackMode(std::string_view text);
const char* trackModeName(TrackMode mode);

struct TrackingConfig {
  std::string base_url;  // public https://host[/prefix] of waybill-trackd
  std::string key_file;  // token signing keys, see token/key_ring.h
  TrackMode default_mode = TrackMode::All;
  bool rewrite_text_links = true;
};

void addTrackingOptions(boost::program_options::options_description& desc);
Status buildTracking(const boost::program_options::variables_map& vm, TrackingConfig& tracking);

}  // namespace waybill
