"""Routes under /api/v1/api-keys/ and /internal/api-keys/ (identity/urls.py)."""

from django.urls import path

from identity.apikeys.api import views
from servicekit.api import operations

urlpatterns = [
    path("", operations(get=views.ApiKeyListApi, post=views.ApiKeyCreateApi), name="apikeys-api-key-list"),
    path(
        "<uuid:api_key_id>/",
        operations(get=views.ApiKeyDetailApi, delete=views.ApiKeyRevokeApi),
        name="apikeys-api-key-detail",
    ),
]

# Between services only: the gateway answers /internal/ with 404 from the outside.
internal_urlpatterns = [
    path("introspect/", views.ApiKeyIntrospectApi.as_view(), name="internal-apikeys-api-key-introspect"),
]
