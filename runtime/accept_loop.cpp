#include "runtime/accept_loop.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "runtime/log.h"

namespace waybill {

AcceptLoop::AcceptLoop() {
  if (pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("pipe2 failed");
}

AcceptLoop::~AcceptLoop() {
  for (int fd : stop_pipe_)
    if (fd >= 0) ::close(fd);
}

void AcceptLoop::stop() {
  stopping_ = true;
  const char byte = 1;
  [[maybe_unused]] const auto written = ::write(stop_pipe_[1], &byte, 1);
}

void AcceptLoop::run(int listening_fd, const std::function<void(int fd)>& accepted) {
  while (!stopping_) {
    pollfd waiting[2] = {{listening_fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(waiting, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log::error("poll on the listening socket failed: {}", std::strerror(errno));
      return;
    }
    if (waiting[1].revents) return;
    const int fd = accept4(listening_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) log::warning("accept: {}", std::strerror(errno));
      continue;
    }
    accepted(fd);
  }
}

}  // namespace waybill
