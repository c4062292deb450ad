import functools
import secrets
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models, transaction
from django.db.models.expressions import Col
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from uptime.budgets import CheckLimits

from . import kinds
from .certificates import expires_soon
from .outcomes import UP_OUTCOMES, CertificateSeen, CheckSpec, Outcome, ProbeResult
from .urlsecrets import mask_password
from .validators import (
    validate_assertions,
    validate_dns_expected,
    validate_dns_resolver,
    validate_regions,
    validate_request_headers,
    validate_status_codes,
)


def min_interval_validator(value: int) -> None:
    # Read at validation time, not import time, so the setting can change per environment.
    minimum = settings.UPTIME_MIN_INTERVAL_SECONDS
    if value < minimum:
        raise ValidationError(
            "Checks may run at most every %(minimum)s seconds.", params={"minimum": minimum}
        )


def max_timeout_validator(value: int) -> None:
    maximum = settings.UPTIME_MAX_TIMEOUT_SECONDS
    if value > maximum:
        raise ValidationError(
            "The timeout may be at most %(maximum)s seconds.", params={"maximum": maximum}
        )


def new_badge_key() -> str:
    return secrets.token_urlsafe(16)


class Monitor(models.Model):
    class Status(models.TextChoices):
        UNKNOWN = "unknown", "Unknown"
        UP = "up", "Up"
        # Failing, but fewer times in a row than the failure threshold: trouble building up,
        # no incident yet (Uptime Kuma's PENDING).
        PENDING = "pending", "Pending"
        DOWN = "down", "Down"
        # Up, but not well: a check marked "degrade" failed, or the certificate expires
        # within tls_warn_days. Never opens an incident.
        DEGRADED = "degraded", "Degraded"
        PAUSED = "paused", "Paused"

    class Kind(models.TextChoices):
        # One executor per kind (monitors/kinds/); `url` is the target in each kind's form.
        HTTP = "http", "HTTP(S)"
        TCP = "tcp", "TCP port"
        DNS = "dns", "DNS record"
        TLS = "tls", "TLS certificate"
        POSTGRES = "postgres", "PostgreSQL"
        REDIS = "redis", "Redis"
        # No target: the monitored job pings its ping_url; the check is that it did in time.
        HEARTBEAT = "heartbeat", "Heartbeat (cron job)"

    class DnsRecordType(models.TextChoices):
        A = "A"
        AAAA = "AAAA"
        CNAME = "CNAME"
        MX = "MX"
        TXT = "TXT"
        NS = "NS"

    class Method(models.TextChoices):
        GET = "GET"
        HEAD = "HEAD"
        POST = "POST"
        PUT = "PUT"
        PATCH = "PATCH"
        DELETE = "DELETE"
        OPTIONS = "OPTIONS"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="monitors"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.HTTP)
    # Validated by the kind's executor in clean(): each kind takes targets of its own form.
    url = models.CharField("URL", max_length=2000, blank=True)
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.GET)
    expected_status_codes = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_status_codes],
        help_text="A list such as [200, 204]. Empty means any 2xx status is up.",
    )
    request_headers = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_request_headers],
        help_text="Extra request headers. Auth headers are dropped if a redirect leaves the host.",
    )
    timeout_seconds = models.PositiveIntegerField(
        default=10, validators=[MinValueValidator(1), max_timeout_validator]
    )
    interval_seconds = models.PositiveIntegerField(
        default=60, validators=[min_interval_validator, MaxValueValidator(7 * 24 * 3600)]
    )
    failure_threshold = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="Consecutive failed checks before an incident opens.",
    )
    regions = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_regions],
        help_text="Check from each of these regions (queue checks.<region>), e.g. "
        "[\"us\", \"in\"]. Empty: the default checks queue.",
    )
    quorum = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="How many regions must be failing for an incident. Empty: a majority.",
    )
    channels = models.ManyToManyField(
        "notifications.NotificationChannel",
        blank=True,
        related_name="monitors",
        help_text="Notify only these channels. Empty: all of the owner's enabled channels.",
    )
    is_paused = models.BooleanField(default=False)

    # Options of some kinds; the defaults leave every other kind unchanged.
    assertions = models.JSONField(
        default=list,
        blank=True,
        help_text="http: checks on the response, in order (see the README's check kinds).",
    )
    dns_record_type = models.CharField(
        max_length=5, choices=DnsRecordType.choices, default=DnsRecordType.A
    )
    dns_expected = models.JSONField(
        default=list,
        blank=True,
        help_text="dns: the answers expected, e.g. [\"203.0.113.7\"]. Empty: any answer.",
    )
    dns_resolver = models.CharField(
        max_length=60,
        blank=True,
        help_text="dns: the resolver to ask, ip[:port]. Empty: the system's.",
    )
    tls_warn_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="tls, and http on https://: a certificate expiring within this many days "
        "makes the monitor degraded, and every channel is told once per certificate.",
    )
    grace_seconds = models.PositiveIntegerField(
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 3600)],
        help_text="heartbeat: how late a ping may be (after the interval) before it is missed.",
    )
    # heartbeat: the secret in the ping URL. Unguessable (a random UUID), so it needs no auth.
    ping_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The unguessable part of the monitor's public badge URLs (/badge/<key>/...): a badge shows
    # only its status and figures, so it can sit in a README without exposing the account.
    badge_key = models.CharField(max_length=32, unique=True, default=new_badge_key,
                                 editable=False)
    # heartbeat: the last success ping, the /start of the run in progress (its success or
    # failure ping clears it), and when the monitor began to expect
    # pings (created, resumed, or made a heartbeat): the deadline counts from the latest.
    last_ping_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_start_at = models.DateTimeField(null=True, blank=True, editable=False)
    expecting_pings_since = models.DateTimeField(null=True, blank=True, editable=False)
    # The certificate the last TLS check saw (tls, and http on https://), and the fingerprint
    # of the one whose expiry was last announced: one certificate.expiring per certificate.
    certificate_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    certificate_warned_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    # Current state, written only by Monitor.record() inside the check transaction.
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNKNOWN)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_response_ms = models.PositiveIntegerField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    # A check in flight holds this lease; a second delivery of the same or the next check
    # finds it taken and steps aside (see Monitor.claim_check).
    check_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    # The message whose check holds the lease. Meaningful only while the lease is: a second
    # delivery of that message means its first consumer died (see Monitor.claim_check).
    check_lease_task_id = models.CharField(max_length=64, blank=True, default="",
                                           editable=False)

    periodic_task = models.OneToOneField(
        PeriodicTask,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="monitor",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["owner", "status"]),
            # Lists page through monitors in name order (the dashboard, the API): these let a
            # page be read off an index instead of sorting every monitor for each request.
            models.Index(fields=["name", "id"], name="monitor_name_order"),
            models.Index(fields=["owner", "name", "id"], name="monitor_owner_name_order"),
        ]

    def __str__(self) -> str:
        return self.name

    # --- validation and persistence -----------------------------------------------------

    def save(self, *args, **kwargs) -> None:
        # The schedule is part of the monitor: both commit or neither does, whatever saved it.
        with transaction.atomic():
            if self.is_paused:
                self.status = self.Status.PAUSED
            elif self.status == self.Status.PAUSED:
                self.status = self.Status.UNKNOWN
            if self.kind == self.Kind.HEARTBEAT:
                self.url = ""
                if self.expecting_pings_since is None:
                    self.expecting_pings_since = timezone.now()
            else:
                self.expecting_pings_since = None
            super().save(*args, **kwargs)
            from .schedule import sync_schedule

            self.sync_region_states()
            sync_schedule(self)

    def clean(self) -> None:
        super().clean()
        # The kinds' options, checked here rather than as field validators so that their rules
        # can change without a migration.
        option_errors = {}
        for field, validate in (("assertions", validate_assertions),
                                ("dns_expected", validate_dns_expected),
                                ("dns_resolver", validate_dns_resolver)):
            try:
                validate(getattr(self, field))
            except ValidationError as error:
                option_errors[field] = error.messages
        if option_errors:
            raise ValidationError(option_errors)
        if self.quorum and self.quorum > len(self.regions or []):
            raise ValidationError({"quorum": (
                f"The quorum can be at most the number of regions ({len(self.regions or [])})."
                if self.regions else "A quorum needs regions to count.")})
        if self.kind == self.Kind.HEARTBEAT:
            if self.regions:
                raise ValidationError({"regions": "A heartbeat is pinged, not checked from a "
                                                  "region; leave regions empty."})
            # Nothing else to validate: a heartbeat has no target (save() clears a leftover one).
        elif not self.url:
            raise ValidationError({"url": f"A {self.get_kind_display()} check needs a URL."})
        else:
            try:
                kinds.validate_target(self.kind, self.url)
            except ValidationError as error:
                field = "kind" if error.code == "kind" else "url"
                raise ValidationError({field: error.messages}) from None
        if self.timeout_seconds and self.interval_seconds:
            if self.timeout_seconds >= self.interval_seconds:
                raise ValidationError(
                    {"timeout_seconds": "The timeout must be shorter than the interval."}
                )

    def pause(self) -> None:
        self.is_paused = True
        self.save()

    def resume(self) -> None:
        self.is_paused = False
        self.consecutive_failures = 0
        # A heartbeat gets a full interval and grace before a ping is missed: none was
        # expected while it was paused.
        self.expecting_pings_since = None
        self.save()

    # --- checking -------------------------------------------------------------------------

    @property
    def check_queue(self) -> str:
        """The queue of a check without a region: the first region's for a monitor with
        regions (where a stock beat's single message goes, to be fanned out: tasks.py)."""
        return queue_for(self.regions[0]) if self.regions else "checks"

    @property
    def quorum_needed(self) -> int:
        from .quorum import default_quorum

        return min(self.quorum or default_quorum(len(self.regions)), len(self.regions)) or 1

    def region_dots(self) -> list[dict]:
        """Each region's status as the dashboard's dots show it ("stale" for a region gone
        quiet), in the order of `regions`. Uses prefetched states (or those a check just
        read), else one query."""
        if not self.regions:
            return []
        dots = getattr(self, "_region_dots", None)
        if dots is None:
            now = timezone.now()
            by_region = {state.region: state for state in self.region_states.all()}
            dots = [{"region": name, "status": (
                "stale" if is_stale_state(by_region[name], self, now)
                else by_region[name].status)} for name in self.regions if name in by_region]
        return dots

    def sync_region_states(self) -> None:
        """One RegionState per region listed: a new region starts unknown, a region taken off
        the list takes its state with it."""
        wanted = list(self.regions or [])
        self.region_states.exclude(region__in=wanted).delete()
        have = set(self.region_states.values_list("region", flat=True))
        RegionState.objects.bulk_create(
            [RegionState(monitor=self, region=name) for name in wanted if name not in have])

    def claim_region(self, region: str, *, scheduled: bool, task_id: str | None = None,
                     redelivered: bool = False) -> "RegionState | None":
        """claim_check for one region of a monitor with regions: the same rules, on that
        region's row (this instance must be loaded). None if the check steps aside."""
        now = timezone.now()
        free = models.Q(check_lease_until__isnull=True) | models.Q(check_lease_until__lt=now)
        if task_id and redelivered:
            free |= models.Q(check_lease_task_id=task_id)
        rows = RegionState.objects.filter(monitor=self, region=region).filter(free)
        if scheduled:
            rows = rows.filter(models.Q(last_checked_at__isnull=True) | models.Q(
                last_checked_at__lte=now - timedelta(seconds=self.interval_seconds / 2)))
        if task_id and CheckResult.objects.filter(task_id=task_id).exists():
            return None
        lease = self.timeout_seconds + settings.UPTIME_CHECK_BUDGET.lease_beyond_timeout
        if not rows.update(check_lease_until=now + timedelta(seconds=lease),
                           check_lease_task_id=task_id or ""):
            return None
        return RegionState.objects.filter(monitor=self, region=region).first()

    def record_in_region(self, state: "RegionState", result: ProbeResult, *, checked_at,
                         task_id: str | None = None):
        """record() for one region's check: store the result, update that region's state,
        and derive the monitor's status from all its regions (monitors/quorum.py). Returns
        (check, verdict), or None if the monitor is gone.

        Call inside a transaction. The monitor's row is locked first, so the checks of its
        regions record one after another and each verdict sees the others' latest state.
        """
        from .quorum import RegionReading, verdict

        locked = (Monitor.objects.select_for_update().filter(pk=self.pk)
                  .values_list("is_paused", "failure_threshold", "status").first())
        if locked is None:
            return None
        is_paused, threshold, status = locked
        answered = result.status_code is not None or result.is_up
        response_ms = result.response_ms if answered else None
        state.apply(result, checked_at=checked_at, response_ms=response_ms, threshold=threshold)
        check = CheckResult.objects.create(
            monitor=self, checked_at=checked_at, outcome=result.outcome,
            status_code=result.status_code, response_ms=response_ms,
            error="" if result.outcome == Outcome.OK else result.message[:500],
            region=state.region, task_id=task_id,
        )
        now = timezone.now()
        order = {name: index for index, name in enumerate(self.regions or [])}
        states = sorted(self.region_states.all(), key=lambda s: order.get(s.region, len(order)))
        readings = [RegionReading(
            region=other.region, consecutive_failures=other.consecutive_failures,
            last_checked_at=other.last_checked_at,
            degraded=other.status == Monitor.Status.DEGRADED,
            last_outcome=other.last_outcome, last_error=other.last_error,
            stale=other.region != state.region and is_stale_state(other, self, now),
        ) for other in states]
        from incidents.models import Incident

        seen = verdict(readings, threshold=threshold, quorum=self.quorum_needed,
                       incident_open=Incident.objects.open().filter(monitor=self).exists())
        by_region = {reading.region: reading for reading in readings}
        self._region_dots = [
            {"region": name, "status": "stale" if by_region[name].stale else next(
                other.status for other in states if other.region == name)}
            for name in self.regions if name in by_region]
        self.status = status if is_paused else seen.status
        self.is_paused, self.failure_threshold = is_paused, threshold
        self.consecutive_failures = max(
            [r.consecutive_failures for r in readings if not r.stale], default=0)
        self.last_checked_at, self.last_response_ms = checked_at, response_ms
        fields = {"status": self.status, "consecutive_failures": self.consecutive_failures,
                  "last_checked_at": checked_at, "last_response_ms": response_ms}
        certificate = result.certificate
        if certificate is not None:
            self.certificate_expires_at = fields["certificate_expires_at"] = (
                certificate.expires_at)
        Monitor.objects.filter(pk=self.pk).update(**fields)
        if certificate is not None:
            self.warn_certificate_expiring(certificate)
        return check, seen

    @property
    def schedule_seconds(self) -> int:
        """How often the PeriodicTask runs a check: the interval, except for a heartbeat,
        whose deadline is looked at every minute at most (or more often, for a short interval
        or grace), so a missed ping is noticed within a minute of its deadline, not up to an
        interval later."""
        if self.kind != self.Kind.HEARTBEAT:
            return self.interval_seconds
        return max(settings.UPTIME_MIN_INTERVAL_SECONDS,
                   min(self.interval_seconds, self.grace_seconds, 60))

    @property
    def gap_allowance_seconds(self) -> int:
        """How long after its last check a monitor may go unchecked before that is a
        monitoring gap: two intervals and a timeout (one late tick is not a gap). A heartbeat's
        results are its pings and misses, so it may wait its interval and grace, plus two of
        its deadline looks. monitors.gaps writes the same rule in SQL."""
        if self.kind == self.Kind.HEARTBEAT:
            return self.interval_seconds + self.grace_seconds + 2 * max(
                60, settings.UPTIME_MIN_INTERVAL_SECONDS)
        return 2 * self.interval_seconds + self.timeout_seconds

    @property
    def ping_url(self) -> str:
        """heartbeat: where the job reports; "" for other kinds."""
        if self.kind != self.Kind.HEARTBEAT:
            return ""
        return f"{settings.SITE_URL.rstrip('/')}/ping/{self.ping_token}"

    @property
    def badge_url(self) -> str:
        """The public status badge; the others (uptime, response time) are badge_url_for()."""
        return self.badge_url_for("status")

    def replace_badge_key(self) -> None:
        """New badge links for a key that leaked: every old link answers 404 from now on.

        Written alone, without save(): nothing that is checked changes, so no live event, no
        check at once, and updated_at (which the gap detector reads) stays as it was."""
        self.badge_key = new_badge_key()
        Monitor.objects.filter(pk=self.pk).update(badge_key=self.badge_key)

    def badge_url_for(self, badge: str) -> str:
        """Where the badge named `badge` (uptime/badges.py) is served to anyone: an image for
        a README or a wiki, with badge_key as its only secret."""
        path = reverse("badge", kwargs={"key": self.badge_key, "name": badge})
        return f"{settings.SITE_URL.rstrip('/')}{path}"

    @property
    def limits(self) -> CheckLimits:
        return settings.UPTIME_CHECK_BUDGET.limits_for(self.timeout_seconds)

    def check_spec(self) -> CheckSpec:
        return CheckSpec(
            kind=self.kind,
            url=self.url,
            method=self.method,
            expected_status_codes=tuple(self.expected_status_codes or ()),
            timeout_seconds=self.limits.request_deadline,
            headers=tuple((self.request_headers or {}).items()),
            options={
                "assertions": self.assertions or [],
                "dns_record_type": self.dns_record_type,
                "dns_expected": self.dns_expected or [],
                "dns_resolver": self.dns_resolver,
                "tls_warn_days": self.tls_warn_days,
                "interval_seconds": self.interval_seconds,
                "grace_seconds": self.grace_seconds,
                "last_ping_at": self.last_ping_at,
                "last_start_at": self.last_start_at,
                "expecting_pings_since": self.expecting_pings_since,
                "last_checked_at": self.last_checked_at,
            },
        )

    # What a check needs after claiming, returned by the claim itself (see claim_check).
    CLAIM_FIELDS = (
        "id", "owner_id", "name", "kind", "url", "method", "expected_status_codes",
        "request_headers", "assertions", "dns_record_type", "dns_expected", "dns_resolver",
        "tls_warn_days", "grace_seconds", "last_ping_at", "last_start_at", "expecting_pings_since",
        "certificate_expires_at", "certificate_warned_fingerprint",
        "timeout_seconds", "interval_seconds", "failure_threshold", "is_paused", "status",
        "last_checked_at", "last_response_ms", "consecutive_failures", "check_lease_until",
        "updated_at", "regions",
    )

    def claim_check(self, *, scheduled: bool, task_id: str | None = None,
                    redelivered: bool = False) -> bool:
        """Compare-and-set the check lease; True if this caller may run the check now.

        A scheduled check also steps aside when the last check started less than half an
        interval ago: that is a duplicate delivery (two beats, a broker redelivery), not a
        new tick. (last_checked_at is when a check started, so one that waited out a long
        timeout does not make the next slot look like a duplicate.) A check-now request
        skips that test but still respects the lease. With a task_id, a message whose
        result is already stored steps aside too.

        A `redelivered` message (the broker's flag) that holds the lease itself takes it
        over: a broker delivers a message again once its first consumer is gone (a prefork
        child killed: Celery requeues the message at once; a worker killed: RabbitMQ as soon
        as its connection drops), and the dead check's lease would otherwise turn the
        redelivery away and leave its slot unchecked until the lease ends. Should the first
        consumer still be alive (a connection dropped under it), both probe and the unique
        task_id keeps one result.

        One statement, one round trip: a conditional UPDATE ... RETURNING (PostgreSQL, and
        SQLite >= 3.35) that also loads CLAIM_FIELDS into this instance and sets
        `has_open_incident`, so the check needs no other query before it records. The lease
        lasts the monitor's own claim_lease (uptime/budgets.py), computed from the row.
        """
        connection = connections[Monitor.objects.db]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        take_over = bool(task_id) and redelivered
        params: list = [now, settings.UPTIME_CHECK_BUDGET.lease_beyond_timeout, task_id or "",
                        self.pk, now]
        if take_over:
            params.append(task_id)
        if scheduled:
            params.append(now)
        if task_id:
            params.append(task_id)
        with connection.cursor() as cursor:
            cursor.execute(
                _claim_sql(connection.vendor, scheduled, bool(task_id), take_over), params
            )
            # fetchall(): SQLite ends the statement, and its write lock, once its rows are read.
            rows = cursor.fetchall()
        if not rows:
            return False
        # What a queryset would do with these columns, without a queryset's per-row costs.
        for (attname, column, converters), value in zip(_claim_columns(connection), rows[0],
                                                        strict=False):
            for converter in converters:
                value = converter(value, column, connection)
            self.__dict__[attname] = value
        self.has_open_incident = bool(rows[0][-1])
        return True

    def pinged_since_loaded(self) -> bool:
        """heartbeat: whether a ping (success or start) arrived after this instance was
        loaded. Locks the row (PostgreSQL) so that no ping commits between this answer and
        the check's record; on SQLite, whose writers take turns, a ping can only land in the
        microseconds before record's UPDATE."""
        stored = (
            Monitor.objects.select_for_update()
            .filter(pk=self.pk)
            .values_list("last_ping_at", "last_start_at")
            .first()
        )
        return stored is not None and stored != (self.last_ping_at, self.last_start_at)

    def release_claim(self) -> None:
        Monitor.objects.filter(pk=self.pk).update(check_lease_until=None)
        self.check_lease_until = None

    def record(self, result: ProbeResult, *, checked_at, task_id: str | None = None):
        """Store one check's result and update current state; returns the CheckResult row,
        or None if the monitor is gone.

        Call inside a transaction: the UPDATE comes first and holds this row's lock until the
        transaction ends, so the counters are computed from the row as it is, not as this
        instance last saw it, and the incident state machine that runs next is serialized
        with any other check of this monitor. Two statements: the UPDATE ... RETURNING the
        new state (and the expiry of the certificate the check saw, if any), and the INSERT
        of the result; a certificate about to expire that nobody was warned of adds its
        warning (warn_certificate_expiring).
        """
        connection = connections[Monitor.objects.db]
        quote = connection.ops.quote_name
        # A response time is the time to a response: a refused connection (0 ms) or a timeout
        # (the whole budget) would drag averages, p95 and the chart to figures no request had.
        # Kinds without a status code (tcp, tls, dns, databases) have one when they succeed.
        answered = result.status_code is not None or result.is_up
        response_ms = result.response_ms if answered else None
        adapted_at = connection.ops.adapt_datetimefield_value(checked_at)
        # A paused monitor keeps status "paused" even if a check was in flight when it paused.
        # A failure below the threshold makes it "pending" (one blip is not an outage, but a
        # person should see it), except that a monitor already down stays down until a
        # success. (SET expressions read the row as it was before this UPDATE.)
        if result.is_up:
            counters = ("consecutive_failures = 0, "
                        "status = CASE WHEN is_paused THEN status ELSE %s END")
            params = [self.Status.DEGRADED if result.is_degraded else self.Status.UP]
        else:
            counters = (
                "consecutive_failures = consecutive_failures + 1, status = CASE "
                "WHEN is_paused THEN status "
                "WHEN consecutive_failures + 1 >= failure_threshold THEN %s "
                "WHEN status = %s THEN status ELSE %s END"
            )
            params = [self.Status.DOWN, self.Status.DOWN, self.Status.PENDING]
        certificate = result.certificate
        if certificate is not None:
            counters += ", certificate_expires_at = %s"
            params.append(connection.ops.adapt_datetimefield_value(certificate.expires_at))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(Monitor._meta.db_table)} SET last_checked_at = %s, "
                f"last_response_ms = %s, check_lease_until = NULL, {counters} WHERE id = %s "
                "RETURNING status, consecutive_failures, failure_threshold, is_paused",
                [adapted_at, response_ms, *params, self.pk],
            )
            row = cursor.fetchone()
            # As in claim_check: SQLite finishes the statement once its rows are read.
            cursor.fetchall()
        if row is None:
            return None
        self.status, self.consecutive_failures, self.failure_threshold = row[0], row[1], row[2]
        self.is_paused = bool(row[3])
        self.last_checked_at = checked_at
        self.last_response_ms = response_ms
        self.check_lease_until = None
        if certificate is not None:
            self.certificate_expires_at = certificate.expires_at
            self.warn_certificate_expiring(certificate)
        check = CheckResult(
            monitor=self,
            checked_at=checked_at,
            outcome=result.outcome,
            status_code=result.status_code,
            response_ms=response_ms,
            # A degraded check keeps its message: it says what is wrong.
            error="" if result.outcome == Outcome.OK else result.message[:500],
            region=settings.UPTIME_REGION,
            task_id=task_id,
        )
        # A plain INSERT ... RETURNING: Model.save() costs more than the statement itself, and
        # no signal listens to check results.
        fields = [CheckResult._meta.get_field(name) for name in _CHECK_RESULT_FIELDS]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(CheckResult._meta.db_table)} "
                f"({', '.join(quote(field.column) for field in fields)}) "
                f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING id",
                [field.get_db_prep_save(getattr(check, field.attname), connection)
                 for field in fields],
            )
            check.pk = cursor.fetchall()[0][0]
        check._state.adding = False
        check._state.db = connection.alias
        return check

    def warn_certificate_expiring(self, certificate: CertificateSeen) -> bool:
        """Announce `certificate` (one a check just saw) to every channel of this monitor if it
        expires within tls_warn_days and is not the one last announced: once per certificate,
        however many checks see it, and again for a renewed one that also runs short. Returns
        whether this call wrote the warning.

        Call inside the check's transaction. The conditional UPDATE claims the certificate, so
        of two workers that see it at once only one writes the warning; a rolled-back check
        un-claims it with the rest. Most checks cost nothing here: the claim loaded the
        fingerprint last announced, and a certificate far from expiry needs no statement.
        """
        if (certificate.fingerprint == self.certificate_warned_fingerprint
                or not expires_soon(certificate.expires_at, self.tls_warn_days)):
            return False
        claimed = (
            Monitor.objects.filter(pk=self.pk)
            .exclude(certificate_warned_fingerprint=certificate.fingerprint)
            .update(certificate_warned_fingerprint=certificate.fingerprint)
        )
        self.certificate_warned_fingerprint = certificate.fingerprint
        if not claimed:
            return False
        from notifications.outbox import enqueue_certificate_expiring

        enqueue_certificate_expiring(self, certificate)
        return True

    @property
    def is_failing(self) -> bool:
        return self.consecutive_failures >= self.failure_threshold

    @property
    def shown_url(self) -> str:
        """The target as pages, events and the API show it: a password in it is ***."""
        return mask_password(self.url)

    @property
    def status_label(self) -> str:
        """The status as people read it: "Pending (2 of 3 failed)" while failures build up
        towards the threshold, the plain label otherwise."""
        if self.status == self.Status.PENDING:
            return (f"Pending ({self.consecutive_failures} of {self.failure_threshold} "
                    "failed)")
        if self.status == self.Status.DEGRADED and self.regions:
            dots = self.region_dots()
            if any(dot["status"] == self.Status.DOWN for dot in dots):
                # Down in fewer regions than the quorum: say where.
                return f"Degraded ({regions_label(dots)})"
        return self.get_status_display()

    def streak_started_at(self, fallback: datetime) -> datetime:
        """When the current run of failed checks began: the checked_at of its first check.

        The run is this monitor's newest `consecutive_failures` checks (the counter and the
        rows are written in one transaction), so it is one read down the (monitor,
        -checked_at) index, about failure_threshold rows deep when an incident opens.
        `fallback` (the newest check's time) if those rows are not all there.
        """
        if self.consecutive_failures <= 1:
            return fallback
        first = (
            CheckResult.objects.filter(monitor_id=self.pk)
            .order_by("-checked_at")
            .values_list("checked_at", flat=True)
            [self.consecutive_failures - 1:self.consecutive_failures]
        )
        return next(iter(first), fallback)

    def maintenance_until(self, moment: datetime | None = None) -> datetime | None:
        """When the maintenance window covering `moment` (default: now) ends, or None."""
        return maintenance_until(self.maintenance_windows.all(), moment or timezone.now())


