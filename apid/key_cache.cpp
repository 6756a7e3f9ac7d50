#include "key_cache.h"

#include <algorithm>

namespace waybill::apid {

std::optional<store::ApiKeyRow> KeyCache::find(const std::string& digest, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(digest);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.key;
}

void KeyCache::keep(const std::string& digest, const store::ApiKeyRow& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= capacity_ && !entries_.contains(digest)) {
    std::erase_if(entries_, [now](const auto& entry) { return entry.second.expires <= now; });
    if (entries_.size() >= capacity_) {
      auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
        return a.second.expires < b.second.expires;
      });
      entries_.erase(oldest);
    }
  }
  entries_[digest] = {key, now + ttl_};
}

}  // namespace waybill::apid
