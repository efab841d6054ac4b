"""Routes under /.well-known/ (identity/urls.py)."""

from django.urls import path

from identity.tokens.api.views import jwks_view

urlpatterns = [
    path("jwks.json", jwks_view, name="tokens-jwks"),
]