class RegionState(models.Model):
    """A monitor's state as one of its regions sees it (Monitor.regions). Written only by the
    check of that region, inside its transaction (Monitor.record_in_region); the monitor's own
    status is derived from all of them (monitors/quorum.py)."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="region_states")
    region = models.SlugField(max_length=40)
    status = models.CharField(max_length=10, choices=Monitor.Status.choices,
                              default=Monitor.Status.UNKNOWN)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_response_ms = models.PositiveIntegerField(null=True, blank=True)
    last_outcome = models.CharField(max_length=30, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # The first failed check of this region's current run of failures, and when the run
    # reached the failure threshold (the evidence's "when each crossed the threshold").
    failing_since = models.DateTimeField(null=True, blank=True)
    crossed_threshold_at = models.DateTimeField(null=True, blank=True)
    # This region's check in flight, as Monitor.check_lease_until is for a monitor without
    # regions (see Monitor.claim_check).
    check_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    check_lease_task_id = models.CharField(max_length=64, blank=True, default="",
                                           editable=False)
    # A region that never reported is stale this long after it was added (quorum.is_stale).
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["monitor", "region"]
        constraints = [
            models.UniqueConstraint(fields=["monitor", "region"], name="one_state_per_region")
        ]

    def __str__(self) -> str:
        return f"{self.monitor} in {self.region}: {self.status}"

    def is_stale(self, now: datetime | None = None) -> bool:
        return is_stale_state(self, self.monitor, now or timezone.now())

    def apply(self, result: ProbeResult, *, checked_at, response_ms, threshold: int) -> None:
        """This region's counters after `result` (the check holds this row's lease)."""
        if result.is_up:
            self.consecutive_failures = 0
            self.failing_since = self.crossed_threshold_at = None
            self.status = (Monitor.Status.DEGRADED if result.is_degraded
                           else Monitor.Status.UP)
        else:
            self.consecutive_failures += 1
            if self.consecutive_failures == 1:
                self.failing_since = checked_at
            if self.consecutive_failures >= threshold:
                self.crossed_threshold_at = self.crossed_threshold_at or checked_at
                self.status = Monitor.Status.DOWN
            elif self.status != Monitor.Status.DOWN:
                self.status = Monitor.Status.PENDING
        self.last_checked_at = checked_at
        self.last_response_ms = response_ms
        self.last_outcome = result.outcome
        self.last_error = "" if result.outcome == Outcome.OK else result.message[:500]
        self.check_lease_until = None
        self.save(update_fields=[
            "status", "consecutive_failures", "failing_since", "crossed_threshold_at",
            "last_checked_at", "last_response_ms", "last_outcome", "last_error",
            "check_lease_until"])

    def release_claim(self) -> None:
        RegionState.objects.filter(pk=self.pk).update(check_lease_until=None)
        self.check_lease_until = None

    def evidence(self) -> dict:
        return {"region": self.region, "outcome": self.last_outcome, "error": self.last_error,
                "failing_since": self.failing_since and self.failing_since.isoformat(),
                "crossed_threshold_at": (self.crossed_threshold_at
                                         and self.crossed_threshold_at.isoformat())}


def with_region_states(monitors):
    """Load the region states of those of `monitors` that have regions, in one query, for
    pages and snapshots that show every monitor's region dots."""
    models.prefetch_related_objects([m for m in monitors if m.regions], "region_states")
    return monitors


