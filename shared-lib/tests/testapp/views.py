"""Small views that exercise servicekit's envelope, pagination and auth."""

from types import SimpleNamespace

from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from servicekit.api import StrictSerializer
from servicekit.auth import HasRole, HasScope, IsOwnerOrStaff, IsStaff
from servicekit.envelope import ApplicationError, Conflict
from servicekit.envelope.pagination import EnvelopePagination
from servicekit.envelope.parsers import UPLOAD_PARSERS
from servicekit.openapi import error_codes
from tests.testapp.models import Switch

OK = inline_serializer("Ok", {"ok": serializers.BooleanField()})
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class EchoApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "EchoInput"

        name = serializers.CharField(max_length=10)
        count = serializers.IntegerField(min_value=1)

    @extend_schema(request=InputSerializer, responses={201: InputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data, status=201)


class UploadApi(APIView):
    """An operation taking a file: it opts in to multipart, and still reads JSON."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    parser_classes = UPLOAD_PARSERS

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "UploadInput"

        name = serializers.CharField(max_length=10)
        file = serializers.FileField(required=False)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "Upload"

        name = serializers.CharField()
        size = serializers.IntegerField(allow_null=True, help_text="The file's bytes; null without one.")

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data.get("file")
        answer = {"name": serializer.validated_data["name"], "size": upload.size if upload else None}
        return Response(self.OutputSerializer(answer).data, status=201)


class ItemListApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses=inline_serializer("Item", {"n": serializers.IntegerField()}, many=True))
    def get(self, request):
        paginator = EnvelopePagination()
        items = [{"n": n} for n in range(250)]
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response(page)


class BoomApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses=OK)
    def get(self, request):
        raise RuntimeError("boom")


class ConflictApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=None, responses={201: OK})
    @error_codes({409: ["conflict"]})
    def post(self, request):
        raise Conflict("Already there.", details={"sku": ["taken"]})


class WhoAmIApi(APIView):
    api_key_scope = "account:read"
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=inline_serializer(
            "WhoAmI",
            {
                "id": serializers.CharField(),
                "roles": serializers.ListField(child=serializers.CharField()),
                "scopes": serializers.ListField(child=serializers.CharField()),
            },
        )
    )
    def get(self, request):
        user = request.user
        return Response({"id": str(user.id), "roles": sorted(user.roles), "scopes": sorted(user.scopes)})


# --- servicekit.auth permissions ------------------------------------------------------------


class StaffOrVendorApi(APIView):
    api_key_scope = "catalog:write"
    permission_classes = [HasRole("staff", "vendor")]

    @extend_schema(responses=OK)
    def get(self, request):
        return Response({"ok": True})


class ScopedApi(APIView):
    api_key_scope = "orders:read"
    permission_classes = [HasScope("orders:read", "orders:write")]

    @extend_schema(responses=OK)
    def get(self, request):
        return Response({"ok": True})


class StaffOnlyApi(APIView):
    api_key_scope = "users:admin"
    permission_classes = [IsStaff]

    @extend_schema(responses=OK)
    def get(self, request):
        return Response({"ok": True})


class OwnedThingApi(APIView):
    """An object owned by the user named in the URL (``owner_field`` = ``customer_id``)."""

    api_key_scope = "orders:read"
    permission_classes = [IsOwnerOrStaff]
    owner_field = "customer_id"

    @extend_schema(
        responses=inline_serializer(
            "OwnedThing", {"id": serializers.IntegerField(), "customer_id": serializers.CharField()}
        )
    )
    def get(self, request, owner):
        thing = SimpleNamespace(id=1, customer_id=owner)
        self.check_object_permissions(request, thing)
        return Response({"id": thing.id, "customer_id": thing.customer_id})


class UndeclaredScopeApi(APIView):
    """Accepts API keys (the default authentication) but names no scope: keys are refused."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OK)
    def get(self, request):
        return Response({"ok": True})


class SwitchCountApi(APIView):
    """How many switches there are (any caller with credentials; a key needs catalog:read)."""

    api_key_scope = "catalog:read"
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=inline_serializer("SwitchCount", {"count": serializers.IntegerField()}))
    def get(self, request):
        return Response({"count": Switch.objects.count()})


class DriftApi(APIView):
    """Answers what its document does not say when asked (``?answer=body|code|status``)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses=OK)
    @error_codes({409: ["conflict"]})
    def get(self, request):
        answer = request.query_params.get("answer")
        if answer == "code":
            raise Conflict("Surprise.", code="surprise")
        if answer == "status":
            raise ApplicationError("Gone.", code="gone", status_code=410)
        return Response({"ok": "yes" if answer == "body" else True})


class PictureApi(APIView):
    """A file, sent as it is (no envelope)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={(200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request):
        return HttpResponse(PNG_SIGNATURE + b"\x00" * 16, content_type="image/png")


# --- servicekit.api.operations: two operations, two sets of rules, one URL ---------------------


class SwitchListApi(APIView):
    """Anyone may read the switches, with or without credentials."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    pagination_class = None  # every switch at once

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


class ReportCsvApi(APIView):
    """A file: its body is the CSV itself, not an envelope."""

    api_key_scope = "analytics:read"
    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request):
        return StreamingHttpResponse(iter(["n\r\n", "1\r\n"]), content_type="text/csv")
