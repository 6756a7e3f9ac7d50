// MachineClassifier: tells opens and clicks made by machines (mail privacy proxies, image
// prefetchers, link scanners) from those of people, from what one request shows: client IP, user
// agent, and for clicks, other clicks of the same recipient just before. Events are always stored;
// the reason goes into events.machine_reason so reports can count humans only. (Clicks arriving
// seconds after the message was accepted are flagged later, by the database writer, which knows
// when the message was sent.)
//
//   MachineClassifier classifier;
//   std::string reason = classifier.classifyOpen(ip, user_agent);             // "" = human
//   reason = classifier.classifyClick(recipient, url, ip, user_agent, now_us);
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "util/uuid.h"

namespace waybill::track {

class MachineClassifier {
 public:
  std::string classifyOpen(std::string_view ip, std::string_view user_agent) const;
  // Not const: remembers recent clicks per recipient to spot several links clicked at once.
  std::string classifyClick(const Uuid& recipient, std::string_view url, std::string_view ip,
                            std::string_view user_agent, std::int64_t now_us);

 private:
  struct LastClick {
    std::int64_t at_us = 0;
    std::size_t url_hash = 0;
  };
  // Sharded by recipient so worker threads rarely wait on one another; each shard is pruned
  // when it grows, which bounds memory whatever the traffic.
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, LastClick> last_click;  // key: recipient uuid bytes
  };
  bool isClickBurst(const Uuid& recipient, std::string_view url, std::int64_t now_us);

  std::array<Shard, 16> shards_;
};

// The reason a user agent belongs to a known proxy or scanner, or "" (exposed for tests).
std::string_view knownMachineAgent(std::string_view user_agent, bool click);

}  // namespace waybill::track
