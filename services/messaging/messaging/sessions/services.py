"""Session lifecycle: start → scan_qr_code (a QR code that expires and is replaced) → working;
stopped, failed; logout. Every status change goes through :func:`_transition`, which publishes
``messaging.session.status_changed``. Calls to the provider run in Celery tasks
(``sessions/tasks.py``), never inside a request's transaction, except fetching a new QR code,
which the caller is waiting for.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from messaging.providers import (
    LoopbackProvider,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    SessionState,
    default_provider_name,
    get_provider,
)
from messaging.sessions import events
from messaging.sessions.errors import SessionErrorCode
from messaging.sessions.models import LIVE_STATUSES, ProviderStop, Session, SessionStatus
from servicekit.celery import send_on_commit, send_task
from servicekit.envelope.errors import ApplicationError, Conflict
from servicekit.events import publish

logger = logging.getLogger(__name__)

STATUS_EVENT = "messaging.session.status_changed"
REASON_QR_EXPIRED = "qr_expired"
REASON_STOPPED = "stopped"
REASON_LOGGED_OUT = "logged_out"


@dataclass(frozen=True)
class QrCode:
    value: str
    expires_at: datetime
    number: int  # 1 for the first code of this scan, then 2, 3…
    codes_left: int  # how many more codes will be issued before the session fails


@transaction.atomic
def session_start(*, user_id: uuid.UUID | str) -> Session:
    """The user's live session, or a new one (status ``starting``) started at the provider."""
    live = Session.objects.filter(user_id=user_id, status__in=LIVE_STATUSES).first()
    if live is not None:
        return live
    session_id = uuid.uuid4()
    try:
        with transaction.atomic():  # a concurrent start may win the one-live-session constraint
            session = Session.objects.create(
                id=session_id,
                user_id=user_id,
                provider=default_provider_name(),
                provider_session=f"s{session_id.hex}",
            )
    except IntegrityError:
        return Session.objects.get(user_id=user_id, status__in=LIVE_STATUSES)
    publish(STATUS_EVENT, session.id, events.session_status_changed(session, previous_status=None))

    from messaging.sessions.tasks import start_on_provider

    send_on_commit(start_on_provider, str(session.id))
    return session


def session_provider_start(*, session_id: uuid.UUID | str) -> Session | None:
    """Start a ``starting`` session at its provider and apply the state it reports (task body).

    Raises :class:`ProviderUnavailable` for the task to retry; a refusal fails the session.
    """
    session = Session.objects.filter(pk=session_id).first()
    if session is None or session.status != SessionStatus.STARTING:
        return session  # stopped meanwhile, or already reported by a webhook
    try:
        info = get_provider(session.provider).start_session(session_name=session.provider_session)
    except ProviderRejected as exc:
        return session_fail(session=session, reason=f"provider_rejected: {exc}")
    return session_status_apply(session=session, state=info.state, phone_number=info.phone_number)


@transaction.atomic
def session_status_apply(
    *, session: Session, state: SessionState | None, phone_number: str = "", reason: str = ""
) -> Session:
    """Apply a state the provider reported (a webhook, a start's answer). Unknown states and
    changes the state machine does not allow are logged and ignored: a late ``working`` for a
    session the user already stopped must not bring it back."""
    session = _locked(session.pk)
    if state is None:
        return session
    target = SessionStatus(state.value)
    if target == session.status:
        if target == SessionStatus.WORKING and phone_number and phone_number != session.phone_number:
            session.phone_number = phone_number
            session.save(update_fields=["phone_number", "updated_at"])
        return session
    if not session.can_transition_to(target):
        logger.info("session %s: ignoring %s reported while %s", session.pk, target, session.status)
        return session
    if target == SessionStatus.WORKING:
        session.phone_number = phone_number or session.phone_number
    return _transition(session, target, reason=reason)


@transaction.atomic
def session_fail(*, session: Session, reason: str) -> Session:
    session = _locked(session.pk)
    if not session.can_transition_to(SessionStatus.FAILED):
        return session
    return _transition(session, SessionStatus.FAILED, reason=reason)


