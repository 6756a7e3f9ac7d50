// HoldReleaser: policyd's scheduler. Every policyd.schedule_interval seconds it takes the due
// rows of `scheduled_messages` for this host (FOR UPDATE SKIP LOCKED, so several policyd
// processes never release one message twice), releases each through the hold helper, and records
// `released` events; a message no longer in the hold queue is marked failed with the reason.
// With PostgreSQL away it simply tries again next round: held mail waits, nothing is lost.
//
//   HoldReleaser releaser(pool, config.policyd);
//   releaser.start();  ...  releaser.stop();
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "config/config.h"
#include "db/connection_pool.h"

namespace waybill::policyd {

class HoldReleaser {
 public:
  HoldReleaser(ConnectionPool& pool, PolicydConfig config);
  ~HoldReleaser() { stop(); }
  HoldReleaser(const HoldReleaser&) = delete;
  HoldReleaser& operator=(const HoldReleaser&) = delete;

  // Called with true per message released, false per message marked failed (metrics); set
  // before start().
  void onResult(std::function<void(bool released)> observer) { observer_ = std::move(observer); }
  void start();
  void stop();
  // One round: releases what is due; returns how many were released.
  Result<int> releaseDue();

 private:
  void run();

  ConnectionPool& pool_;
  const PolicydConfig config_;
  const std::string host_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
  std::function<void(bool)> observer_;
};

}  // namespace waybill::policyd
