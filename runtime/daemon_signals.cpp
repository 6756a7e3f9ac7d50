#include "runtime/daemon_signals.h"

#include <pthread.h>

#include "runtime/log.h"

namespace waybill::runtime {

sigset_t blockDaemonSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return signals;
}

int waitForStop(const sigset_t& signals, const std::function<void()>& reload) {
  for (;;) {
    int received = 0;
    if (sigwait(&signals, &received) != 0) return SIGTERM;  // only EINVAL: a bad set, never ours
    if (received != SIGHUP) return received;
    log::info("SIGHUP: reloading");
    if (reload) reload();
  }
}

SignalThread::SignalThread(sigset_t signals, std::function<void()> reload, std::function<void(int)> on_stop)
    : thread_([this, signals, reload = std::move(reload), on_stop = std::move(on_stop)] {
        const int received = waitForStop(signals, reload);
        if (!leaving_ && on_stop) on_stop(received);
      }) {}

SignalThread::~SignalThread() {
  leaving_ = true;
  pthread_kill(thread_.native_handle(), SIGTERM);  // ends its sigwait; harmless once it returned
  thread_.join();
}

}  // namespace waybill::runtime
