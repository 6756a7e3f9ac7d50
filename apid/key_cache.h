// KeyCache: the live keys waybill-apid looked up in the last few seconds, by digest, so a busy
// application's requests cost no database round trip each. Only keys found live are kept (an
// unknown key costs a lookup every time, and no memory); a revoked key stops working within
// `ttl`. Thread-safe; at most `capacity` entries (the oldest go first).
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "store/api_key_store.h"

namespace waybill::apid {

class KeyCache {
 public:
  using Clock = std::chrono::steady_clock;
  explicit KeyCache(std::chrono::milliseconds ttl = std::chrono::seconds(5), std::size_t capacity = 1000)
      : ttl_(ttl), capacity_(capacity) {}

  std::optional<store::ApiKeyRow> find(const std::string& digest, Clock::time_point now = Clock::now());
  void keep(const std::string& digest, const store::ApiKeyRow& key, Clock::time_point now = Clock::now());

 private:
  struct Entry {
    store::ApiKeyRow key;
    Clock::time_point expires;
  };
  const std::chrono::milliseconds ttl_;
  const std::size_t capacity_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mutex_
};

}  // namespace waybill::apid
