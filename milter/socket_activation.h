// Systemd socket activation for waybill-milter. libmilter only takes a "proto:address" string
// and opens the socket itself (socket, setsockopt, bind, listen), so this file interposes bind()
// and listen() in the executable: while armed, libmilter's bind of a socket of the passed
// socket's family turns the new descriptor into the passed one (dup3) and listen() keeps the
// holder's backlog. Everything else goes to libc's functions untouched.
//
//   auto passed = milter::takeActivatedSocket();      // before smfi_setconn
//   if (*passed) spec = passed->libmilter_spec;        // same family and address as the socket
//   milter::armSocketAdoption(*passed);  smfi_opensocket(false);  milter::disarmSocketAdoption();
#pragma once

#include <optional>
#include <string>

#include "util/result.h"

namespace waybill::milter {

struct ActivatedSocket {
  int fd = -1;
  int family = 0;
  std::string libmilter_spec;  // e.g. "inet:8891@[127.0.0.1]" or "unix:/run/waybill/milter.sock"
  std::string unix_path;       // empty unless AF_UNIX
};

// The one listening socket passed by systemd (LISTEN_FDS/LISTEN_PID), if any; an error when
// several were passed or the socket is not usable (abstract UNIX name, not listening).
Result<std::optional<ActivatedSocket>> takeActivatedSocket();

// Between these two calls, the next bind() of a socket of `passed.family` adopts `passed.fd`,
// and unlink() of its UNIX path is refused for the rest of the process (the path belongs to
// the socket unit and must survive our exit).
void armSocketAdoption(const ActivatedSocket& passed);
// True once libmilter's bind() adopted the passed socket.
bool disarmSocketAdoption();
// libmilter's listening descriptor once smfi_opensocket has run (-1 before).
int listeningSocket();
// Run in libmilter's listener each time it accepts a connection on its listening socket, before
// the session's thread starts: a session counts from then, not from its connect step.
void setOnAccepted(void (*accepted)());
// Run by libmilter's signal thread on SIGTERM/SIGINT before libmilter stops, with accept() on
// the milter socket refused meanwhile: waits for open sessions to end (libmilter would cut them).
void setDrainBeforeStop(void (*drain)());
// Run by libmilter's signal thread on SIGHUP, which libmilter itself would take as a stop: the
// signal is kept from libmilter (its sigwait waits again) and this reloads instead.
void setReloadOnHangup(void (*reload)());

}  // namespace waybill::milter
