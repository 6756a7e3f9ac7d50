#include "event_spool.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "runtime/log.h"

namespace waybill::trackd {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSegmentPrefix = "seg-";

std::size_t countLines(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return static_cast<std::size_t>(std::count(std::istreambuf_iterator<char>(in), {}, '\n'));
}

}  // namespace

Result<std::unique_ptr<EventSpool>> EventSpool::open(const std::string& directory, std::uint64_t max_bytes) {
  std::error_code error;
  fs::create_directories(directory, error);
  if (error) return makeError(fmt::format("option 'trackd.spool_dir': cannot create '{}': {}", directory, error.message()));
  const std::string lock_path = directory + "/lock";
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0)
    return makeError(fmt::format("option 'trackd.spool_dir': cannot open '{}': {}", lock_path, std::strerror(errno)));
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd);
    return makeError(fmt::format("option 'trackd.spool_dir': '{}' is in use by another waybill-trackd", directory));
  }
  std::unique_ptr<EventSpool> spool(new EventSpool(directory, lock_fd, max_bytes));
  spool->scanLeftovers();
  return spool;
}

EventSpool::EventSpool(std::string directory, int lock_fd, std::uint64_t max_bytes)
    : directory_(std::move(directory)),
      lock_fd_(lock_fd),
      instance_(fmt::format("{:016}-{}", std::chrono::duration_cast<std::chrono::microseconds>(
                                            std::chrono::system_clock::now().time_since_epoch()).count(),
                            ::getpid())),
      max_bytes_(max_bytes) {}

EventSpool::~EventSpool() { ::close(lock_fd_); }

void EventSpool::scanLeftovers() {
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(directory_))
    if (entry.path().filename().string().rfind(kSegmentPrefix, 0) == 0) paths.push_back(entry.path().string());
  std::sort(paths.begin(), paths.end());
  for (auto& path : paths) {
    leftover_events_ += countLines(path);
    std::error_code error;
    const std::uint64_t size = fs::file_size(path, error);
    const std::uint64_t bytes = error ? 0 : size;
    bytes_ += bytes;
    sealed_.push_back({std::move(path), false, bytes});
  }
  if (!paths.empty()) log::info("spool: {} segments with {} events left by an earlier run", paths.size(), leftover_events_);
}

void EventSpool::pushSealed(SealedSegment segment) {
  {
    std::lock_guard lock(mutex_);
    sealed_.push_back(std::move(segment));
  }
  sealed_ready_.notify_one();
}

std::vector<SealedSegment> EventSpool::takeSealed(int timeout_ms) {
  std::unique_lock lock(mutex_);
  sealed_ready_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return !sealed_.empty(); });
  std::vector<SealedSegment> taken(std::make_move_iterator(sealed_.begin()), std::make_move_iterator(sealed_.end()));
  sealed_.clear();
  return taken;
}

void EventSpool::requeue(std::vector<SealedSegment> segments) {
  std::lock_guard lock(mutex_);
  sealed_.insert(sealed_.begin(), std::make_move_iterator(segments.begin()), std::make_move_iterator(segments.end()));
}

Status EventSpool::Segment::append(std::string_view record) {
  if (fd_ < 0) {
    // Names sort by start time, then worker and sequence; the instance keeps restarts apart.
    path_ = fmt::format("{}/{}{}-{:03}-{:012}", spool_.directory_, kSegmentPrefix, spool_.instance_, worker_, sequence_++);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd_ < 0) return makeError(fmt::format("spool: cannot create '{}': {}", path_, std::strerror(errno)));
  }
  while (!record.empty()) {
    const ssize_t n = ::write(fd_, record.data(), record.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Error error = makeError(fmt::format("spool: cannot write '{}': {}", path_, std::strerror(errno)));
      seal();  // a torn record must end its file, or it would swallow the next record too
      return error;
    }
    record.remove_prefix(static_cast<std::size_t>(n));
    bytes_ += static_cast<std::uint64_t>(n);
    spool_.bytes_.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
  }
  return {};
}

void EventSpool::Segment::seal() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  spool_.pushSealed({std::move(path_), false, bytes_});
  bytes_ = 0;
}

}  // namespace waybill::trackd
