from django.urls import include, path

from identity.accounts.api import urls as accounts
from identity.apikeys.api import urls as apikeys
from identity.logins.api import urls as logins
from identity.tokens.api import urls as tokens
from identity.tokens.api.views import jwks_view
from servicekit.urls import handler400, handler403, handler404, handler500, platform_urlpatterns  # noqa: F401

urlpatterns = [
    path(".well-known/jwks.json", jwks_view, name="jwks"),
    path(
        "api/v1/auth/", include(accounts.auth_urlpatterns + tokens.auth_urlpatterns + logins.auth_urlpatterns)
    ),
    path("api/v1/users/", include(logins.users_urlpatterns + accounts.users_urlpatterns)),
    path("api/v1/api-keys/", include(apikeys.urlpatterns)),
    # Between services only: the gateway answers /internal/ with 404 from the outside.
    path("internal/", include(logins.internal_urlpatterns + apikeys.internal_urlpatterns)),
    *platform_urlpatterns(),
]
