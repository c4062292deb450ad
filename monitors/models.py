import functools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models, transaction
from django.db.models.expressions import Col
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from uptime.budgets import CheckLimits

from . import kinds
from .outcomes import CheckSpec, Outcome, ProbeResult
from .urlsecrets import mask_password
from .validators import (
    validate_assertions,
    validate_dns_expected,
    validate_dns_resolver,
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


class Monitor(models.Model):
    class Status(models.TextChoices):
        UNKNOWN = "unknown", "Unknown"
        UP = "up", "Up"
        # Failing, but fewer times in a row than the failure threshold: trouble building up,
        # no incident yet (Uptime Kuma's PENDING).
        PENDING = "pending", "Pending"
        DOWN = "down", "Down"
        PAUSED = "paused", "Paused"

    class Kind(models.TextChoices):
        # One executor per kind (monitors/kinds/); `url` is the target in each kind's form.
        HTTP = "http", "HTTP(S)"
        TCP = "tcp", "TCP port"
        DNS = "dns", "DNS record"
        TLS = "tls", "TLS certificate"
        POSTGRES = "postgres", "PostgreSQL"
        REDIS = "redis", "Redis"

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
    url = models.CharField("URL", max_length=2000)
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
    region = models.SlugField(
        max_length=40,
        blank=True,
        help_text="Run checks on the workers of this region (queue checks.<region>). "
        "Empty: the default checks queue.",
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
        help_text="tls: a certificate expiring within this many days is a warning.",
    )

    # Current state, written only by Monitor.record() inside the check transaction.
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNKNOWN)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_response_ms = models.PositiveIntegerField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    # A check in flight holds this lease; a second delivery of the same or the next check
    # finds it taken and steps aside (see Monitor.claim_check).
    check_lease_until = models.DateTimeField(null=True, blank=True, editable=False)

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
            super().save(*args, **kwargs)
            from .schedule import sync_schedule

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
        if self.url:
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
        self.save()

    # --- checking -------------------------------------------------------------------------

    @property
    def check_queue(self) -> str:
        return f"checks.{self.region}" if self.region else "checks"

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
            },
        )

    # What a check needs after claiming, returned by the claim itself (see claim_check).
    CLAIM_FIELDS = (
        "id", "owner_id", "name", "kind", "url", "method", "expected_status_codes",
        "request_headers", "assertions", "dns_record_type", "dns_expected", "dns_resolver",
        "tls_warn_days",
        "timeout_seconds", "interval_seconds", "failure_threshold", "is_paused", "status",
        "last_checked_at", "last_response_ms", "consecutive_failures", "check_lease_until",
    )

    def claim_check(self, *, scheduled: bool, task_id: str | None = None) -> bool:
        """Compare-and-set the check lease; True if this caller may run the check now.

        A scheduled check also steps aside when the last check started less than half an
        interval ago: that is a duplicate delivery (two beats, a broker redelivery), not a
        new tick. (last_checked_at is when a check started, so one that waited out a long
        timeout does not make the next slot look like a duplicate.) A check-now request
        skips that test but still respects the lease. With a task_id, a message whose
        result is already stored steps aside too.

        One statement, one round trip: a conditional UPDATE ... RETURNING (PostgreSQL, and
        SQLite >= 3.35) that also loads CLAIM_FIELDS into this instance and sets
        `has_open_incident`, so the check needs no other query before it records. The lease
        lasts the monitor's own claim_lease (uptime/budgets.py), computed from the row.
        """
        connection = connections[Monitor.objects.db]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        params: list = [now, settings.UPTIME_CHECK_BUDGET.lease_beyond_timeout, self.pk, now]
        if scheduled:
            params.append(now)
        if task_id:
            params.append(task_id)
        with connection.cursor() as cursor:
            cursor.execute(_claim_sql(connection.vendor, scheduled, bool(task_id)), params)
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
        new state, and the INSERT of the result.
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
            params = [self.Status.UP]
        else:
            counters = (
                "consecutive_failures = consecutive_failures + 1, status = CASE "
                "WHEN is_paused THEN status "
                "WHEN consecutive_failures + 1 >= failure_threshold THEN %s "
                "WHEN status = %s THEN status ELSE %s END"
            )
            params = [self.Status.DOWN, self.Status.DOWN, self.Status.PENDING]
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
        check = CheckResult(
            monitor=self,
            checked_at=checked_at,
            outcome=result.outcome,
            status_code=result.status_code,
            response_ms=response_ms,
            error="" if result.is_up else result.message[:500],
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
        return self.outcome == Outcome.OK


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
def _claim_sql(vendor: str, scheduled: bool, with_task_id: bool) -> str:
    """The claim statement for one shape of claim; its parameters, in order: now, the lease
    beyond the timeout, the monitor id, now, [now,] [task id]."""
    from incidents.models import Incident

    quote = connections[Monitor.objects.db].ops.quote_name
    monitors = quote(Monitor._meta.db_table)
    incidents = quote(Incident._meta.db_table)
    conditions = [
        "id = %s",
        "NOT is_paused",
        "(check_lease_until IS NULL OR check_lease_until < %s)",
    ]
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
        f"SET check_lease_until = {_shifted(vendor, '+', 'timeout_seconds + %s')} "
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
