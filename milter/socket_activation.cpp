#include "socket_activation.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "runtime/socket_activation.h"

namespace waybill::milter {
namespace {

// Written before libmilter starts any thread; read by the interposers below.
std::atomic<bool> g_armed{false};
int g_passed_fd = -1;
int g_passed_family = 0;
std::atomic<int> g_adopted_fd{-1};  // until libmilter's listen() on it
std::atomic<bool> g_adopted{false};
// The unit's UNIX path: unlink() of it is refused (libmilter removes its socket path at exit).
char g_kept_path[sizeof(sockaddr_un::sun_path)] = {};
std::atomic<bool> g_keep_path{false};
// libmilter's listening socket, and the drain run before libmilter sees a stop signal.
std::atomic<int> g_listen_fd{-1};
std::atomic<bool> g_refuse_accept{false};
std::atomic<void (*)()> g_on_accepted{nullptr};
void (*g_before_stop)() = nullptr;
std::atomic<void (*)()> g_on_hangup{nullptr};

Result<ActivatedSocket> describe(int fd) {
  int listening = 0;
  socklen_t size = sizeof listening;
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 || !listening)
    return makeError("the socket passed by systemd is not a listening stream socket");
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    return makeError(fmt::format("getsockname on the passed socket: {}", std::strerror(errno)));
  char text[INET6_ADDRSTRLEN] = {};
  switch (address.ss_family) {
    case AF_INET: {
      const auto& in = reinterpret_cast<const sockaddr_in&>(address);
      inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
      return ActivatedSocket{fd, AF_INET, fmt::format("inet:{}@[{}]", ntohs(in.sin_port), text), ""};
    }
    case AF_INET6: {
      const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
      inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
      return ActivatedSocket{fd, AF_INET6, fmt::format("inet6:{}@[{}]", ntohs(in6.sin6_port), text), ""};
    }
    case AF_UNIX: {
      const auto& un = reinterpret_cast<const sockaddr_un&>(address);
      if (length <= offsetof(sockaddr_un, sun_path) || un.sun_path[0] == '\0')
        return makeError("the socket passed by systemd has no path (abstract or unnamed UNIX sockets are not supported)");
      const std::string path(un.sun_path, strnlen(un.sun_path, sizeof un.sun_path));
      return ActivatedSocket{fd, AF_UNIX, "unix:" + path, path};
    }
    default: return makeError("the socket passed by systemd is neither inet, inet6 nor unix");
  }
}

int socketFamily(int fd) {
  int family = 0;
  socklen_t size = sizeof family;
  return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &size) == 0 ? family : -1;
}

template <typename Function>
Function* libcFunction(const char* name) {
  return reinterpret_cast<Function*>(dlsym(RTLD_NEXT, name));
}

// libmilter's fresh socket becomes the passed one; FD_CLOEXEC as libmilter had set it.
bool adoptInto(int fd) {
  if (dup3(g_passed_fd, fd, O_CLOEXEC) < 0) return false;
  ::close(g_passed_fd);
  g_adopted_fd = fd;
  g_adopted = true;
  g_armed = false;
  return true;
}

}  // namespace

Result<std::optional<ActivatedSocket>> takeActivatedSocket() {
  auto passed = runtime::passedSocket("waybill-milter");
  if (!passed) return makeError(passed.error());
  if (!*passed) return std::optional<ActivatedSocket>{};
  auto described = describe(**passed);
  if (!described) return makeError(described.error());
  return std::optional<ActivatedSocket>{std::move(*described)};
}

void setDrainBeforeStop(void (*drain)()) { g_before_stop = drain; }

void setReloadOnHangup(void (*reload)()) { g_on_hangup = reload; }

int listeningSocket() { return g_listen_fd; }

void setOnAccepted(void (*accepted)()) { g_on_accepted = accepted; }

void armSocketAdoption(const ActivatedSocket& passed) {
  g_passed_fd = passed.fd;
  g_passed_family = passed.family;
  if (!passed.unix_path.empty()) {
    std::strncpy(g_kept_path, passed.unix_path.c_str(), sizeof g_kept_path - 1);
    g_keep_path = true;
  }
  g_armed = true;
}

bool disarmSocketAdoption() {
  g_armed = false;
  return g_adopted;
}

}  // namespace waybill::milter

// The interposers: symbols defined in the executable win over libc's for libmilter's calls.
extern "C" {

__attribute__((visibility("default"))) int bind(int fd, const sockaddr* address, socklen_t length) noexcept {
  using namespace waybill::milter;
  if (g_armed && socketFamily(fd) == g_passed_family) return adoptInto(fd) ? 0 : -1;
  static auto* real = libcFunction<int(int, const sockaddr*, socklen_t)>("bind");
  return real(fd, address, length);
}

__attribute__((visibility("default"))) int listen(int fd, int backlog) noexcept {
  using namespace waybill::milter;
  if (g_armed || g_adopted_fd == fd) g_listen_fd = fd;
  int adopted = fd;
  // Already listening, with the backlog the socket unit chose; only once: the number is reused later.
  if (fd >= 0 && g_adopted_fd.compare_exchange_strong(adopted, -1)) return 0;
  static auto* real = libcFunction<int(int, int)>("listen");
  return real(fd, backlog);
}

__attribute__((visibility("default"))) int unlink(const char* path) noexcept {
  using namespace waybill::milter;
  if (g_keep_path && std::strcmp(path, g_kept_path) == 0) return 0;  // path: nonnull in glibc
  static auto* real = libcFunction<int(const char*)>("unlink");
  return real(path);
}

// Debian's libmilter (worker pool) stops serving open sessions once it sees SIGTERM, so its
// signal thread drains first: accept() on the milter socket is refused (connections stay in the
// backlog for the next instance) until the open sessions have ended, then libmilter stops.
// SIGHUP, which libmilter would take as a stop, reloads (setReloadOnHangup) and is never returned.
__attribute__((visibility("default"))) int sigwait(const sigset_t* set, int* received) {
  using namespace waybill::milter;
  static auto* real = libcFunction<int(const sigset_t*, int*)>("sigwait");
  int status = real(set, received);
  for (auto* reload = g_on_hangup.load(); status == 0 && *received == SIGHUP && reload; status = real(set, received))
    reload();
  if (status == 0 && (*received == SIGTERM || *received == SIGINT) && g_before_stop) {
    g_refuse_accept = true;
    g_before_stop();
  }
  return status;
}

__attribute__((visibility("default"))) int accept(int fd, sockaddr* address, socklen_t* length) {
  using namespace waybill::milter;
  if (g_refuse_accept && fd == g_listen_fd) {
    usleep(50'000);  // libmilter retries at once on EAGAIN
    errno = EAGAIN;
    return -1;
  }
  static auto* real = libcFunction<int(int, sockaddr*, socklen_t*)>("accept");
  const int accepted = real(fd, address, length);
  if (auto* counted = g_on_accepted.load(); accepted >= 0 && fd == g_listen_fd && counted) counted();
  return accepted;
}

}  // extern "C"