REGION_LABEL_ORDER = ("down", "pending", "degraded", "up", "stale", "unknown")


def regions_label(dots: list[dict]) -> str:
    """"down in in; up in us, eu", from region_dots()."""
    by_status: dict[str, list[str]] = {}
    for dot in dots:
        by_status.setdefault(dot["status"], []).append(dot["region"])
    return "; ".join(f"{status} in {', '.join(by_status[status])}"
                     for status in REGION_LABEL_ORDER if status in by_status)


def queue_for(region: str) -> str:
    return f"checks.{region}"


def is_stale_state(state: RegionState, monitor: Monitor, now: datetime) -> bool:
    from .quorum import is_stale

    return is_stale(state.last_checked_at, state.created_at, monitor.interval_seconds, now)


class CheckResult(models.Model):
    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="checks")
    checked_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=30, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    region = models.CharField(max_length=40, blank=True)
    # The Celery message id: a redelivered message carries the same id, and the unique
    # constraint turns its second result into a no-op instead of a second observation.
    task_id = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["monitor", "-checked_at"])]

    def __str__(self) -> str:
        return f"{self.monitor} {self.outcome} at {self.checked_at:%Y-%m-%d %H:%M:%S}"

    @property
    def is_up(self) -> bool:
        return self.outcome in UP_OUTCOMES


