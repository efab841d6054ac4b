"""A stand-in for another platform service: a DRF endpoint authenticated by servicekit alone.

Mounted next to identity's own URLs by ``test_through_servicekit.py``; it knows nothing of
identity's models, exactly like catalog or orders.
"""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from identity.urls import urlpatterns as identity_urlpatterns
from servicekit.auth import ApiKeyAuthentication, JWTAuthentication


class WhoAmIApi(APIView):
    # What every other service uses (identity's own default is in-process authentication).
    authentication_classes = [JWTAuthentication, ApiKeyAuthentication]
    api_key_scope = "orders:read"

    def get(self, request):
        principal = request.user
        return Response(
            {
                "id": principal.id,
                "roles": sorted(principal.roles),
                "scopes": sorted(principal.scopes),
                "auth_method": principal.auth_method,
            }
        )


urlpatterns = [path("other-service/whoami/", WhoAmIApi.as_view()), *identity_urlpatterns]
