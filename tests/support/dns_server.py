"""A real DNS server on a loopback UDP port (dnslib), for the dns kind's tests.

    server = DnsServer({"up.test": {"A": ["192.0.2.10"], "TXT": ["v=spf1 -all"]}}).start()
    server.address                      # "127.0.0.1:<port>", a dns_resolver value
    server.servfail.add("broken.test")  # this name now answers SERVFAIL
    server.stop()

A name not in the zone is NXDOMAIN; a name in it without the type asked is an empty answer
(NOERROR, no records). `silent()` is a UDP port that takes queries and never answers.
"""

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from dnslib import AAAA, CNAME, MX, NS, QTYPE, RCODE, RR, TXT, A, DNSLabel
from dnslib.server import BaseResolver, DNSLogger, DNSServer

_RDATA = {
    "A": A,
    "AAAA": AAAA,
    "CNAME": CNAME,
    "NS": NS,
    "TXT": TXT,
    # "10 mail.test" -> MX(mail.test, 10)
    "MX": lambda text: MX(text.split()[1], int(text.split()[0])),
}


class _ZoneResolver(BaseResolver):
    def __init__(self, server: "DnsServer") -> None:
        self.server = server

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        record_type = QTYPE[request.q.qtype]
        self.server.queries.append((name, record_type))
        self.server.clients.append(handler.client_address[0])
        if name in self.server.servfail:
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        records = self.server.zone.get(name)
        if records is None:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for value in records.get(record_type, []):
            reply.add_answer(
                RR(DNSLabel(name), getattr(QTYPE, record_type), rdata=_RDATA[record_type](value),
                   ttl=60)
            )
        return reply


class DnsServer:
    def __init__(self, zone: dict[str, dict[str, list[str]]], host: str = "127.0.0.1") -> None:
        self.zone = {name.lower(): records for name, records in zone.items()}
        self.servfail: set[str] = set()
        self.queries: list[tuple[str, str]] = []
        # The address each query came from (UPTIME_SOURCE_ADDRESS tests).
        self.clients: list[str] = []
        self.host = host
        self._server: DNSServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server.server_address[1]

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> "DnsServer":
        self._server = DNSServer(
            _ZoneResolver(self), address=self.host, port=0,
            logger=DNSLogger(logf=lambda text: None),
        )
        self._server.start_thread()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server.server.server_close()
            self._server = None


@contextmanager
def silent(host: str = "127.0.0.1") -> Iterator[str]:
    """A bound UDP port that never answers: a resolver that times out. Yields ip:port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, 0))
    try:
        yield f"{host}:{sock.getsockname()[1]}"
    finally:
        sock.close()
