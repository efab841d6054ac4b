"""Mint identity-shaped tokens in tests, signed with throwaway RSA keys.

::

    factory = TokenFactory()
    factory.access_token(user_id, roles=["staff"], scopes=["orders:read"])
    factory.access_token(omit=["exp"])                     # negative tests: drop a claim
    factory.access_token(iss="someone-else", exp=1)        # ... or override any claim
    factory.access_token(headers={"kid": "ghost"})         # ... or a header ({"kid": None} drops it)
    factory.refresh_token(user_id)                          # token_type "refresh"
    factory.forge(factory.claims(), alg="none")            # hand-rolled, unverifiable forms
    kid = factory.new_key(); factory.access_token(kid=kid) # key rotation

Issuer and audience default to the running service's ``SERVICEKIT["JWT"]`` settings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

DEFAULT_ISSUER = "platform-identity"
DEFAULT_AUDIENCE = "platform"
DEFAULT_LIFETIME = 300


class TokenFactory:
    def __init__(
        self,
        *,
        issuer: str | None = None,
        audience: str | None = None,
        lifetime: int = DEFAULT_LIFETIME,
    ) -> None:
        self._issuer = issuer
        self._audience = audience
        self.lifetime = lifetime
        self._keys: dict[str, rsa.RSAPrivateKey] = {}
        self.kid = self.new_key()  # the key tokens are signed with unless told otherwise

    # -- keys --------------------------------------------------------------------------
    def new_key(self, kid: str | None = None) -> str:
        """Generate another signing key (not the default one) and return its ``kid``."""
        kid = kid or f"test-{uuid.uuid4().hex[:12]}"
        self._keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return kid

    def private_key(self, kid: str | None = None) -> rsa.RSAPrivateKey:
        return self._keys[kid or self.kid]

    def public_pem(self, kid: str | None = None) -> bytes:
        return (
            self.private_key(kid)
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )

    def public_jwk(self, kid: str | None = None) -> dict[str, Any]:
        kid = kid or self.kid
        jwk = RSAAlgorithm.to_jwk(self._keys[kid].public_key(), as_dict=True)
        return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}

    def jwks(self, kids: Iterable[str] | None = None) -> dict[str, Any]:
        """The JWKS document publishing ``kids`` (default: every key of this factory)."""
        return {"keys": [self.public_jwk(kid) for kid in (kids or list(self._keys))]}

    # -- claims and tokens -------------------------------------------------------------
    @property
    def issuer(self) -> str:
        return self._issuer or _configured("ISSUER", DEFAULT_ISSUER)

    @property
    def audience(self) -> str:
        return self._audience or _configured("AUDIENCE", DEFAULT_AUDIENCE)

    def claims(
        self,
        user_id: str | None = None,
        *,
        roles: Iterable[str] = ("customer",),
        scopes: Iterable[str] = (),
        token_type: str = "access",
        lifetime: int | None = None,
        omit: Iterable[str] = (),
        **overrides: Any,
    ) -> dict[str, Any]:
        """The contract claims; ``overrides`` replace any of them, ``omit`` drops some."""
        issued_at = time.time()
        now = int(issued_at)
        claims: dict[str, Any] = {
            "sub": str(user_id or uuid.uuid4()),
            "roles": list(roles),
            "scope": " ".join(scopes),
            "iss": self.issuer,
            "aud": self.audience,
            "iat": issued_at,  # to the microsecond, as identity issues it (exact revocations)
            "nbf": now,
            "exp": now + (self.lifetime if lifetime is None else lifetime),
            "jti": uuid.uuid4().hex,
            "token_type": token_type,
        }
        claims.update(overrides)
        for name in omit:
            claims.pop(name, None)
        return claims

    def access_token(
        self,
        user_id: str | None = None,
        *,
        kid: str | None = None,
        headers: dict[str, Any] | None = None,
        **claim_options: Any,
    ) -> str:
        """A signed access token; keyword arguments as for :meth:`claims`."""
        return self.sign(self.claims(user_id, **claim_options), kid=kid, headers=headers)

    def refresh_token(self, user_id: str | None = None, **claim_options: Any) -> str:
        claim_options.setdefault("lifetime", 7 * 24 * 3600)
        return self.sign(self.claims(user_id, token_type="refresh", **claim_options))

    def sign(
        self, claims: dict[str, Any], *, kid: str | None = None, headers: dict[str, Any] | None = None
    ) -> str:
        """RS256-sign ``claims`` with key ``kid``; ``headers`` override the JOSE header
        (a ``None`` value removes that header, e.g. ``{"kid": None}``)."""
        kid = kid or self.kid
        merged = {"kid": kid, **(headers or {})}
        header = {name: value for name, value in merged.items() if value is not None}
        return jwt.encode(claims, self.private_key(kid), algorithm="RS256", headers=header)

    def forge(
        self,
        claims: dict[str, Any],
        *,
        alg: str,
        secret: bytes = b"",
        headers: dict[str, Any] | None = None,
    ) -> str:
        """A token PyJWT would refuse to make: ``alg="none"`` (empty signature) or HS* with
        any ``secret`` (e.g. :meth:`public_pem`, the classic algorithm-confusion attack)."""
        header = {"alg": alg, "typ": "JWT", "kid": self.kid, **(headers or {})}
        signing_input = f"{_b64(json.dumps(header))}.{_b64(json.dumps(claims))}"
        if alg.lower() == "none":
            return signing_input + "."
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
        signature = hmac.new(secret, signing_input.encode(), digest).digest()
        return f"{signing_input}.{_b64(signature)}"


def _b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _configured(name: str, fallback: str) -> str:
    """The service's configured value when Django is set up (tests), else the default."""
    try:
        from django.conf import settings

        if settings.configured:
            return settings.SERVICEKIT["JWT"][name]
    except (ImportError, AttributeError, KeyError):
        pass
    return fallback


def tokens_revoked(
    user_id: str, *, reason: str = "logout_all", at: float | None = None, **extra: Any
) -> dict:
    """The ``data`` of the ``identity.user.tokens_revoked`` identity publishes (revoked now unless
    ``at``), for ``deliver_event("identity.user.tokens_revoked", ..., producer="identity")``."""
    revoked_at = datetime.fromtimestamp(time.time() if at is None else at, tz=UTC)
    return {"user_id": str(user_id), "reason": reason, "revoked_at": revoked_at.isoformat(), **extra}
