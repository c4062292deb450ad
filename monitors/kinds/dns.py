"""Kind `dns`: ask a resolver for one record type of a name and compare the answers.

The target is `dns://hostname`; the options are dns_record_type, dns_expected (every value
listed must be among the answers; empty: any answer will do) and dns_resolver (`ip[:port]`;
empty: the system's resolvers, from /etc/resolv.conf). A resolver given explicitly is an
address the check sends packets to, so it passes the private-network guard first; the system's
resolvers are the operator's own configuration and are not guarded.
"""

import ipaddress
import re
import time
from urllib.parse import urlsplit

import dns.exception
import dns.nameserver
import dns.resolver
from django.core.exceptions import ValidationError

from ..netguard import AddressPolicy, BlockedAddressError
from ..outcomes import CheckSpec, Outcome, ProbeResult
from . import Executor

MESSAGE_CHARS = 200
DEFAULT_PORT = 53
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")


def is_hostname(name: str) -> bool:
    """A DNS name of letters, digits, hyphens and underscores (_dmarc, _sip._tcp), at most
    253 characters, an optional final dot."""
    name = name[:-1] if name.endswith(".") else name
    return 0 < len(name) <= 253 and all(_LABEL.match(label) for label in name.split("."))


def target_name(url: str) -> str:
    """The name in `dns://name` (no port, path, query or credentials), or ValidationError."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise ValidationError("Enter a DNS target as dns://hostname.", code="invalid") from None
    if parts.scheme.lower() != "dns":
        raise ValidationError(
            "A dns check's target is dns://hostname (got %(scheme)s).",
            code="invalid_scheme",
            params={"scheme": f"{parts.scheme}:" if parts.scheme else "no scheme"},
        )
    name = parts.netloc
    if parts.path not in ("", "/") or parts.query or parts.fragment or not is_hostname(name):
        raise ValidationError(
            "A dns check's target is dns://hostname, e.g. dns://example.com, with no port "
            "or path (the resolver is set in dns_resolver).",
            code="invalid",
        )
    return name.lower()


def parse_resolver(value: str) -> tuple[str, int]:
    """`ip`, `ip:port`, `[ipv6]:port` or a bare IPv6 address -> (ip, port); ValueError."""
    value = value.strip()
    port = DEFAULT_PORT
    if value.startswith("["):
        address, _, rest = value[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(value)
            port = int(rest[1:])
    elif value.count(":") == 1:
        address, _, port_text = value.partition(":")
        port = int(port_text)
    else:
        address = value
    if not 1 <= port <= 65535:
        raise ValueError(value)
    return str(ipaddress.ip_address(address)), port


def answer_text(rdata, record_type: str) -> str:
    """One answer as a person writes it: 203.0.113.7, mail.example.com (no final dot),
    "10 mail.example.com" for MX, the joined strings of a TXT record."""
    if record_type == "TXT":
        return b"".join(rdata.strings).decode("utf-8", "replace")
    if record_type == "MX":
        return f"{rdata.preference} {rdata.exchange.to_text().rstrip('.')}"
    if record_type in ("CNAME", "NS"):
        return rdata.target.to_text().rstrip(".")
    return rdata.to_text()


def normalized(value: str, record_type: str) -> str:
    value = value.strip()
    if record_type in ("A", "AAAA"):
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            return value
    if record_type == "TXT":
        return value
    return value.rstrip(".").lower()


def missing_answers(expected: list[str], answers: list[str], record_type: str) -> list[str]:
    """The expected values that no answer matches. An MX expectation may name the exchange
    alone ("mail.example.com") or with its preference ("10 mail.example.com")."""
    seen = {normalized(answer, record_type) for answer in answers}
    if record_type == "MX":
        seen |= {answer.split(" ", 1)[-1] for answer in seen}
    return [value for value in expected if normalized(value, record_type) not in seen]


def cut(text: str) -> str:
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…"


class DnsExecutor(Executor):

    def __init__(self, *, allow_private: bool,
                 allowed_addresses: frozenset[str] = frozenset(),
                 source_address: str | None = None) -> None:
        self.policy = AddressPolicy(allow_private, allowed_addresses)
        # Queries leave from it (UPTIME_SOURCE_ADDRESS), like every kind's connections.
        self.source_address = source_address

    @classmethod
    def validate_target(cls, url: str) -> None:
        target_name(url)

    def run(self, spec: CheckSpec) -> ProbeResult:
        started = time.monotonic()
        try:
            outcome, message = self._query(spec)
        except Exception as exc:
            # Celery's soft time limit arrives as an exception; the task must see it.
            if type(exc).__name__ == "SoftTimeLimitExceeded":
                raise
            outcome, message = Outcome.ERROR, f"DNS check failed: {type(exc).__name__}: {exc}"
        elapsed_ms = int((time.monotonic() - started) * 1000)
        return ProbeResult(outcome, cut(message), None, elapsed_ms)

    def _query(self, spec: CheckSpec) -> tuple[Outcome, str]:
        try:
            name = target_name(spec.url)
        except ValidationError as error:
            return Outcome.INVALID_URL, error.messages[0]
        options = spec.options
        record_type = options.get("dns_record_type") or "A"
        expected = [str(value) for value in options.get("dns_expected") or []]
        resolver_text = (options.get("dns_resolver") or "").strip()
        seconds = max(0.1, float(spec.timeout_seconds))
        if resolver_text:
            try:
                address, port = parse_resolver(resolver_text)
            except ValueError:
                return Outcome.INVALID_URL, f"invalid resolver {resolver_text[:60]!r}"
            try:
                self.policy.check(address)
            except BlockedAddressError as exc:
                return Outcome.BLOCKED_ADDRESS, f"resolver {exc}"
            resolver = dns.resolver.Resolver(configure=False)
            resolver.nameservers = [dns.nameserver.Do53Nameserver(address, port)]
            where = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
        else:
            try:
                resolver = dns.resolver.Resolver()
            except dns.resolver.NoResolverConfiguration:
                return Outcome.DNS_FAILURE, "this machine has no DNS resolver configured"
            where = "the system's resolver"
        # One attempt may take the whole budget; the lifetime bounds every retry together.
        resolver.timeout = resolver.lifetime = seconds
        try:
            answer = resolver.resolve(name, record_type, search=False,
                                      source=self.source_address)
        except dns.resolver.NXDOMAIN:
            return Outcome.DNS_FAILURE, f"{name} does not exist (NXDOMAIN from {where})"
        except dns.resolver.NoAnswer:
            return Outcome.DNS_FAILURE, (
                f"{name} has no {record_type} record (no answer from {where})"
            )
        except dns.resolver.NoNameservers as exc:
            return Outcome.DNS_FAILURE, f"{where} failed to answer for {name}: {_rcodes(exc)}"
        except dns.exception.Timeout:
            return Outcome.DNS_FAILURE, (
                f"timed out: {where} did not answer for {name} within {seconds:.1f} s"
            )
        except dns.exception.DNSException as exc:
            return Outcome.DNS_FAILURE, f"{name} {record_type}: {exc}"
        answers = [answer_text(rdata, record_type) for rdata in answer]
        listed = ", ".join(answers)
        if missing := missing_answers(expected, answers, record_type):
            return Outcome.ASSERTION_FAILED, (
                f"{record_type} {name}: expected {', '.join(missing)}; got {listed}"
            )
        return Outcome.OK, f"{record_type} {name}: {listed}"


def _rcodes(exc: dns.resolver.NoNameservers) -> str:
    """SERVFAIL, REFUSED…: what each resolver said, from the errors dnspython collected."""
    said = []
    for error in exc.kwargs.get("errors") or []:
        reason = error[3] if len(error) > 3 else None
        text = str(reason) if reason is not None else "error"
        match = re.search(r"\b(SERVFAIL|REFUSED|NOTIMP|FORMERR|NOTAUTH|NOTZONE)\b", text)
        said.append(match.group(1) if match else text)
    return ", ".join(dict.fromkeys(said)) or "SERVFAIL"