class MonitoringGap(models.Model):
    """A stretch in which a monitor was not checked when it should have been: the fault is
    ours (workers or beat down, a queue backed up, no worker for its region), not the target's.

    For operators only: a gap never changes the monitor's status nor notifies its owner. Open
    gaps are found every 30 s by monitors.gaps.detect_gaps(); one that lasts over
    GAP_STAFF_NOTICE tells the staff (ADMINS), once. A gap too short for the sweep to see is
    recorded, already closed, by the check that ends it (monitors.gaps.note_late_check).
    """

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="gaps")
    # When the missing check was due: the last check (or the last change to the monitor)
    # plus what a late check is allowed (Monitor.gap_allowance_seconds).
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    staff_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["monitor"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_gap_per_monitor",
            )
        ]

    def __str__(self) -> str:
        return f"{self.monitor}: not checked from {self.started_at:%Y-%m-%d %H:%M:%S}"

    @property
    def duration(self) -> timedelta:
        return (self.ended_at or timezone.now()) - self.started_at


class Ping(models.Model):
    """One request to a heartbeat monitor's ping URL, kept for people to read (the newest
    Ping.KEEP per monitor). What it did to the monitor is a CheckResult, like any check's."""

    KEEP = 100
    MAX_BODY_BYTES = 10 * 1024

    class Kind(models.TextChoices):
        SUCCESS = "success", "Success"
        START = "start", "Start"
        FAIL = "fail", "Failure"

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="pings")
    received_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # /<exit-code>: 0 is a success, anything else a failure.
    exit_status = models.PositiveSmallIntegerField(null=True, blank=True)
    method = models.CharField(max_length=10)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    # The first MAX_BODY_BYTES of the request body, decoded as UTF-8 (bad bytes replaced).
    body = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["monitor", "-received_at"])]

    def __str__(self) -> str:
        return f"{self.monitor} {self.kind} ping at {self.received_at:%Y-%m-%d %H:%M:%S}"


