"""An authoritative DNS server on 127.0.0.1 for tests, over UDP and TCP, serving zones given as
zone-file text (dnspython parses and answers them). Names outside every zone are REFUSED;
names in a zone without the asked type get an empty answer (NODATA), absent names NXDOMAIN;
CNAMEs are followed inside the zones, as a resolver would see them.

    with DnsServer({"good.example": ZONE_TEXT}) as server:
        run(["waybill", "dns", "check", "--resolver", f"127.0.0.1:{server.port}"])
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone


class DnsServer:
    def __init__(self, zones: dict[str, str]) -> None:
        self.zones = {dns.name.from_text(origin): dns.zone.from_text(text, origin=origin, relativize=False)
                      for origin, text in zones.items()}
        self.queries: list[tuple[str, str]] = []
        self.port = 0

    def __enter__(self) -> "DnsServer":
        server = self

        class Udp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                reply = server.answer(data, udp=True)
                if reply:
                    sock.sendto(reply, self.client_address)

        class Tcp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                head = self.request.recv(2)
                if len(head) < 2:
                    return
                (length,) = struct.unpack("!H", head)
                data = b""
                while len(data) < length:
                    chunk = self.request.recv(length - len(data))
                    if not chunk:
                        return
                    data += chunk
                reply = server.answer(data, udp=False)
                if reply:
                    self.request.sendall(struct.pack("!H", len(reply)) + reply)

        # One port for both: bind UDP first on port 0, then TCP on the same number.
        for _ in range(20):
            self._udp = socketserver.ThreadingUDPServer(("127.0.0.1", 0), Udp)
            self.port = self._udp.server_address[1]
            try:
                self._tcp = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Tcp)
                break
            except OSError:
                self._udp.server_close()
        else:
            raise RuntimeError("no free port for both UDP and TCP")
        self._threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (self._udp, self._tcp)]
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        for s in (self._udp, self._tcp):
            s.shutdown()
            s.server_close()

    def zone_of(self, name: dns.name.Name):
        for origin, zone in self.zones.items():
            if name.is_subdomain(origin):
                return zone
        return None

    def answer(self, wire: bytes, udp: bool) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        reply = dns.message.make_response(query)
        question = query.question[0]
        self.queries.append((question.name.to_text(omit_final_dot=True), dns.rdatatype.to_text(question.rdtype)))
        zone = self.zone_of(question.name)
        if zone is None:
            reply.set_rcode(dns.rcode.REFUSED)
            return reply.to_wire()
        reply.flags |= dns.flags.AA
        name = question.name
        for _ in range(8):  # CNAME chain, bounded
            node = zone.get_node(name)
            if node is None:
                if name == question.name:
                    reply.set_rcode(dns.rcode.NXDOMAIN)
                break
            cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if cname is not None and question.rdtype != dns.rdatatype.CNAME:
                reply.answer.append(dns.rrset.from_rdata_list(name, cname.ttl, list(cname)))
                name = cname[0].target
                if self.zone_of(name) is not zone:
                    break
                continue
            found = node.get_rdataset(dns.rdataclass.IN, question.rdtype)
            if found is not None:
                reply.answer.append(dns.rrset.from_rdata_list(name, found.ttl, list(found)))
            break
        limit = max(query.payload, 512) if udp else 65535
        try:
            return reply.to_wire(max_size=limit)
        except dns.exception.TooBig:
            reply.answer.clear()
            reply.flags |= dns.flags.TC
            return reply.to_wire()
