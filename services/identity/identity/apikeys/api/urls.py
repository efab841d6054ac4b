from django.urls import path

from identity.apikeys.api import views

urlpatterns = [
    path("", views.ApiKeysApi.as_view(), name="api-key-list"),
    path("<uuid:api_key_id>/", views.ApiKeyDetailApi.as_view(), name="api-key-detail"),
]

internal_urlpatterns = [
    path("api-keys/introspect/", views.ApiKeyIntrospectApi.as_view(), name="internal-api-key-introspect"),
]
