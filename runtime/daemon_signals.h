// How every Waybill daemon takes its signals. SIGTERM and SIGINT stop it (after the work in
// flight); SIGHUP reloads it and it keeps serving (systemctl reload: ExecReload=kill -HUP
// $MAINPID). The three are blocked in every thread and one thread takes them with sigwait(),
// so no handler runs at a random point of a random thread.
//
//   const sigset_t signals = runtime::blockDaemonSignals();   // first, before any thread starts
//   ...
//   runtime::SignalThread waiter(signals, [&] { reloader.reload(); }, [&](int) { server.stop(); });
//   server.run();                                             // ends once on_stop ran
//
// A main thread with nothing else to do waits itself: `runtime::waitForStop(signals, reload)`.
// (waybill-milter is the exception: libmilter owns its signal thread; see milter/socket_activation.h.)
#pragma once

#include <atomic>
#include <csignal>
#include <functional>
#include <thread>

namespace waybill::runtime {

// Blocks SIGTERM, SIGINT and SIGHUP in this thread and those it starts; ignores SIGPIPE.
sigset_t blockDaemonSignals();

// Waits for signals of `signals`: runs reload() for each SIGHUP, returns the first stop signal.
int waitForStop(const sigset_t& signals, const std::function<void()>& reload);

// A thread doing waitForStop, then on_stop(signal). Destroying it before a stop signal came (the
// server ended by itself) wakes and joins the thread without running on_stop.
class SignalThread {
 public:
  SignalThread(sigset_t signals, std::function<void()> reload, std::function<void(int)> on_stop);
  ~SignalThread();
  SignalThread(const SignalThread&) = delete;
  SignalThread& operator=(const SignalThread&) = delete;

 private:
  std::atomic<bool> leaving_{false};
  std::thread thread_;
};

}  // namespace waybill::runtime