class MaintenanceWindow(models.Model):
    """A planned outage: checks go on and their results are kept, but incident notifications
    wait until the window ends, and are sent then only if the outage is still going.

    One-off windows have starts_at and ends_at; weekly ones recur on a weekday at a local
    start time (in their own time zone, so 02:00 stays 02:00 across daylight saving).
    """

    class Kind(models.TextChoices):
        ONE_OFF = "once", "One-off"
        WEEKLY = "weekly", "Weekly"

    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    monitor = models.ForeignKey(
        Monitor, on_delete=models.CASCADE, related_name="maintenance_windows"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ONE_OFF)
    note = models.CharField(max_length=200, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True, help_text="One-off: when it starts.")
    ends_at = models.DateTimeField(null=True, blank=True, help_text="One-off: when it ends.")
    weekday = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=Weekday.choices, help_text="Weekly: the day it starts."
    )
    start_time = models.TimeField(
        null=True, blank=True, help_text="Weekly: the local time it starts."
    )
    duration_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)],
        help_text="Weekly: how long it lasts.",
    )
    timezone = models.CharField(
        max_length=64, default="UTC", help_text="Weekly: the time zone of start_time."
    )

    class Meta:
        ordering = ["monitor", "kind", "starts_at", "weekday", "start_time", "id"]

    def __str__(self) -> str:
        if self.kind == self.Kind.WEEKLY:
            day = self.Weekday(self.weekday).label.title() if self.weekday is not None else "?"
            start = self.start_time.strftime("%H:%M") if self.start_time else "?"
            return f"weekly, {day}s {start} ({self.timezone}) for {self.duration_minutes} min"
        if self.starts_at and self.ends_at:
            utc = ZoneInfo("UTC")
            return (
                f"once, {self.starts_at.astimezone(utc):%Y-%m-%d %H:%M} to "
                f"{self.ends_at.astimezone(utc):%Y-%m-%d %H:%M} UTC"
            )
        return "once"

    def clean(self) -> None:
        super().clean()
        if self.kind == self.Kind.ONE_OFF:
            errors = {
                field: "Required for a one-off window."
                for field in ("starts_at", "ends_at")
                if getattr(self, field) is None
            }
            if errors:
                raise ValidationError(errors)
            if self.ends_at <= self.starts_at:
                raise ValidationError({"ends_at": "The window must end after it starts."})
        else:
            errors = {
                field: "Required for a weekly window."
                for field in ("weekday", "start_time", "duration_minutes")
                if getattr(self, field) is None
            }
            if errors:
                raise ValidationError(errors)
        if self.timezone not in available_timezones():
            raise ValidationError({"timezone": f"Unknown time zone {self.timezone!r}."})

    def end_of_occurrence_at(self, moment: datetime) -> datetime | None:
        """The end of this window's occurrence that covers `moment`, or None."""
        if self.kind == self.Kind.ONE_OFF:
            if self.starts_at and self.ends_at and self.starts_at <= moment < self.ends_at:
                return self.ends_at
            return None
        if None in (self.weekday, self.start_time, self.duration_minutes):
            return None
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return None
        local = moment.astimezone(zone)
        duration = timedelta(minutes=self.duration_minutes)
        # The occurrence that started most recently: this week's, or last week's if this
        # week's has not started yet. A window may last up to a week, so no other can cover.
        days_back = (local.weekday() - self.weekday) % 7
        for extra_weeks in (0, 1):
            day = local.date() - timedelta(days=days_back + 7 * extra_weeks)
            start = datetime.combine(day, self.start_time, tzinfo=zone)
            if start <= local < start + duration:
                return start + duration
        return None


