#include "track/client_rate_limiter.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <functional>

namespace waybill::track {

ClientRateLimiter::ClientRateLimiter(int per_second, int burst, std::size_t max_clients)
    : per_second_(std::max(0, per_second)),
      burst_(std::max(1, burst)),
      max_per_shard_(std::max<std::size_t>(1, max_clients / kShards)) {}

std::string ClientRateLimiter::clientKey(std::string_view client_ip) {
  if (client_ip.empty() || client_ip.size() >= INET6_ADDRSTRLEN) return {};
  const std::string text(client_ip);
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127 ? std::string() : text;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) != 1) return {};
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return {};
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    char mapped[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, v6.s6_addr + 12, mapped, sizeof mapped);
    return clientKey(mapped);
  }
  return std::string(reinterpret_cast<const char*>(v6.s6_addr), 8);  // the /64, as bytes
}

void ClientRateLimiter::makeRoom(Shard& shard, std::int64_t now_ms) const {
  // A bucket that has refilled completely says nothing a new bucket would not.
  const double refill_ms = burst_ / per_second_ * 1000.0;
  std::erase_if(shard.buckets, [&](const auto& entry) {
    return static_cast<double>(now_ms - entry.second.updated_ms) >= refill_ms;
  });
  if (shard.buckets.size() >= max_per_shard_) shard.buckets.clear();
}

bool ClientRateLimiter::allow(std::string_view client_ip, std::int64_t now_ms) {
  if (!enabled()) return true;
  std::string key = clientKey(client_ip);
  if (key.empty()) return true;
  Shard& shard = shards_[std::hash<std::string>{}(key) % kShards];
  std::lock_guard lock(shard.mutex);
  auto found = shard.buckets.find(key);
  if (found == shard.buckets.end()) {
    if (shard.buckets.size() >= max_per_shard_) makeRoom(shard, now_ms);
    found = shard.buckets.emplace(std::move(key), Bucket{burst_, now_ms}).first;
  }
  Bucket& bucket = found->second;
  const double elapsed_s = static_cast<double>(std::max<std::int64_t>(0, now_ms - bucket.updated_ms)) / 1000.0;
  bucket.tokens = std::min(burst_, bucket.tokens + elapsed_s * per_second_);
  bucket.updated_ms = std::max(bucket.updated_ms, now_ms);
  if (bucket.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  return true;
}

std::size_t ClientRateLimiter::trackedClients() {
  std::size_t total = 0;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.buckets.size();
  }
  return total;
}

}  // namespace waybill::track
