// BackgroundWorker: the one background thread of the daemons' periodic and long-running loops
// (policyd's scheduler, webhookd's endpoints). It owns the thread, the stop flag and the
// interruptible sleep, so every loop stops the same way: stop() ends the current pause at once,
// lets the round in progress finish, and joins.
//
//   runtime::BackgroundWorker worker;
//   worker.every(std::chrono::seconds(30), [&] { releaseDue(); });     // a round, then a pause
//   worker.start([&] { while (!worker.stopping()) { work(); worker.pause(1s, true); } });
//   worker.wake();   // new work: a wakeable pause ends now
//   worker.stop();
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace waybill::runtime {

class BackgroundWorker {
 public:
  BackgroundWorker() = default;
  ~BackgroundWorker() { stop(); }
  BackgroundWorker(const BackgroundWorker&) = delete;
  BackgroundWorker& operator=(const BackgroundWorker&) = delete;

  // Runs `loop` on the thread; it returns once stopping() (pause() returns early then).
  void start(std::function<void()> loop);
  // Runs `round`, then pauses `interval` (only stop() ends it early), until stop().
  void every(std::chrono::milliseconds interval, std::function<void()> round);
  // Thread-safe; waits for the round in progress. Idempotent.
  void stop();
  // Ends the current (or the next) wakeable pause.
  void wake();
  // Sleeps up to `duration`; stop() ends it, and so does wake() when `wakeable` (the wake-up is
  // used up then). For the worker's own thread.
  void pause(std::chrono::milliseconds duration, bool wakeable = false);
  bool stopping() const { return stopping_; }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::atomic<bool> stopping_{false};
  bool woken_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace waybill::runtime
