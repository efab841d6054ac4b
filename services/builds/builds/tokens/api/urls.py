"""Routes under /api/v1/builds/tokens/ (builds/urls.py)."""

from django.urls import path

from builds.tokens.api.views import TokenDetailApi, TokenIssueApi, TokenListApi, TokenRevokeApi
from servicekit.api import operations

urlpatterns = [
    path("", operations(get=TokenListApi, post=TokenIssueApi), name="tokens-token-list"),
    path("<str:jti>/", TokenDetailApi.as_view(), name="tokens-token-detail"),
    path("<str:jti>/revoke/", TokenRevokeApi.as_view(), name="tokens-token-revoke"),
]
