#include "mime/body_spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace waybill::mime {
namespace {

Status writeAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return makeError(fmt::format("cannot write the body spool: {}", std::strerror(errno)));
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

}  // namespace

BodySpool::BodySpool(std::string directory, std::size_t memory_limit)
    : directory_(std::move(directory)), memory_limit_(memory_limit) {}

BodySpool::~BodySpool() {
  if (fd_ >= 0) ::close(fd_);
}

Status BodySpool::spill() {
  std::string path = directory_ + "/waybill-body-XXXXXX";
  fd_ = ::mkstemp(path.data());
  if (fd_ < 0) return makeError(fmt::format("cannot create a body spool in {}: {}", directory_, std::strerror(errno)));
  ::unlink(path.c_str());  // nothing to clean up after a crash
  Status status = writeAll(fd_, memory_);
  std::string().swap(memory_);  // give the memory back, not just clear it
  return status;
}

Status BodySpool::append(std::string_view bytes) {
  size_ += bytes.size();
  if (fd_ < 0 && memory_.size() + bytes.size() <= memory_limit_) {
    memory_.append(bytes);
    return {};
  }
  if (fd_ < 0)
    if (auto status = spill(); !status) return status;
  // Callers append line by line; batch them into large writes.
  write_buffer_.append(bytes);
  if (write_buffer_.size() < kWriteBatch) return {};
  return flush();
}

Status BodySpool::flush() const {
  Status status = writeAll(fd_, write_buffer_);
  write_buffer_.clear();
  return status;
}

Status BodySpool::forEachChunk(const std::function<Status(std::string_view)>& consume, std::size_t chunk_size) const {
  if (fd_ < 0) {
    for (std::size_t offset = 0; offset < memory_.size(); offset += chunk_size)
      if (auto status = consume(std::string_view(memory_).substr(offset, chunk_size)); !status) return status;
    return {};
  }
  if (!write_buffer_.empty())
    if (auto status = flush(); !status) return status;
  std::vector<char> buffer(chunk_size);
  for (off_t offset = 0;;) {
    const ssize_t got = ::pread(fd_, buffer.data(), buffer.size(), offset);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return makeError(fmt::format("cannot read the body spool: {}", std::strerror(errno)));
    if (got == 0) return {};
    offset += got;
    if (auto status = consume(std::string_view(buffer.data(), static_cast<std::size_t>(got))); !status) return status;
  }
}

}  // namespace waybill::mime
