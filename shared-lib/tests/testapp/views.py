"""Small views that exercise servicekit's envelope, pagination and auth."""

from types import SimpleNamespace

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from servicekit.api import StrictSerializer
from servicekit.auth import HasRole, HasScope, IsOwnerOrStaff, IsStaff
from servicekit.envelope import Conflict
from servicekit.envelope.pagination import EnvelopePagination
from tests.testapp.models import Switch


class EchoApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=10)
        count = serializers.IntegerField(min_value=1)

    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data, status=201)


class ItemListApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get(self, request):
        paginator = EnvelopePagination()
        items = [{"n": n} for n in range(250)]
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response(page)


class BoomApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get(self, request):
        raise RuntimeError("boom")


class ConflictApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    def post(self, request):
        raise Conflict("Already there.", details={"sku": ["taken"]})


class WhoAmIApi(APIView):
    api_key_scope = "account:read"
    permission_classes = [IsAuthenticated]

    def get(self, request):
        user = request.user
        return Response({"id": str(user.id), "roles": sorted(user.roles), "scopes": sorted(user.scopes)})


# --- servicekit.auth permissions ------------------------------------------------------------


class StaffOrVendorApi(APIView):
    api_key_scope = "catalog:write"
    permission_classes = [HasRole("staff", "vendor")]

    def get(self, request):
        return Response({"ok": True})


class ScopedApi(APIView):
    api_key_scope = "orders:read"
    permission_classes = [HasScope("orders:read", "orders:write")]

    def get(self, request):
        return Response({"ok": True})


class StaffOnlyApi(APIView):
    api_key_scope = "users:admin"
    permission_classes = [IsStaff]

    def get(self, request):
        return Response({"ok": True})


class OwnedThingApi(APIView):
    """An object owned by the user named in the URL (``owner_field`` = ``customer_id``)."""

    api_key_scope = "orders:read"
    permission_classes = [IsOwnerOrStaff]
    owner_field = "customer_id"

    def get(self, request, owner):
        thing = SimpleNamespace(id=1, customer_id=owner)
        self.check_object_permissions(request, thing)
        return Response({"id": thing.id, "customer_id": thing.customer_id})


class UndeclaredScopeApi(APIView):
    """Accepts API keys (the default authentication) but names no scope: keys are refused."""

    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"ok": True})


class SwitchCountApi(APIView):
    """How many switches there are (any caller with credentials; a key needs catalog:read)."""

    api_key_scope = "catalog:read"
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"count": Switch.objects.count()})


# --- servicekit.api.operations: two operations, two sets of rules, one URL ---------------------


class SwitchListApi(APIView):
    """Anyone may read the switches, with or without credentials."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        name = serializers.CharField()
        is_on = serializers.BooleanField()

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request):
        switches = Switch.objects.order_by("name")
        return Response(self.OutputSerializer(switches, many=True).data)


class SwitchCreateApi(APIView):
    """Staff add switches."""

    api_key_scope = "catalog:write"
    permission_classes = [IsStaff]

    class InputSerializer(StrictSerializer):
        name = serializers.CharField(max_length=50)

    @extend_schema(request=InputSerializer, responses={201: SwitchListApi.OutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        switch = Switch.objects.create(name=serializer.validated_data["name"])
        return Response(SwitchListApi.OutputSerializer(switch).data, status=201)
