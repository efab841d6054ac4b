"""The console's sign-in: identity's tokens in HttpOnly cookies, verified on every request.

- The login page's script posts the credentials to identity (``/api/v1/auth/login/`` through
  the gateway) and hands the token pair to :func:`session_start` (``POST /builds/session/``,
  CSRF-protected, so no other site can sign a browser into an account of its choosing).
- Each request verifies the access cookie locally (servicekit: identity's JWKS, revocations).
  An expired one is rotated with the refresh cookie (:func:`session_from_request`); requests
  of one browser that refresh at the same moment share the one new pair (cached briefly), so
  the second does not present an already-rotated token.
- Cookies are HttpOnly (scripts never see a token), ``SameSite=Lax``, ``Secure`` over https,
  and sent only to ``/builds/``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

import jwt
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from redis.exceptions import RedisError
from rest_framework.exceptions import AuthenticationFailed

from builds.console.identity import TokenPair, token_pair_refresh
from servicekit.auth import Principal, verify_access_token

logger = logging.getLogger(__name__)

ACCESS_COOKIE = "builds_console_access"
REFRESH_COOKIE = "builds_console_refresh"
COOKIE_PATH = "/builds/"
# The cookies live as long as the refresh token does (read from its exp), at most this long.
MAX_COOKIE_AGE_SECONDS = 30 * 86400
# A rotated pair is kept this long for the browser's other requests holding the old token.
SHARED_REFRESH_SECONDS = 30
SHARED_REFRESH_WAIT_SECONDS = 1.0
MAX_TOKEN_LENGTH = 8192


@dataclass(frozen=True)
class ConsoleSession:
    principal: Principal
    renewed: TokenPair | None = None  # set when this request rotated the tokens

    @property
    def is_staff(self) -> bool:
        return self.principal.is_staff


def session_start(*, access: str, refresh: str) -> ConsoleSession:
    """The session of a pair identity just issued; raises ``AuthenticationFailed`` when the
    access token does not verify."""
    if not isinstance(refresh, str) or not refresh or len(refresh) > MAX_TOKEN_LENGTH:
        raise AuthenticationFailed("A refresh token is required.", code="token_invalid")
    principal = verify_access_token(access if isinstance(access, str) else "")
    return ConsoleSession(principal, renewed=TokenPair(access=access, refresh=refresh))


def session_from_request(request: HttpRequest) -> ConsoleSession | None:
    """The signed-in session of the request's cookies, rotating an expired access token; None
    when there is none (never signed in, signed out, refused by identity)."""
    access = request.COOKIES.get(ACCESS_COOKIE, "")
    if access:
        try:
            return ConsoleSession(verify_access_token(access))
        except AuthenticationFailed as exc:
            if exc.get_codes() != "token_expired":
                return None  # revoked, forged, unknown key: signing in again is the way
    refresh = request.COOKIES.get(REFRESH_COOKIE, "")
    if not refresh or len(refresh) > MAX_TOKEN_LENGTH:
        return None
    pair = _shared_refresh(refresh)
    if pair is None:
        return None
    try:
        return ConsoleSession(verify_access_token(pair.access), renewed=pair)
    except AuthenticationFailed:
        return None


def _shared_refresh(refresh: str) -> TokenPair | None:
    key = "console:refreshed:" + hashlib.sha256(refresh.encode()).hexdigest()
    if (shared := _cache_get(key)) is not None:
        return shared
    pair = token_pair_refresh(refresh=refresh)
    if pair is not None:
        _cache_set(key, pair)
        return pair
    # Refused: perhaps because another request of this browser rotated it a moment ago.
    deadline = time.monotonic() + SHARED_REFRESH_WAIT_SECONDS
    while time.monotonic() < deadline:
        if (shared := _cache_get(key)) is not None:
            return shared
        time.sleep(0.1)
    return None


def _cache_get(key: str) -> TokenPair | None:
    try:
        value = cache.get(key)
    except RedisError as exc:
        logger.warning("console: shared refresh cache unavailable: %s", exc)
        return None
    return TokenPair(*value) if isinstance(value, tuple | list) and len(value) == 2 else None


def _cache_set(key: str, pair: TokenPair) -> None:
    try:
        cache.set(key, (pair.access, pair.refresh), timeout=SHARED_REFRESH_SECONDS)
    except RedisError as exc:
        logger.warning("console: shared refresh cache unavailable: %s", exc)


def set_session_cookies(response: HttpResponse, pair: TokenPair, *, secure: bool) -> None:
    max_age = _lifetime(pair.refresh)
    for name, value in ((ACCESS_COOKIE, pair.access), (REFRESH_COOKIE, pair.refresh)):
        response.set_cookie(
            name, value, max_age=max_age, path=COOKIE_PATH, secure=secure, httponly=True, samesite="Lax"
        )


def clear_session_cookies(response: HttpResponse) -> None:
    for name in (ACCESS_COOKIE, REFRESH_COOKIE):
        response.delete_cookie(name, path=COOKIE_PATH, samesite="Lax")


def _lifetime(refresh: str) -> int:
    """Seconds until the refresh token expires. Its signature is identity's business (it checks
    it on use); the claim only sizes the cookie."""
    try:
        exp = jwt.decode(refresh, options={"verify_signature": False}).get("exp")
        seconds = int(float(exp) - time.time())
    except (jwt.InvalidTokenError, TypeError, ValueError):
        return MAX_COOKIE_AGE_SECONDS
    return max(0, min(seconds, MAX_COOKIE_AGE_SECONDS))
