// ClientRateLimiter: a token bucket per client address for waybill-trackd (trackd.rate_limit
// requests per second, trackd.rate_burst at once). IPv6 clients are counted per /64, the least
// one subscriber line gets. Loopback and unknown addresses (a local proxy that does not say who
// its client is, a unix socket) are never limited: limiting them would limit every reader at once.
//
//   ClientRateLimiter limiter(50, 200);
//   if (!limiter.allow(client_ip, steady_ms)) answer429();
//
// Thread safe (sharded locks). Memory is bounded: a shard that fills forgets its idle clients,
// and if all are busy, starts over (every client gets a fresh burst, never an unbounded table).
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace waybill::track {

class ClientRateLimiter {
 public:
  // per_second 0: no limit.
  ClientRateLimiter(int per_second, int burst, std::size_t max_clients = 200'000);

  bool enabled() const { return per_second_ > 0; }
  // True when the client may make one more request at `now_ms` (a monotonic clock).
  bool allow(std::string_view client_ip, std::int64_t now_ms);
  std::size_t trackedClients();

  // The bucket key of an address: IPv4 as written, IPv6 as its /64; empty when never limited.
  static std::string clientKey(std::string_view client_ip);

 private:
  struct Bucket {
    double tokens = 0;
    std::int64_t updated_ms = 0;
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Bucket> buckets;
  };
  static constexpr std::size_t kShards = 16;

  void makeRoom(Shard& shard, std::int64_t now_ms) const;

  const double per_second_;
  const double burst_;
  const std::size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace waybill::track
