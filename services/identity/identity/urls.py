from django.urls import include, path

from identity.accounts.api import urls as accounts
from identity.apikeys.api.urls import internal_urlpatterns as apikeys_internal
from identity.logins.api.urls import internal_urlpatterns as logins_internal
from servicekit.urls import handler400, handler403, handler404, handler500, platform_urlpatterns  # noqa: F401

# One owner per prefix: everything under it is routed by that app's api/urls.py.
urlpatterns = [
    path(".well-known/", include("identity.tokens.api.urls")),
    path("api/v1/auth/", include(accounts.auth_urlpatterns)),
    path("api/v1/users/", include(accounts.users_urlpatterns)),
    path("api/v1/api-keys/", include("identity.apikeys.api.urls")),
    # Between services only: the gateway answers /internal/ with 404 from the outside.
    path("internal/auth/", include(logins_internal)),
    path("internal/api-keys/", include(apikeys_internal)),
    *platform_urlpatterns(),
]
