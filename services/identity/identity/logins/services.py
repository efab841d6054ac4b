"""Sign-in: the one path every login takes (API, identity's admin, other services' admins)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.utils import InterfaceError, OperationalError
from django.utils import timezone

from identity.accounts.models import User, normalize_email
from identity.http import user_agent
from identity.logins import events, lockout
from identity.logins.errors import LoginErrorCode
from identity.logins.models import LoginAttempt, Outcome
from servicekit.envelope.errors import ApplicationError
from servicekit.events import publish
from servicekit.observability.middleware import client_ip


@dataclass(frozen=True)
class LoginContext:
    ip: str | None
    user_agent: str
    channel: str = "api"

    @classmethod
    def from_request(cls, request, *, channel: str = "api") -> LoginContext:
        return cls(ip=client_ip(request), user_agent=user_agent(request), channel=channel)


def invalid_credentials() -> ApplicationError:
    # One message for "no such account" and "wrong password": no account enumeration.
    return ApplicationError(
        "Email or password is incorrect.", code=LoginErrorCode.INVALID_CREDENTIALS, status_code=401
    )


@transaction.atomic
def login_attempt_record(
    *, email: str, user: User | None, outcome: Outcome, context: LoginContext
) -> LoginAttempt:
    """Its own transaction: a failed attempt is recorded even though the sign-in raises."""
    return LoginAttempt.objects.create(
        user=user,
        email=email[:254],
        outcome=outcome,
        ip=context.ip,
        user_agent=context.user_agent[:512],
        channel=context.channel[:32],
    )


def login_authenticate(
    *, email: str, password: str, context: LoginContext, require_staff: bool = False
) -> User:
    """The user behind these credentials, or an ApplicationError; every attempt is recorded.

    Order matters: the attempt is reserved against the throttles first (so a locked account
    cannot be probed, and parallel guesses cannot all reach the password check), then the
    password, then the account's state (only revealed to someone who knows the password).
    """
    email = normalize_email(email)
    try:
        reservation = lockout.attempt_begin(email=email, ip=context.ip)
    except ApplicationError as exc:
        login_attempt_record(
            email=email,
            user=User.objects.filter(email=email).first(),
            outcome=Outcome(exc.code),
            context=context,
        )
        raise

    try:
        user = User.objects.filter(email=email).first()
    except (OperationalError, InterfaceError):
        reservation.abandon()  # the database is away: no password was checked, nothing counts
        raise
    if user is None:
        make_password(password)  # spend the time a real check takes: no enumeration by timing
    if user is None or not user.check_password(password):
        locked_until = reservation.failed()
        login_attempt_record(email=email, user=user, outcome=Outcome.INVALID_CREDENTIALS, context=context)
        if locked_until is not None:
            raise lockout.account_locked(lockout.seconds_until(locked_until))
        raise invalid_credentials()
    # The right password: whatever the account's state, this was no guess.
    reservation.succeeded()

    if not user.is_active:
        login_attempt_record(email=email, user=user, outcome=Outcome.ACCOUNT_INACTIVE, context=context)
        raise ApplicationError(
            "This account is deactivated.", code=LoginErrorCode.ACCOUNT_INACTIVE, status_code=403
        )
    if require_staff and not user.is_staff:
        login_attempt_record(email=email, user=user, outcome=Outcome.NOT_STAFF, context=context)
        raise ApplicationError(
            "This requires a staff account.", code=LoginErrorCode.NOT_STAFF, status_code=403
        )

    with transaction.atomic():
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
        attempt = login_attempt_record(email=email, user=user, outcome=Outcome.SUCCEEDED, context=context)
        publish("identity.user.logged_in", subject=str(attempt.user_id), data=events.user_logged_in(attempt))
    return user


def account_unlock(*, user: User) -> None:
    """Staff lift a lockout before it expires."""
    lockout.reset(email=user.email)
