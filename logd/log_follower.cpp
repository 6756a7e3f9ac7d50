#include "log_follower.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "postfix/delivery_log_line.h"

namespace waybill::logd {
namespace {

constexpr std::size_t kReadBytes = 1 << 20;

std::optional<FileIdentity> identityOfFd(int fd, std::uint64_t* size = nullptr) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return std::nullopt;
  if (size) *size = static_cast<std::uint64_t>(st.st_size);
  return FileIdentity{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}

std::uint64_t sizeOfPath(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

// A rotated predecessor lives next to the log under a longer name (mail.log.1, mail.log-20261201);
// compressed ones cannot be read on and do not count.
std::optional<std::string> findRotated(const std::string& path, const FileIdentity& wanted) {
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  struct CloseDir {
    void operator()(DIR* d) const { closedir(d); }
  };
  std::unique_ptr<DIR, CloseDir> listing(opendir(dir.c_str()));
  if (!listing) return std::nullopt;
  while (const dirent* entry = readdir(listing.get())) {
    const std::string name = entry->d_name;
    if (name.size() <= base.size() || name.compare(0, base.size(), base) != 0) continue;
    const std::string candidate = dir + name;
    if (identityOfPath(candidate) == wanted) return candidate;
  }
  return std::nullopt;
}

}  // namespace

std::optional<FileIdentity> identityOfPath(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FileIdentity{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}

LogFollower::LogFollower(std::string path, std::chrono::milliseconds rotation_grace)
    : path_(std::move(path)), rotation_grace_(rotation_grace) {}

LogFollower::~LogFollower() {
  if (fd_ >= 0) close(fd_);
}

bool LogFollower::openAt(const std::string& path, std::uint64_t offset) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::uint64_t size = 0;
  auto identity = identityOfFd(fd, &size);
  if (!identity) {
    close(fd);
    return false;
  }
  if (offset > size) offset = 0;  // truncated since
  if (lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
    close(fd);
    return false;
  }
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
  identity_ = *identity;
  consumed_ = offset;
  buffer_.clear();
  begin_ = 0;
  old_file_quiet_since_.reset();
  return true;
}

Result<std::string> LogFollower::resume(const std::optional<LogPosition>& stored) {
  if (!stored) {
    openAt(path_, 0);  // absent: switchIfRotated opens it once Postfix has written it
    return std::string();
  }
  if (identityOfPath(path_) == stored->file) {
    const std::uint64_t size = sizeOfPath(path_);
    openAt(path_, stored->offset);
    if (size < stored->offset) return std::string(path_ + " is shorter than the stored position (truncated): reading it from its start");
    return std::string();
  }
  if (auto rotated = findRotated(path_, stored->file); rotated && openAt(*rotated, stored->offset))
    return std::string();  // finished first, then switchIfRotated moves on to the log
  openAt(path_, 0);
  return std::string("the file of the stored position is gone (rotated and compressed or deleted): lines written to it "
                     "after that position were not read; reading " + path_ + " from its start");
}

bool LogFollower::fill() {
  if (fd_ < 0) return false;
  if (begin_ > 0) {
    buffer_.erase(0, begin_);
    begin_ = 0;
  }
  const std::size_t old_size = buffer_.size();
  buffer_.resize(old_size + kReadBytes);
  ssize_t got;
  do {
    got = read(fd_, buffer_.data() + old_size, kReadBytes);
  } while (got < 0 && errno == EINTR);
  buffer_.resize(old_size + (got > 0 ? static_cast<std::size_t>(got) : 0));
  return got > 0;
}

std::optional<LogLine> LogFollower::nextLine() {
  for (;;) {
    const std::size_t newline = buffer_.find('\n', begin_);
    if (newline != std::string::npos) {
      const std::size_t length = newline - begin_;
      LogLine line{std::string_view(buffer_).substr(begin_, length), false};
      if (length > postfix::kMaxLogLineBytes) {
        line.text = line.text.substr(0, postfix::kMaxLogLineBytes);
        line.too_long = true;
      }
      begin_ = newline + 1;
      consumed_ += length + 1;
      return line;
    }
    // A line far beyond the cap: skip what is buffered of it (bounded memory), keep looking.
    if (buffer_.size() - begin_ > 4 * postfix::kMaxLogLineBytes + kReadBytes) {
      consumed_ += buffer_.size() - begin_;
      buffer_.clear();
      begin_ = 0;
    }
    if (!fill()) return std::nullopt;
  }
}

bool LogFollower::switchIfRotated() {
  if (fd_ < 0) return openAt(path_, 0);
  std::uint64_t size = 0;
  if (identityOfFd(fd_, &size) && size < consumed_ + (buffer_.size() - begin_)) return openAt(path_, 0);
  auto current = identityOfPath(path_);
  if (!current || *current == identity_) return false;
  const auto now = std::chrono::steady_clock::now();
  if (fill()) {  // the old file got more lines: finish them, and wait again once they are read
    old_file_quiet_since_.reset();
    return true;
  }
  if (!old_file_quiet_since_) old_file_quiet_since_ = now;
  if (now - *old_file_quiet_since_ < rotation_grace_) return false;
  return openAt(path_, 0);  // a partial last line of the old file is dropped: Postfix writes whole lines
}

std::uint64_t LogFollower::unreadBytes() const {
  if (fd_ < 0) return sizeOfPath(path_);
  std::uint64_t size = 0;
  if (!identityOfFd(fd_, &size)) return 0;
  std::uint64_t unread = size > consumed_ ? size - consumed_ : 0;
  if (auto current = identityOfPath(path_); current && *current != identity_) unread += sizeOfPath(path_);
  return unread;
}

}  // namespace waybill::logd
