#include "event_recorder.h"

#include <fmt/format.h>

#include "runtime/log.h"
#include "store/event_writer.h"
#include "util/utf8.h"

namespace waybill::policyd {

PolicyEvent suppressedEvent(const policy::SuppressedRecipient& rejected) {
  PolicyEvent event;
  event.type = "suppressed";
  event.recipient = rejected.recipient;
  event.sender = rejected.sender;
  event.details = {{"reason", policy::reasonName(rejected.match.reason)},
                   {"scope", policy::scopeName(rejected.match.scope)},
                   {"scope_value", rejected.match.scope_value},
                   {"suppressed_since", policy::formatUtc(rejected.match.since)},
                   {"queue_id", rejected.queue_id},
                   {"client_address", rejected.client_address}};
  return event;
}

void EventRecorder::start() { thread_ = std::thread([this] { run(); }); }

void EventRecorder::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventRecorder::record(PolicyEvent event) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= max_queued_) {
      queue_.pop_front();
      if (dropped_++ % 1000 == 0) log::warning("event queue full: {} event(s) dropped so far", dropped_);
    }
    queue_.push_back(std::move(event));
  }
  wake_.notify_one();
}

void EventRecorder::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and nothing left
    std::deque<PolicyEvent> batch;
    while (!queue_.empty() && batch.size() < 2000) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    const bool last_chance = stopping_;
    lock.unlock();
    const Status written = write(batch);
    lock.lock();
    if (written) continue;
    if (last_chance) {
      log::error("{} event(s) not recorded at shutdown: {}", batch.size() + queue_.size(), written.error());
      return;
    }
    log::warning("cannot record {} event(s) yet: {}", batch.size(), written.error());
    // Put them back in front, in order, and wait a little before the next attempt.
    for (auto it = batch.rbegin(); it != batch.rend(); ++it) queue_.push_front(std::move(*it));
    while (queue_.size() > max_queued_) queue_.pop_front();
    wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
  }
}

// A retried batch keeps each event's id and time, so the one rule of store/event_writer.h
// stores every event once.
Status EventRecorder::write(const std::deque<PolicyEvent>& batch) {
  std::vector<store::EventRow> rows;
  rows.reserve(batch.size());
  for (const auto& event : batch) {
    rows.push_back({.id = event.id,
                    .occurred_at = event.occurred_at,
                    .type = event.type,
                    .message_id = event.message_id ? std::optional<std::string>(event.message_id->toString()) : std::nullopt,
                    .recipient = event.recipient,
                    .sender = event.sender,
                    .details = event.details});
  }
  auto lease = pool_.acquire();
  if (!lease) return makeError(lease.error());
  return store::writeEvents(**lease, rows, store::Repeats::SameTime);
}

}  // namespace waybill::policyd
