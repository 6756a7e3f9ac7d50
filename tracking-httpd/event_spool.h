// EventSpool: the local files that make "answered means recorded" true. Each worker thread appends
// one record per event to its own segment file with a single write() before the HTTP response is
// sent: once write() returns the bytes are in the kernel's page cache, so a crash (even kill -9) of
// trackd loses nothing that was answered, and no per-event fsync is paid. Every 100 ms a worker
// seals its segment and hands it to the EventWriter; segments are deleted only after PostgreSQL
// committed their events. (A machine crash can lose what is neither committed nor synced: the
// writer fdatasync()s segments it cannot commit, so that window is the time to a commit attempt.)
//
// An flock on DIR/lock keeps a second trackd off the same spool; at start every segment found is
// a leftover of an earlier run and goes to the writer first.
//
// Its size is counted (bytes appended, leftovers included, until the writer deletes them) against
// trackd.spool_max_size: the caller asks hasRoomFor() before a record it may drop (opens, clicks)
// and appends records it must keep (unsubscriptions) regardless, so a database outage cannot fill
// the disk with opens and still never loses an unsubscription.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace waybill::trackd {

struct SealedSegment {
  std::string path;
  bool synced = false;  // fdatasync'ed because the database kept it waiting
  std::uint64_t bytes = 0;
};

class EventSpool {
 public:
  // Creates the directory if needed, takes the lock and queues leftover segments.
  static Result<std::unique_ptr<EventSpool>> open(const std::string& directory,
                                                  std::uint64_t max_bytes = UINT64_MAX);
  ~EventSpool();
  EventSpool(const EventSpool&) = delete;
  EventSpool& operator=(const EventSpool&) = delete;

  // One per worker thread; not thread safe itself.
  class Segment {
   public:
    Segment(EventSpool& spool, unsigned worker) : spool_(spool), worker_(worker) {}
    ~Segment() { seal(); }
    Segment(const Segment&) = delete;
    Segment& operator=(const Segment&) = delete;
    Status append(std::string_view record);
    void seal();  // hands the current file (if any) to the writer
    bool hasRoomFor(std::size_t bytes) const { return spool_.hasRoomFor(bytes); }

   private:
    EventSpool& spool_;
    unsigned worker_;
    int fd_ = -1;
    std::string path_;
    std::uint64_t sequence_ = 0;
    std::uint64_t bytes_ = 0;  // in the current file
  };

  // Writer side: waits up to timeout_ms for sealed segments and takes them all.
  std::vector<SealedSegment> takeSealed(int timeout_ms);
  void requeue(std::vector<SealedSegment> segments);  // front of the queue, order kept
  std::size_t leftoverEvents() const { return leftover_events_; }
  // The writer deleted a segment of this many bytes.
  void release(std::uint64_t bytes) { bytes_.fetch_sub(bytes, std::memory_order_relaxed); }
  std::uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  bool hasRoomFor(std::size_t record_bytes) const { return bytes() + record_bytes <= max_bytes_; }

 private:
  EventSpool(std::string directory, int lock_fd, std::uint64_t max_bytes);
  void scanLeftovers();
  void pushSealed(SealedSegment segment);

  const std::string directory_;
  const int lock_fd_;
  const std::string instance_;  // start time (us) and pid: unique across restarts
  const std::uint64_t max_bytes_;
  std::size_t leftover_events_ = 0;
  std::atomic<std::uint64_t> bytes_{0};
  std::mutex mutex_;
  std::condition_variable sealed_ready_;
  std::deque<SealedSegment> sealed_;
};

}  // namespace waybill::trackd
