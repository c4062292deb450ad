"""The incident state machine: what one check result does to a monitor's incidents.

Runs inside the check transaction (the monitor row locked), so the result, the counters, the
incident and the notification intents commit together or not at all.
"""

from django.db import IntegrityError, transaction

from .models import Incident, IncidentEvent


def apply_check(monitor, check, *, has_open_incident: bool | None = None
                ) -> tuple[str, Incident] | None:
    """Open or resolve an incident for this check; returns (event, incident) or None.

    Opens when consecutive failures reach the threshold and none is open (opened_at: this
    check; started_at: the first failed check of the run); resolves the open one on the first
    success. Anything else (a blip below the threshold, more failures while
    already open) changes nothing, which is what keeps flapping from storming.

    `has_open_incident` is what the check's claim saw (Monitor.claim_check); None means
    unknown, and the incident table is asked. Only this function opens incidents, and the
    claim keeps a second check of the monitor out until this one has recorded, so what the
    claim saw still holds here: the steady states (up and staying up, down and staying down)
    then cost no incident query at all.
    """
    from notifications.outbox import enqueue

    if check.is_up:
        if has_open_incident is False:
            return None
        incident = Incident.objects.open().filter(monitor=monitor).first()
        if incident is None:
            return None
        incident.resolve(at=check.checked_at, check=check)
        enqueue(incident, "incident.resolved")
        return "incident.resolved", incident

    if not monitor.is_failing or has_open_incident:
        return None
    if has_open_incident is None and Incident.objects.open().filter(monitor=monitor).exists():
        return None
    try:
        # A savepoint, so a lost race leaves the outer check transaction usable.
        with transaction.atomic():
            incident = Incident.objects.create(
                monitor=monitor,
                opened_at=check.checked_at,
                # One indexed read, only here: incidents open rarely, checks run always.
                started_at=monitor.streak_started_at(fallback=check.checked_at),
                cause=check.error,
                opening_check=check,
            )
    except IntegrityError:
        return None
    incident.events.create(
        kind=IncidentEvent.Kind.OPENED,
        at=check.checked_at,
        check_result=check,
        message=check.error,
    )
    enqueue(incident, "incident.opened")
    return "incident.opened", incident


def apply_quorum(monitor, check, verdict) -> tuple[str, Incident] | None:
    """apply_check for a monitor checked from several regions: open the incident when the
    quorum of regions is failing, resolve it once that can no longer be so
    (monitors.quorum.incident_change); returns (event, incident) or None.

    Runs inside the check transaction with the monitor's row locked (Monitor.record_in_region),
    so the regions' checks of one monitor come here one at a time. A region failing below the
    quorum is the monitor's `degraded`, never an incident.
    """
    from monitors.quorum import incident_change
    from notifications.outbox import enqueue

    incident = Incident.objects.open().filter(monitor=monitor).first()
    change = incident_change(verdict, incident_open=incident is not None)
    if change == "resolve":
        incident.resolve(at=check.checked_at, check=check)
        enqueue(incident, "incident.resolved")
        return "incident.resolved", incident
    if change != "open":
        return None
    by_region = {state.region: state
                 for state in monitor.region_states.filter(region__in=verdict.failing)}
    failing = [by_region[name] for name in verdict.failing if name in by_region]
    cause = verdict.summary()[:500]
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                monitor=monitor,
                opened_at=check.checked_at,
                started_at=min((state.failing_since for state in failing
                                if state.failing_since), default=check.checked_at),
                cause=cause,
                evidence=[state.evidence() for state in failing],
                opening_check=check,
            )
    except IntegrityError:
        return None
    incident.events.create(kind=IncidentEvent.Kind.OPENED, at=check.checked_at,
                           check_result=check, message=cause)
    enqueue(incident, "incident.opened")
    return "incident.opened", incident