def maintenance_until(windows, moment: datetime) -> datetime | None:
    """When maintenance covering `moment` ends, following windows that overlap or touch;
    None when no window covers it."""
    windows = list(windows)
    end = None
    probe = moment
    for _ in range(len(windows) + 1):
        ends = [e for e in (w.end_of_occurrence_at(probe) for w in windows) if e is not None]
        if not ends:
            break
        end = max(ends)
        probe = end
    return end


_CHECK_RESULT_FIELDS = (
    "monitor", "checked_at", "outcome", "status_code", "response_ms", "error", "region", "task_id",
)


@functools.cache
def _claim_sql(vendor: str, scheduled: bool, with_task_id: bool, take_over: bool) -> str:
    """The claim statement for one shape of claim; its parameters, in order: now, the lease
    beyond the timeout, the task id or "", the monitor id, now, [task id (take_over),] [now,]
    [task id]."""
    from incidents.models import Incident

    quote = connections[Monitor.objects.db].ops.quote_name
    monitors = quote(Monitor._meta.db_table)
    incidents = quote(Incident._meta.db_table)
    lease_free = "check_lease_until IS NULL OR check_lease_until < %s"
    if take_over:
        lease_free += " OR check_lease_task_id = %s"
    conditions = ["id = %s", "NOT is_paused", f"({lease_free})"]
    if scheduled:
        conditions.append(
            "(last_checked_at IS NULL OR last_checked_at <= "
            f"{_shifted(vendor, '-', 'interval_seconds / 2.0')})"
        )
    if with_task_id:
        conditions.append(
            f"NOT EXISTS (SELECT 1 FROM {quote(CheckResult._meta.db_table)} WHERE task_id = %s)"
        )
    columns = ", ".join(
        quote(Monitor._meta.get_field(name).column) for name in Monitor.CLAIM_FIELDS
    )
    return (
        f"UPDATE {monitors} "
        f"SET check_lease_until = {_shifted(vendor, '+', 'timeout_seconds + %s')}, "
        "check_lease_task_id = %s "
        f"WHERE {' AND '.join(conditions)} "
        f"RETURNING {columns}, EXISTS (SELECT 1 FROM {incidents} "
        f"WHERE {incidents}.monitor_id = {monitors}.id AND {incidents}.resolved_at IS NULL)"
    )