def session_qr_code(*, session: Session, now: datetime | None = None) -> QrCode:
    """The QR code to show now: the current one while valid, else a new one from the provider.

    After ``QR_MAX_CODES`` codes went unscanned the session fails (``qr_expired``, committed) and
    this raises; so does asking while the session is not waiting for a scan.
    """
    now = now or timezone.now()
    conf = settings.MESSAGING
    with transaction.atomic():
        session = _locked(session.pk)
        refusal = _qr_refusal(session, now)
        if refusal is None:
            if not _qr_is_valid(session, now):
                _issue_qr_code(session, now)
            return QrCode(
                value=session.qr_value,
                expires_at=session.qr_expires_at,
                number=session.qr_codes_issued,
                codes_left=max(conf["QR_MAX_CODES"] - session.qr_codes_issued, 0),
            )
    raise refusal  # after the commit: the session's failure must stick


@transaction.atomic
def session_scan_simulate(*, session: Session, now: datetime | None = None) -> Session:
    """The loopback phone scans the QR code being shown; the session turns ``working`` shortly."""
    now = now or timezone.now()
    session = _locked(session.pk)
    if session.provider != LoopbackProvider.name:
        raise ApplicationError(
            "Only a session of the loopback provider can be scanned by simulation.",
            code=SessionErrorCode.LOOPBACK_ONLY,
        )
    if session.status != SessionStatus.SCAN_QR_CODE:
        raise _not_scanning(session)
    if not _qr_is_valid(session, now):
        raise Conflict(
            "There is no valid QR code to scan: fetch the current one first.",
            code=SessionErrorCode.QR_EXPIRED,
        )
    LoopbackProvider().simulate_scan(session_name=session.provider_session)
    return session


@transaction.atomic
def session_stop(*, session: Session) -> Session:
    """Stop the session (the login is kept at the provider). Stopping a stopped session is a no-op."""
    return _stop(session, reason=REASON_STOPPED, logout=False)


@transaction.atomic
def session_logout(*, session: Session) -> Session:
    """Stop the session and log the account out: a new session needs a new scan."""
    return _stop(session, reason=REASON_LOGGED_OUT, logout=True)


def session_provider_stop(*, session_id: uuid.UUID | str, logout: bool) -> None:
    """Stop (or log out) the session at its provider (task body); raises ProviderUnavailable.

    The session's ``provider_stop`` mark is cleared first: its task has run, so the sweep
    leaves it to the task's own retries."""
    Session.objects.filter(pk=session_id).exclude(provider_stop=ProviderStop.NONE).update(
        provider_stop=ProviderStop.NONE
    )
    session = Session.objects.get(pk=session_id)
    provider = get_provider(session.provider)
    try:
        if logout:
            provider.logout_session(session_name=session.provider_session)
        else:
            provider.stop_session(session_name=session.provider_session)
    except ProviderRejected as exc:  # not running there (any more): nothing left to stop
        logger.info("session %s: provider refused to stop it: %s", session.pk, exc)


def sessions_dispatch_stale(*, now: datetime | None = None) -> int:
    """Send again the tasks sessions lost (the broker was down when their change committed),
    ``DISPATCH_STALE_AFTER_SECONDS`` after it: the start task of each session still
    ``starting`` since it was made (or waiting for a retry), and the stop task of each session
    stopped here whose stop task never ran (``provider_stop`` still set). Starting twice is
    harmless: the task skips a session no longer starting, and providers answer a second start
    with the running session; so is stopping twice (a provider refusing to stop a session not
    running is logged). Returns how many tasks were sent."""
    from messaging.sessions.tasks import start_on_provider, stop_on_provider

    now = now or timezone.now()
    before = now - timedelta(seconds=settings.MESSAGING["DISPATCH_STALE_AFTER_SECONDS"])
    starting = Session.objects.filter(status=SessionStatus.STARTING, created_at__lte=before)
    started = sum(
        send_task(start_on_provider, str(session_id))
        for session_id in starting.values_list("id", flat=True)[:500]
    )
    stopping = Session.objects.exclude(provider_stop=ProviderStop.NONE).filter(status_changed_at__lte=before)
    stopped = sum(
        send_task(stop_on_provider, str(session_id), logout=stop == ProviderStop.LOGOUT)
        for session_id, stop in stopping.values_list("id", "provider_stop")[:500]
    )
    if started:
        logger.warning("sent the start tasks of %d sessions again (still starting)", started)
    if stopped:
        logger.warning("sent the stop tasks of %d sessions again (their tasks were lost)", stopped)
    return started + stopped


