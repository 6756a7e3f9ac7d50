#include "stages/copy_verdicts.h"

namespace waybill::milter {

void CopyVerdicts::expect(const std::string& recipient_id) {
  std::lock_guard lock(mutex_);
  pending_[recipient_id].reset();
}

void CopyVerdicts::report(const std::string& recipient_id, bool accepted) {
  {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(recipient_id);
    if (it == pending_.end()) return;
    it->second = accepted;
  }
  reported_.notify_all();
}

std::optional<bool> CopyVerdicts::await(const std::string& recipient_id, std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  auto has_verdict = [&] {
    auto it = pending_.find(recipient_id);
    return it == pending_.end() || it->second.has_value();
  };
  if (!reported_.wait_for(lock, limit, has_verdict)) return std::nullopt;
  auto it = pending_.find(recipient_id);
  return it == pending_.end() ? std::nullopt : it->second;
}

void CopyVerdicts::forget(const std::string& recipient_id) {
  std::lock_guard lock(mutex_);
  pending_.erase(recipient_id);
}

}  // namespace waybill::milter
