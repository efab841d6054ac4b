"""The internal staff sign-in every service's Django admin uses.

(Login histories and the staff unlock are served by ``identity.accounts.api``, which owns
``/api/v1/auth/`` and ``/api/v1/users/``.)
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from identity.logins.services import LoginContext, login_authenticate
from servicekit.api import InternalApi
from servicekit.observability.middleware import client_ip_from


class StaffLoginApi(InternalApi):
    """Another service's Django admin asks: are these an active staff member's credentials?

    Same rules as every sign-in (lockout, history); the caller passes on what its own
    request carried so the client's IP and user agent are recorded, not the service's.
    """

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "StaffLoginInput"

        email = serializers.CharField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        service = serializers.RegexField(r"^[a-z][a-z0-9_-]{0,24}$")
        forwarded_for = serializers.CharField(required=False, allow_blank=True, max_length=1024, default="")
        remote_addr = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
        user_agent = serializers.CharField(required=False, allow_blank=True, max_length=1024, default="")

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "StaffLoginOutput"

        id = serializers.UUIDField()
        email = serializers.EmailField()
        first_name = serializers.CharField()
        last_name = serializers.CharField()
        roles = serializers.ListField(child=serializers.CharField())
        is_staff = serializers.BooleanField()
        is_superuser = serializers.BooleanField()

    @extend_schema(exclude=True)  # internal: not part of the public API documentation
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        context = LoginContext(
            ip=client_ip_from(forwarded_for=data["forwarded_for"], remote_addr=data["remote_addr"]),
            user_agent=data["user_agent"],
            channel=f"admin:{data['service']}",
        )
        user = login_authenticate(
            email=data["email"], password=data["password"], context=context, require_staff=True
        )
        return Response(self.OutputSerializer(user).data)