@functools.lru_cache(maxsize=1024)
def _claim_columns(connection) -> list[tuple[str, Col, list]]:
    """(attname, field, converters) per claimed column, as a queryset would convert them.
    Per connection (one per thread): the backend's converters are its methods."""
    columns = []
    for name in Monitor.CLAIM_FIELDS:
        field = Monitor._meta.get_field(name)
        column = field.get_col(Monitor._meta.db_table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(
            connection
        )
        columns.append((field.attname, column, converters))
    return columns


def _shifted(vendor: str, sign: str, seconds_sql: str) -> str:
    """SQL for a `now` parameter shifted by `seconds_sql` seconds, an expression over the row.

    PostgreSQL has interval arithmetic; SQLite stores Django's datetimes as text in UTC, which
    its date functions read and write (to the millisecond, which sorts correctly beside
    Django's microseconds).
    """
    if vendor == "postgresql":
        return f"(%s::timestamptz {sign} make_interval(secs => {seconds_sql}))"
    if vendor == "sqlite":
        return f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', %s, '{sign}' || ({seconds_sql}) || ' seconds')"
    raise NotImplementedError(f"claiming a check is not written for {vendor}")


class Rollup(models.Model):
    """One monitor's checks over one whole hour or day, summed so that any window's figures
    read a few rows instead of its raw results (monitors/rollups.py writes and reads them).

    `region` "" is every check of the monitor, whatever region ran it; a regional monitor also
    has a row per region. Each figure is mergeable: counts and sums add, min and max combine,
    and `histogram` counts response times per rollups.LATENCY_BUCKETS bucket ({index: count},
    only the buckets used), which gives p50/p95/p99 to within a bucket. `downtime_seconds` is
    the time covered by the monitor's incidents (on the "" row only)."""

    class Period(models.TextChoices):
        HOUR = "hour", "Hour"
        DAY = "day", "Day"

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="rollups")
    region = models.CharField(max_length=40, blank=True)
    period = models.CharField(max_length=4, choices=Period.choices)
    start = models.DateTimeField()
    checks = models.PositiveIntegerField(default=0)
    up_checks = models.PositiveIntegerField(default=0)
    degraded_checks = models.PositiveIntegerField(default=0)
    timed_checks = models.PositiveIntegerField(default=0)  # checks with a response time
    response_ms_sum = models.BigIntegerField(default=0)
    response_ms_min = models.PositiveIntegerField(null=True, blank=True)
    response_ms_max = models.PositiveIntegerField(null=True, blank=True)
    histogram = models.JSONField(default=dict, blank=True)
    downtime_seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["monitor", "region", "period", "start"]
        constraints = [
            models.UniqueConstraint(fields=["monitor", "region", "period", "start"],
                                    name="one_rollup_per_monitor_region_period_start"),
        ]
        # Retention deletes by (period, start); rolling an hour again replaces it the same way.
        indexes = [models.Index(fields=["period", "start"], name="rollup_period_start")]

    def __str__(self) -> str:
        return f"{self.monitor_id} {self.region or 'all'} {self.period} {self.start:%Y-%m-%d %H:%M}"


class RollupProgress(models.Model):
    """How far rollups are written: every hour (or day) that starts before `rolled_until` is
    in Rollup, and figures read raw results only after it."""

    period = models.CharField(max_length=4, choices=Rollup.Period.choices, primary_key=True)
    rolled_until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.period} rolled until {self.rolled_until:%Y-%m-%d %H:%M}"


# Status pages live in a module of their own; imported here so Django registers the models.
from .status_pages import StatusPage, StatusPageMonitor  # noqa: E402, F401
