#include "runtime/connection_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace waybill::runtime {

ConnectionServer::ConnectionServer(Listener listener, ConnectionLimits limits, ConnectionHooks hooks)
    : listener_(std::move(listener)), limits_(limits), hooks_(std::move(hooks)) {}

void ConnectionServer::stop() { accept_loop_.stop(); }

bool ConnectionServer::run() {
  accept_loop_.run(listener_.fd, [this](int fd) {
    if (!admit(fd)) return;
    std::thread([this, fd] {
      if (limits_.cut_reads_on_drain && stopping()) ::shutdown(fd, SHUT_RD);  // admitted just as drain() ran
      hooks_.serve(fd);
      forget(fd);
    }).detach();
  });
  return drain();
}

bool ConnectionServer::admit(int fd) {
  std::lock_guard lock(mutex_);
  if (static_cast<int>(connections_.size()) >= limits_.max_connections) {
    if (hooks_.refuse) hooks_.refuse(fd, connections_.size());
    ::close(fd);
    return false;
  }
  connections_.insert(fd);
  if (hooks_.counted) hooks_.counted(connections_.size());
  return true;
}

void ConnectionServer::forget(int fd) {
  // All under the lock: drain() never touches a number reused meanwhile, and once drain() sees
  // the set empty no thread touches this object again.
  std::lock_guard lock(mutex_);
  connections_.erase(fd);
  ::close(fd);
  if (hooks_.counted) hooks_.counted(connections_.size());
  idle_.notify_all();
}

bool ConnectionServer::drain() {
  if (listener_.fd >= 0) ::close(listener_.fd);  // systemd keeps its copy: clients wait for the next daemon
  if (!listener_.unix_path.empty()) ::unlink(listener_.unix_path.c_str());
  std::unique_lock lock(mutex_);
  if (hooks_.draining) hooks_.draining(connections_.size());
  if (limits_.cut_reads_on_drain)
    for (int fd : connections_) ::shutdown(fd, SHUT_RD);
  if (idle_.wait_for(lock, limits_.drain_limit, [this] { return connections_.empty(); })) return true;
  if (hooks_.overran) hooks_.overran(connections_.size());
  return false;
}

}  // namespace waybill::runtime
