// DeliveryLogReader: waybill-logd's loop. It follows Postfix's log, parses each line, and stores
// the delivery attempts of a batch of lines together with the position after them, in one
// transaction; when PostgreSQL is away it keeps the batch, waits and retries (the log does not
// move on), so each line is stored exactly once.
#pragma once

#include <atomic>
#include <ctime>
#include <optional>
#include <string>

#include "config/config.h"
#include "store/connection_pool.h"
#include "log_follower.h"
#include "logd_metrics.h"
#include "postfix/delivery_log_line.h"

namespace waybill::logd {

class DeliveryLogReader {
 public:
  DeliveryLogReader(const Config& config, LogdMetrics& metrics);
  // Returns when `stop` is set; what was not committed is read again at the next start.
  void run(const std::atomic<bool>& stop);

 private:
  struct Batch;
  // The stored position (nullopt inside: none yet), waiting for the database; nullopt when stopped.
  std::optional<std::optional<LogPosition>> loadStoredPosition(const std::atomic<bool>& stop);
  bool readBatch(LogFollower& follower, Batch& batch);  // true at the end of the file
  bool store(Batch& batch, const std::atomic<bool>& stop);

  ConnectionPool pool_;
  LogdConfig settings_;
  std::string position_key_;  // "HOST:PATH": hosts sharing one database keep their own positions
  LogdMetrics& metrics_;
  std::int64_t waiting_ = 0;  // parked attempts after the last stored batch
};

// The line's time as ISO 8601 in UTC. Lines without a year get the one that puts them not more
// than a day after `now`; lines without a zone are local time, as syslog and postlogd write them.
std::string occurredAt(const postfix::LogTimestamp& time, std::time_t now);
std::string positionKey(const std::string& log_file);

}  // namespace waybill::logd