def sessions_expire_unscanned(*, now: datetime | None = None) -> int:
    """Fail sessions left waiting for a scan: every code issued and expired, or no code asked
    for in the time all of them would have lasted. Returns how many failed."""
    now = now or timezone.now()
    conf = settings.MESSAGING
    scan_window = timedelta(seconds=conf["QR_TTL_SECONDS"] * conf["QR_MAX_CODES"])
    stale = Session.objects.filter(status=SessionStatus.SCAN_QR_CODE).filter(
        Q(qr_codes_issued__gte=conf["QR_MAX_CODES"], qr_expires_at__lte=now)
        | Q(qr_codes_issued=0, status_changed_at__lte=now - scan_window)
    )
    failed = 0
    for session in stale.only("pk"):
        with transaction.atomic():
            locked = _locked(session.pk)
            if locked.status == SessionStatus.SCAN_QR_CODE:  # not scanned meanwhile
                _transition(locked, SessionStatus.FAILED, reason=REASON_QR_EXPIRED)
                failed += 1
    return failed


# -- internals ---------------------------------------------------------------------------
def _locked(session_id: uuid.UUID | str) -> Session:
    return Session.objects.select_for_update().get(pk=session_id)


def _transition(session: Session, status: SessionStatus, *, reason: str = "") -> Session:
    previous = session.status
    session.status = status
    session.status_reason = reason[:255]
    session.status_changed_at = timezone.now()
    # A new wait for a scan starts from the first code; other states show none.
    session.qr_value, session.qr_expires_at, session.qr_codes_issued = "", None, 0
    session.save()
    publish(STATUS_EVENT, session.id, events.session_status_changed(session, previous_status=previous))
    return session


def _stop(session: Session, *, reason: str, logout: bool) -> Session:
    session = _locked(session.pk)
    if session.status == SessionStatus.STOPPED:
        return session
    if logout:
        session.phone_number = ""
    session.provider_stop = ProviderStop.LOGOUT if logout else ProviderStop.STOP
    _transition(session, SessionStatus.STOPPED, reason=reason)

    from messaging.sessions.tasks import stop_on_provider

    send_on_commit(stop_on_provider, str(session.pk), logout=logout)
    return session


def _qr_is_valid(session: Session, now: datetime) -> bool:
    return bool(session.qr_value) and session.qr_expires_at is not None and session.qr_expires_at > now


def _qr_refusal(session: Session, now: datetime) -> ApplicationError | None:
    """Why no QR code can be shown (failing the session when every code went unscanned)."""
    if session.status != SessionStatus.SCAN_QR_CODE:
        return _not_scanning(session)
    if _qr_is_valid(session, now) or session.qr_codes_issued < settings.MESSAGING["QR_MAX_CODES"]:
        return None
    _transition(session, SessionStatus.FAILED, reason=REASON_QR_EXPIRED)
    return Conflict(
        "Every QR code expired unscanned; the session failed. Start a new session.",
        code=SessionErrorCode.QR_EXPIRED,
    )


def _issue_qr_code(session: Session, now: datetime) -> None:
    try:
        value = get_provider(session.provider).qr_value(session_name=session.provider_session)
    except ProviderError as exc:
        unavailable = isinstance(exc, ProviderUnavailable)
        raise ApplicationError(
            f"The WhatsApp provider could not give a QR code: {exc}",
            code=SessionErrorCode.PROVIDER_UNAVAILABLE if unavailable else SessionErrorCode.PROVIDER_REJECTED,
            status_code=503 if unavailable else 502,
        ) from None
    session.qr_value = value[:512]
    session.qr_expires_at = now + timedelta(seconds=settings.MESSAGING["QR_TTL_SECONDS"])
    session.qr_codes_issued += 1
    session.save(update_fields=["qr_value", "qr_expires_at", "qr_codes_issued", "updated_at"])


def _not_scanning(session: Session) -> Conflict:
    return Conflict(
        f"The session is {session.status}; a QR code is shown only while it waits for a scan.",
        code=SessionErrorCode.NOT_SCANNING,
    )
