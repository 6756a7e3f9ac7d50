#include "event_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "runtime/log.h"

namespace waybill::trackd {
namespace {

constexpr int kPollMs = 50;
constexpr int kMaxBackoffMs = 5000;
constexpr std::size_t kMaxEventsPerBatch = 50'000;

long long nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void syncFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fdatasync(fd);
  ::close(fd);
}

}  // namespace

EventWriter::EventWriter(EventSpool& spool, DatabaseConfig database, track::EventStoreOptions options,
                         WriterCounters& counters)
    : spool_(spool), database_(std::move(database)), store_(options), counters_(counters) {
  counters_.events_recovered = spool_.leftoverEvents();
}

void EventWriter::start() { thread_ = std::thread([this] { run(); }); }

void EventWriter::stop(int drain_ms) {
  if (!thread_.joinable()) return;
  drain_deadline_ms_ = nowMs() + drain_ms;
  stopping_ = true;
  thread_.join();
}

void EventWriter::run() {
  for (;;) {
    auto segments = spool_.takeSealed(kPollMs);
    if (stopping_ && (segments.empty() || nowMs() >= drain_deadline_ms_)) {
      spool_.requeue(std::move(segments));
      return;
    }
    // Write in bounded batches so one transaction never grows without limit.
    while (!segments.empty()) {
      if (!writeSegments(segments)) break;
    }
    if (!segments.empty()) {
      spool_.requeue(std::move(segments));
      const long long wait_until = nowMs() + backoff_ms_;
      while (nowMs() < wait_until && !(stopping_ && nowMs() >= drain_deadline_ms_))
        std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
    }
  }
}

Result<PgConnection*> EventWriter::connection() {
  if (conn_ && conn_->broken()) conn_.reset();
  if (!conn_) {
    auto connected = PgConnection::connect(database_);
    if (!connected) return makeError(connected.error());
    conn_.emplace(std::move(*connected));
  }
  return &*conn_;
}

// Takes segments from the front of `segments` up to the batch limit and commits them; on
// success they are deleted and removed from `segments`.
bool EventWriter::writeSegments(std::vector<SealedSegment>& segments) {
  auto conn = connection();  // first: while the database is away, do not re-read the spool
  if (!conn) {
    onFailure(conn.error(), segments);
    return false;
  }
  std::vector<track::TrackEvent> events;
  std::size_t taken = 0;
  std::size_t rejected = 0;
  while (taken < segments.size() && events.size() < kMaxEventsPerBatch) {
    auto parsed = track::parseSpool(readFile(segments[taken].path));
    rejected += parsed.rejected_lines;
    std::move(parsed.events.begin(), parsed.events.end(), std::back_inserter(events));
    ++taken;
  }
  const long long started_ms = nowMs();
  auto inserted = store_.write(**conn, events);
  if (!inserted) {
    onFailure(inserted.error(), segments);
    return false;
  }
  for (std::size_t i = 0; i < taken; ++i) {
    ::unlink(segments[i].path.c_str());
    spool_.release(segments[i].bytes);
  }
  segments.erase(segments.begin(), segments.begin() + static_cast<std::ptrdiff_t>(taken));
  if (rejected > 0) log::warning("spool: skipped {} damaged lines", rejected);
  log::debug("wrote {} events ({} new) from {} segments in {} ms", events.size(), *inserted, taken, nowMs() - started_ms);
  counters_.events_committed += events.size();
  counters_.events_inserted += *inserted;
  counters_.rejected_lines += rejected;
  if (!counters_.database_up.exchange(true)) log::info("database: writing events");
  backoff_ms_ = 0;
  return true;
}

void EventWriter::onFailure(const std::string& error, std::vector<SealedSegment>& segments) {
  ++counters_.batches_failed;
  if (counters_.database_up.exchange(false) || backoff_ms_ == 0)
    log::warning("database: cannot write events, keeping them in the spool: {}", error);
  backoff_ms_ = std::min(kMaxBackoffMs, backoff_ms_ == 0 ? 200 : backoff_ms_ * 2);
  if (conn_ && conn_->broken()) conn_.reset();
  // The events may wait a while now: make them survive a machine crash too.
  for (auto& segment : segments) {
    if (segment.synced) continue;
    syncFile(segment.path);
    segment.synced = true;
  }
}

}  // namespace waybill::trackd
