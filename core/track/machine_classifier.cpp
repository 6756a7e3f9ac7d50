#include "track/machine_classifier.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <functional>

#include "text/ascii_text.h"

namespace waybill::track {
namespace {

constexpr std::int64_t kBurstWindowUs = 1'000'000;  // "several links in the same second"
constexpr std::size_t kShardLimit = 8192;            // remembered recipients per shard

struct AgentPattern {
  std::string_view needle;  // lower case, matched anywhere in the lower-cased user agent
  std::string_view reason;
  bool opens;  // also applies to opens (image proxies only fetch images)
};

// Public fingerprints of image proxies and link scanners. Apple Mail Privacy Protection sends the
// bare "Mozilla/5.0" (matched exactly below) from Apple's address space.
constexpr AgentPattern kAgents[] = {
    {"googleimageproxy", "google_image_proxy", true},
    {"ggpht.com", "google_image_proxy", true},
    {"yahoomailproxy", "yahoo_image_proxy", true},
    {"outlook-ios-linkpreview", "outlook_prefetch", true},
    {"ms-office", "office_prefetch", true},
    {"microsoft office existence discovery", "office_prefetch", true},
    {"barracuda", "link_scanner", true},
    {"mimecast", "link_scanner", true},
    {"proofpoint", "link_scanner", true},
    {"symantec", "link_scanner", true},
    {"trendmicro", "link_scanner", true},
    {"safelinks", "link_scanner", true},
    {"headlesschrome", "headless_browser", true},
    {"phantomjs", "headless_browser", true},
    {"python-requests", "http_library", true},
    {"python-urllib", "http_library", true},
    {"go-http-client", "http_library", true},
    {"curl/", "http_library", true},
    {"wget/", "http_library", true},
    {"libwww-perl", "http_library", true},
    {"java/", "http_library", true},
    {"okhttp", "http_library", true},
    {"facebookexternalhit", "link_preview", true},
    {"slackbot", "link_preview", true},
    {"whatsapp", "link_preview", true},
    {"bot", "bot", true},
    {"spider", "bot", true},
    {"crawler", "bot", true},
};

// Apple owns 17.0.0.0/8; Mail Privacy Protection fetches come from there or from its relay
// partners with the bare user agent.
bool isAppleAddress(std::string_view ip) {
  in_addr address{};
  const std::string text(ip);
  if (inet_pton(AF_INET, text.c_str(), &address) != 1) return false;
  return (ntohl(address.s_addr) >> 24) == 17;
}

}  // namespace

std::string_view knownMachineAgent(std::string_view user_agent, bool click) {
  if (user_agent.empty()) return "no_user_agent";
  if (user_agent == "Mozilla/5.0") return "apple_mpp";
  const std::string lower = toLower(user_agent);
  for (const auto& pattern : kAgents)
    if ((click || pattern.opens) && lower.find(pattern.needle) != std::string::npos) return pattern.reason;
  return {};
}

std::string MachineClassifier::classifyOpen(std::string_view ip, std::string_view user_agent) const {
  if (isAppleAddress(ip)) return "apple_mpp";
  return std::string(knownMachineAgent(user_agent, false));
}

std::string MachineClassifier::classifyClick(const Uuid& recipient, std::string_view url, std::string_view ip,
                                             std::string_view user_agent, std::int64_t now_us) {
  const bool burst = isClickBurst(recipient, url, now_us);  // remember every click, flagged or not
  if (isAppleAddress(ip)) return "apple_mpp";
  if (auto reason = knownMachineAgent(user_agent, true); !reason.empty()) return std::string(reason);
  if (burst) return "click_burst";
  return {};
}

bool MachineClassifier::isClickBurst(const Uuid& recipient, std::string_view url, std::int64_t now_us) {
  const std::string key(reinterpret_cast<const char*>(recipient.bytes.data()), recipient.bytes.size());
  const std::size_t url_hash = std::hash<std::string_view>{}(url);
  Shard& shard = shards_[recipient.bytes[15] % shards_.size()];
  std::lock_guard lock(shard.mutex);
  if (shard.last_click.size() >= kShardLimit) {
    std::erase_if(shard.last_click, [&](const auto& entry) { return now_us - entry.second.at_us > kBurstWindowUs; });
    if (shard.last_click.size() >= kShardLimit) shard.last_click.clear();  // a flood: forget, stay bounded
  }
  auto [it, inserted] = shard.last_click.try_emplace(key, LastClick{now_us, url_hash});
  if (inserted) return false;
  const bool burst = it->second.url_hash != url_hash && now_us - it->second.at_us <= kBurstWindowUs;
  it->second = LastClick{now_us, url_hash};
  return burst;
}

}  // namespace waybill::track
