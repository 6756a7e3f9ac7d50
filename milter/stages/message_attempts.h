// MessageAttempts: one attempt at a time per message in this milter. A client whose session was
// cut (Postfix stopped, the connection broke) retries while its first attempt may still be making
// and recording copies; the retry must see that record, or it would send those copies again.
//
//   auto turn = attempts.take(message_id, std::chrono::seconds(60));
//   if (!turn) return tempfail;   // the earlier attempt is still at work
//   ... the copies ...            // released when `turn` goes out of scope
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace waybill::milter {

class MessageAttempts {
 public:
  class Turn {
   public:
    Turn(MessageAttempts& owner, std::string id) : owner_(owner), id_(std::move(id)) {}
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;
    ~Turn() { owner_.release(id_); }

   private:
    MessageAttempts& owner_;
    std::string id_;
  };

  // This attempt's turn, once no other attempt of `id` holds one; nullptr after `limit`.
  std::unique_ptr<Turn> take(const std::string& id, std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    if (!released_.wait_for(lock, limit, [&] { return !held_.contains(id); })) return nullptr;
    held_.insert(id);
    return std::make_unique<Turn>(*this, id);
  }

 private:
  void release(const std::string& id) {
    {
      std::lock_guard lock(mutex_);
      held_.erase(id);
    }
    released_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable released_;
  std::set<std::string> held_;
};

}  // namespace waybill::milter
