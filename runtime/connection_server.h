// ConnectionServer: the bounded, thread-per-connection socket server of the daemons that serve
// their own socket (policyd, waybill-piped). It accepts until stop(), admits at most
// `max_connections` at once (the others get `refuse`, then are closed), runs `serve` for each
// on its own thread and closes the connection after it, and drains on stop: the listener
// closes (a UNIX path we created is removed; systemd's socket stays for the next instance),
// then it waits up to `drain_limit` for the open connections to end.
//
//   runtime::ConnectionServer server(listener, {.max_connections = 32, .drain_limit = 120s},
//                                    {.serve = [&](int fd) { answer(fd); }});
//   server.run();   // until another thread calls server.stop()
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_set>

#include "runtime/accept_loop.h"

namespace waybill::runtime {

struct Listener {
  int fd = -1;
  std::string unix_path;  // unlinked when draining if we created it (empty for systemd's)
};

struct ConnectionLimits {
  int max_connections = 32;
  std::chrono::seconds drain_limit{10};
  // Draining ends each connection's input (shutdown SHUT_RD): it answers what it read, then
  // sees the end. Without it, connections end on their own (a message being received is read).
  bool cut_reads_on_drain = false;
};

struct ConnectionHooks {
  std::function<void(int fd)> serve;                        // must not close fd
  std::function<void(int fd, std::size_t open)> refuse;     // at the limit, before the close; optional
  std::function<void(std::size_t open)> counted;            // after each admit and end; optional
  std::function<void(std::size_t open)> draining;           // drain starts; optional
  std::function<void(std::size_t open)> overran;            // still open at drain_limit; optional
};

class ConnectionServer {
 public:
  ConnectionServer(Listener listener, ConnectionLimits limits, ConnectionHooks hooks);
  ConnectionServer(const ConnectionServer&) = delete;
  ConnectionServer& operator=(const ConnectionServer&) = delete;

  // Accepts until stop(), then drains. False when connections were still open at the drain
  // limit: their threads still run `serve`, so the caller must not destroy what it uses.
  bool run();
  void stop();  // thread-safe; returns at once
  bool stopping() const { return accept_loop_.stopping(); }

 private:
  bool admit(int fd);
  void forget(int fd);
  bool drain();

  Listener listener_;
  const ConnectionLimits limits_;
  const ConnectionHooks hooks_;
  AcceptLoop accept_loop_;
  std::mutex mutex_;
  std::condition_variable idle_;
  std::unordered_set<int> connections_;  // guarded by mutex_
};

}  // namespace waybill::runtime
