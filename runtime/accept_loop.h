// AcceptLoop: the accept side of the daemons' own socket servers (policyd, waybill-piped).
// run() hands each accepted connection to a callback until stop(), callable from any thread,
// wakes its poll through a self-pipe; the caller then drains its open connections.
//
//   AcceptLoop loop;
//   loop.run(listening_fd, [&](int fd) { std::thread([fd] { serve(fd); }).detach(); });
//   // another thread: loop.stop();
#pragma once

#include <atomic>
#include <functional>

namespace waybill {

class AcceptLoop {
 public:
  AcceptLoop();  // throws std::runtime_error when no pipe can be made
  ~AcceptLoop();
  AcceptLoop(const AcceptLoop&) = delete;
  AcceptLoop& operator=(const AcceptLoop&) = delete;

  // Returns after stop(), or when poll() on the socket fails (logged).
  void run(int listening_fd, const std::function<void(int fd)>& accepted);
  void stop();  // thread-safe; returns at once
  bool stopping() const { return stopping_; }

 private:
  int stop_pipe_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
};

}  // namespace waybill
