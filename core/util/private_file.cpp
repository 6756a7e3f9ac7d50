#include "util/private_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace waybill {
namespace {

// Closes the descriptor on every path out of readPrivateFile.
struct FileDescriptor {
  int fd;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Result<std::string> readPrivateFile(const std::string& path, const std::string& what) {
  const auto unreadable = [&](int error) { return makeError(fmt::format("cannot read {}: {}", what, std::strerror(error))); };
  // The mode is checked on the open descriptor, so a file swapped in between cannot pass.
  FileDescriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY)};
  if (file.fd < 0) return unreadable(errno);
  struct stat info {};
  if (::fstat(file.fd, &info) != 0) return unreadable(errno);
  if (S_ISDIR(info.st_mode)) return unreadable(EISDIR);
  if (isOpenToOthers(info.st_mode))
    return makeError(fmt::format("{} is open to other users (mode {:04o}): refused, as ssh refuses such a key; "
                                 "chmod o-rwx '{}'",
                                 what, info.st_mode & 07777, path));
  std::string bytes;
  char buffer[8192];
  for (;;) {
    const ssize_t got = ::read(file.fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return unreadable(errno);
    if (got == 0) return bytes;
    bytes.append(buffer, static_cast<std::size_t>(got));
  }
}

}  // namespace waybill
