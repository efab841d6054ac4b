"""``Authorization: Bearer <build token>``: flat-manager's HS256 tokens, next to identity's RS256
JWTs on the same header.

:class:`BuildTokenAuthentication` takes a Bearer token whose JWT header says HS256 and leaves
every other one to servicekit's ``JWTAuthentication`` (identity's tokens are RS256 with a
``kid``), so one API serves CI jobs holding build tokens and people holding identity tokens.
``request.user`` is then a :class:`TokenHolder` and ``request.auth`` the token's claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from builds.tokens.claims import Claims
from builds.tokens.codec import ALGORITHM
from builds.tokens.errors import TokenErrorCode
from builds.tokens.selectors import token_verify
from servicekit.auth.authentication import credentials_for


@dataclass(frozen=True, slots=True)
class TokenHolder:
    """Whoever presents a build token: no account, only the token's claims."""

    claims: Claims

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False

    @property
    def pk(self) -> str:  # what throttles and logs key on
        return f"token:{self.claims.jti or self.claims.name or self.claims.sub}"

    id = pk

    def __str__(self) -> str:
        return self.pk


def is_build_token(token: str) -> bool:
    try:
        return jwt.get_unverified_header(token).get("alg") == ALGORITHM
    except jwt.InvalidTokenError:
        return False


class BuildTokenAuthentication(BaseAuthentication):
    scheme = "Bearer"
    error_codes = {401: (TokenErrorCode.INVALID_TOKEN,)}  # documented by servicekit.openapi

    def authenticate(self, request: Request) -> tuple[TokenHolder, Claims] | None:
        token = credentials_for(request, self.scheme)
        if not token or not is_build_token(token):
            return None
        claims = token_verify(token)  # TokenInvalid (401 invalid_token): expired, revoked, forged
        return TokenHolder(claims), claims

    def authenticate_header(self, request: Request) -> str:
        return f'{self.scheme} realm="builds"'


def claims_of(request: Any) -> Claims | None:
    """The build token's claims when the request presented one."""
    user = getattr(request, "user", None)
    return user.claims if isinstance(user, TokenHolder) else None
