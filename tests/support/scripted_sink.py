"""A small SMTP server on 127.0.0.1 that answers each recipient as a script says, and records
every answer it gave: for delivery-status tests (waybill-logd), where smtp-sink's all-or-nothing
modes are not enough.

    sink = ScriptedSink(port, answer=lambda address: "450 4.2.0 try later" if ... else None)
    sink.start()
    ...
    sink.answers["a@example.com"]  # ["450 4.2.0 try later", "250 2.1.5 Ok"]
    sink.deliveries                 # [(recipients, data bytes, "250 2.0.0 Ok: queued as S1")]

answer(address) returns the RCPT reply line, or None for "250 2.1.5 Ok". No PIPELINING, no
extensions: Postfix's smtp client then sends one command at a time. Every loop is bounded by the
socket timeout.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections import defaultdict
from typing import Callable

LOOPBACK = "127.0.0.1"


class ScriptedSink:
    def __init__(self, port: int, answer: Callable[[str], str | None]) -> None:
        self.port = port
        self.answer = answer
        self.lock = threading.Lock()
        self.answers: dict[str, list[str]] = defaultdict(list)
        self.deliveries: list[tuple[list[str], bytes, str]] = []
        self._counter = 0
        self._server: socketserver.ThreadingTCPServer | None = None

    def start(self) -> None:
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 30

            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 scripted-sink ESMTP")
                recipients: list[str] = []
                while True:
                    raw = self.rfile.readline(4096)
                    if not raw:
                        return
                    command = raw.decode(errors="replace").rstrip("\r\n")
                    verb = command[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250 scripted-sink")
                    elif verb == "MAIL":
                        recipients = []
                        self.reply("250 2.1.0 Ok")
                    elif verb == "RCPT":
                        address = command.split(":", 1)[1].strip().split(" ")[0].strip("<>").lower()
                        line = sink.answer(address) or "250 2.1.5 Ok"
                        with sink.lock:
                            sink.answers[address].append(line)
                        if line.startswith("250"):
                            recipients.append(address)
                        self.reply(line)
                    elif verb == "DATA":
                        if not recipients:
                            self.reply("554 5.5.1 Error: no valid recipients")
                            continue
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        data = bytearray()
                        while True:
                            chunk = self.rfile.readline(1 << 20)
                            if not chunk or chunk == b".\r\n":
                                break
                            data += chunk
                        with sink.lock:
                            sink._counter += 1
                            final = f"250 2.0.0 Ok: queued as SINK{sink._counter:05d}"
                            sink.deliveries.append((list(recipients), bytes(data), final))
                        self.reply(final)
                        recipients = []
                    elif verb == "RSET":
                        recipients = []
                        self.reply("250 2.0.0 Ok")
                    elif verb == "QUIT":
                        self.reply("221 2.0.0 Bye")
                        return
                    else:
                        self.reply("250 2.0.0 Ok")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server((LOOPBACK, self.port), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def delivered_to(self, address: str) -> list[tuple[bytes, str]]:
        with self.lock:
            return [(data, final) for rcpts, data, final in self.deliveries if address.lower() in rcpts]


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((LOOPBACK, port))
            return True
        except OSError:
            return False
