"""A web area's sign-in: identity's tokens in HttpOnly cookies, verified on every request.

- The login page's script posts the credentials to identity (``/api/v1/auth/login/`` through
  the gateway) and hands the token pair to the area's ``session/`` view (CSRF-protected, so no
  other site can sign a browser into an account of its choosing), which keeps it in cookies.
- Each request verifies the access cookie locally (identity's JWKS, revocations). An expired
  one is rotated with the refresh cookie (:meth:`WebSession.from_request`); requests of one
  browser that refresh at the same moment share the one new pair (cached briefly), so the
  second does not present an already-rotated token.
- Cookies are HttpOnly (scripts never see a token), ``SameSite=Lax``, ``Secure`` over https,
  and sent only to the area's path (``/builds/``, ``/analytics/``): each area has its own.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import jwt
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from redis.exceptions import RedisError
from rest_framework.exceptions import AuthenticationFailed

from servicekit.auth import Principal, verify_access_token
from servicekit.websession.identity import TokenPair, token_pair_refresh

logger = logging.getLogger(__name__)

# The cookies live as long as the refresh token does (read from its exp), at most this long.
MAX_COOKIE_AGE_SECONDS = 30 * 86400
# A rotated pair is kept this long for the browser's other requests holding the old token.
SHARED_REFRESH_SECONDS = 30
SHARED_REFRESH_WAIT_SECONDS = 1.0
MAX_TOKEN_LENGTH = 8192


@dataclass(frozen=True)
class SignedIn:
    """The signed-in user of one request (``request.web_session`` in views and templates)."""

    principal: Principal
    renewed: TokenPair | None = None  # set when this request rotated the tokens

    @property
    def is_staff(self) -> bool:
        return self.principal.is_staff


@dataclass(frozen=True)
class WebSession:
    """One signed-in web area of a service: its cookies, its pages and who may use it.

    ``name`` prefixes the cookies (``<name>_access``, ``<name>_refresh``); ``path`` is where they
    are sent and where sign-in may lead back to; ``url_prefix`` names the area's routes
    (``<url_prefix>-login``, ``-session-create``, ``-session-delete``; ``home`` is its first
    page's name). ``staff_only``: a signed-in user without the staff role gets the 403 page.
    """

    name: str
    path: str
    url_prefix: str
    home: str
    login_template: str
    error_template: str
    staff_only: bool = False
    staff_only_message: str = "Only staff may use this."

    @property
    def access_cookie(self) -> str:
        return f"{self.name}_access"

    @property
    def refresh_cookie(self) -> str:
        return f"{self.name}_refresh"

    def url_name(self, view: str) -> str:
        return f"{self.url_prefix}-{view}"

    # -- the session of a request ----------------------------------------------------------

    def start(self, *, access: object, refresh: object) -> SignedIn:
        """The session of a pair identity just issued; raises ``AuthenticationFailed`` when the
        access token does not verify."""
        if not isinstance(refresh, str) or not refresh or len(refresh) > MAX_TOKEN_LENGTH:
            raise AuthenticationFailed("A refresh token is required.", code="token_invalid")
        principal = verify_access_token(access if isinstance(access, str) else "")
        return SignedIn(principal, renewed=TokenPair(access=str(access), refresh=refresh))

    def from_request(self, request: HttpRequest) -> SignedIn | None:
        """The signed-in session of the request's cookies, rotating an expired access token;
        None when there is none (never signed in, signed out, refused by identity). Raises
        ``ApplicationError`` (503) when identity's signing keys cannot be had."""
        access = request.COOKIES.get(self.access_cookie, "")
        if access:
            try:
                return SignedIn(verify_access_token(access))
            except AuthenticationFailed as exc:
                if exc.get_codes() != "token_expired":
                    return None  # revoked, forged, unknown key: signing in again is the way
        refresh = request.COOKIES.get(self.refresh_cookie, "")
        if not refresh or len(refresh) > MAX_TOKEN_LENGTH:
            return None
        pair = self._shared_refresh(refresh)
        if pair is None:
            return None
        try:
            return SignedIn(verify_access_token(pair.access), renewed=pair)
        except AuthenticationFailed:
            return None

    # -- cookies ---------------------------------------------------------------------------

    def set_cookies(self, response: HttpResponse, pair: TokenPair, *, secure: bool) -> None:
        max_age = _lifetime(pair.refresh)
        for name, value in ((self.access_cookie, pair.access), (self.refresh_cookie, pair.refresh)):
            response.set_cookie(
                name, value, max_age=max_age, path=self.path, secure=secure, httponly=True, samesite="Lax"
            )

    def clear_cookies(self, response: HttpResponse) -> None:
        for name in (self.access_cookie, self.refresh_cookie):
            response.delete_cookie(name, path=self.path, samesite="Lax")

    def has_cookies(self, request: HttpRequest) -> bool:
        return self.access_cookie in request.COOKIES or self.refresh_cookie in request.COOKIES

    # -- one refresh per token, shared by the browser's simultaneous requests ---------------

    def _shared_refresh(self, refresh: str) -> TokenPair | None:
        key = f"websession:{self.name}:refreshed:" + hashlib.sha256(refresh.encode()).hexdigest()
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
        logger.warning("web session: shared refresh cache unavailable: %s", exc)
        return None
    return TokenPair(*value) if isinstance(value, tuple | list) and len(value) == 2 else None


def _cache_set(key: str, pair: TokenPair) -> None:
    try:
        cache.set(key, (pair.access, pair.refresh), timeout=SHARED_REFRESH_SECONDS)
    except RedisError as exc:
        logger.warning("web session: shared refresh cache unavailable: %s", exc)


def _lifetime(refresh: str) -> int:
    """Seconds until the refresh token expires. Its signature is identity's business (it checks
    it on use); the claim only sizes the cookie."""
    try:
        exp: Any = jwt.decode(refresh, options={"verify_signature": False}).get("exp")
        seconds = int(float(exp) - time.time())
    except (jwt.InvalidTokenError, TypeError, ValueError):
        return MAX_COOKIE_AGE_SECONDS
    return max(0, min(seconds, MAX_COOKIE_AGE_SECONDS))
