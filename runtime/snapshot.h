// Snapshot<T>: an immutable T that a reload replaces as a whole. A reader takes the shared_ptr
// once for the work at hand (a message, a request) and keeps it to the end, so a reload never
// changes anything under running work, and the old T lives until its last reader is done.
//
//   runtime::Snapshot<Pipeline> pipelines(first);
//   auto pipeline = pipelines.get();        // per message
//   pipelines.set(std::move(rebuilt));      // on SIGHUP
#pragma once

#include <memory>
#include <mutex>

namespace waybill::runtime {

template <typename T>
class Snapshot {
 public:
  explicit Snapshot(std::shared_ptr<const T> first) : current_(std::move(first)) {}

  std::shared_ptr<const T> get() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void set(std::shared_ptr<const T> next) {
    {
      std::lock_guard lock(mutex_);
      current_.swap(next);
    }
    // `next` now holds the old one: released here, outside the lock, if no reader has it.
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> current_;
};

}  // namespace waybill::runtime
