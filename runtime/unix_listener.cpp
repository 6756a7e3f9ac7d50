#include "runtime/unix_listener.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace waybill {
namespace {

sockaddr_un unixAddress(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);  // length checked by the caller
  return address;
}

bool someoneListens(const sockaddr_un& address) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const bool live = fd >= 0 && ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  if (fd >= 0) ::close(fd);
  return live;
}

}  // namespace

Result<int> listenUnixSocket(const std::string& path, int mode, std::string_view option) {
  if (path.empty() || path.size() >= sizeof(sockaddr_un::sun_path))
    return makeError(fmt::format("option '{}': unix socket path '{}' is empty or too long", option, path));
  const sockaddr_un address = unixAddress(path);
  if (someoneListens(address))
    return makeError(fmt::format("option '{}': unix:{} is in use by another running daemon", option, path));
  ::unlink(path.c_str());  // a stale socket file from an earlier run
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const mode_t old_mask = ::umask(static_cast<mode_t>(0777 & ~mode));
  const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
                  ::listen(fd, 512) == 0;
  const int saved_errno = errno;
  ::umask(old_mask);
  if (!ok) {
    if (fd >= 0) ::close(fd);
    return makeError(fmt::format("option '{}': cannot listen on unix:{}: {}", option, path, std::strerror(saved_errno)));
  }
  ::chmod(path.c_str(), static_cast<mode_t>(mode));  // the umask may have taken bits mode asks for
  return fd;
}

}  // namespace waybill
