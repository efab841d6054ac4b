"""The JWKS: the public keys other services verify identity's access tokens with.

(The token endpoints, login, refresh and logout, are served under /api/v1/auth/ by
``identity.accounts.api.session_views``.)
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from identity.tokens.keys import current_keyring
from servicekit.envelope.views import error_response

# Verifiers cache the JWKS themselves (and refetch on an unknown kid); a short shared-cache
# lifetime keeps a rotation visible quickly through any proxy in between.
JWKS_MAX_AGE_SECONDS = 60
JWKS_METHODS = ("GET", "HEAD")


@csrf_exempt  # no state to protect; a POST must get the 405 below, not a CSRF 403
def jwks_view(request: HttpRequest) -> JsonResponse:
    """RFC 7517 JWK Set: the plain document verifiers expect, not an envelope.

    Any other method is an error, and errors are envelopes (as DRF's 405 elsewhere)."""
    if request.method not in JWKS_METHODS:
        return error_response(
            405,
            "method_not_allowed",
            f'Method "{request.method}" not allowed.',
            headers={"Allow": ", ".join(JWKS_METHODS)},
        )
    response = JsonResponse(current_keyring().jwks())
    response["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE_SECONDS}"
    return response
