#include "runtime/background_worker.h"

namespace waybill::runtime {

void BackgroundWorker::start(std::function<void()> loop) { thread_ = std::thread(std::move(loop)); }

void BackgroundWorker::every(std::chrono::milliseconds interval, std::function<void()> round) {
  start([this, interval, round = std::move(round)] {
    while (!stopping_) {
      round();
      pause(interval);
    }
  });
}

void BackgroundWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BackgroundWorker::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  changed_.notify_all();
}

void BackgroundWorker::pause(std::chrono::milliseconds duration, bool wakeable) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, duration, [&] { return stopping_.load() || (wakeable && woken_); });
  if (wakeable) woken_ = false;
}

}  // namespace waybill::runtime
