"""Session APIs: start, list, status, the QR code (JSON, PNG, SVG), the loopback scan, stop,
log out, and the health probe. Another user's session is 404."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils.http import http_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from messaging.api import READ, SEND, UserApi
from messaging.chat.errors import MessageErrorCode
from messaging.chat.probe import ProbeResult, probe_result, session_probe_start
from messaging.chat.selectors import probe_message_get
from messaging.sessions.errors import SessionErrorCode
from messaging.sessions.models import Session
from messaging.sessions.qr import qr_png, qr_svg
from messaging.sessions.selectors import session_get, session_list, session_live
from messaging.sessions.services import (
    QrCode,
    session_logout,
    session_qr_code,
    session_scan_simulate,
    session_start,
    session_stop,
)
from servicekit.api import FileAnswerNegotiation, StrictSerializer
from servicekit.auth import user_id_of
from servicekit.envelope.errors import NotFound
from servicekit.envelope.pagination import paginated_response
from servicekit.openapi import error_codes

# Asking for the QR code: not waiting for a scan, every code expired; the provider's trouble.
QR_ERRORS = {
    409: [SessionErrorCode.NOT_SCANNING, SessionErrorCode.QR_EXPIRED],
    502: [SessionErrorCode.PROVIDER_REJECTED],
    503: [SessionErrorCode.PROVIDER_UNAVAILABLE],
}


class SessionOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "MessagingSession"

    id = serializers.UUIDField()
    status = serializers.CharField(help_text="starting, scan_qr_code, working, failed or stopped")
    status_reason = serializers.CharField()
    provider = serializers.CharField()
    phone_number = serializers.CharField(help_text="E.164, once logged in; empty before")
    qr_expires_at = serializers.DateTimeField(allow_null=True, help_text="the QR code being shown")
    created_at = serializers.DateTimeField()
    status_changed_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


def _session_for(request: Request, session_id: str) -> Session:
    return session_get(user_id=user_id_of(request), session_id=session_id)


def _session(session: Session, *, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(SessionOutputSerializer(session).data, status=status_code)


class SessionListApi(UserApi):
    """The caller's sessions, newest first (stopped and failed ones stay as history)."""

    api_key_scope = READ
    OutputSerializer = SessionOutputSerializer

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return paginated_response(
            queryset=session_list(user_id=user_id_of(request)),
            serializer_class=self.OutputSerializer,
            request=request,
            view=self,
        )


class SessionStartApi(UserApi):
    """Start a WhatsApp session (201), or answer with the live one (200): a user has at most
    one. It turns ``scan_qr_code`` once the provider has started it; then fetch its QR code."""

    api_key_scope = SEND

    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "MessagingSessionStartInput"

    OutputSerializer = SessionOutputSerializer

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer, 200: OutputSerializer})
    @error_codes({400: ["validation_error"]})
    def post(self, request: Request) -> Response:
        self.InputSerializer(data=request.data).is_valid(raise_exception=True)
        user_id = user_id_of(request)
        live = session_live(user_id=user_id)
        if live is not None:
            return _session(live)
        session = session_start(user_id=user_id)
        response = _session(session, status_code=status.HTTP_201_CREATED)
        response["Location"] = reverse("sessions-session-detail", args=[session.id])
        return response


class SessionDetailApi(UserApi):
    """One of the caller's sessions: its status."""

    api_key_scope = READ
    OutputSerializer = SessionOutputSerializer

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, session_id: str) -> Response:
        return _session(_session_for(request, session_id))


class SessionQrApi(UserApi):
    """The QR code to scan now, as text; a new one replaces it once it expires (409
    ``qr_expired`` after the last one, which fails the session)."""

    api_key_scope = SEND  # asking may issue a new code

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MessagingSessionQr"

        value = serializers.CharField(help_text="the text the phone scans")
        expires_at = serializers.DateTimeField()
        number = serializers.IntegerField(help_text="1 for the first code of this scan, then 2, 3…")
        codes_left = serializers.IntegerField(help_text="codes still to come before the session fails")
        png_url = serializers.CharField()
        svg_url = serializers.CharField()

    @extend_schema(responses=OutputSerializer)
    @error_codes(QR_ERRORS)
    def get(self, request: Request, session_id: str) -> Response:
        session = _session_for(request, session_id)
        code = session_qr_code(session=session)
        return Response(
            self.OutputSerializer(
                {
                    "value": code.value,
                    "expires_at": code.expires_at,
                    "number": code.number,
                    "codes_left": code.codes_left,
                    "png_url": reverse("sessions-session-qr-png", args=[session.id]),
                    "svg_url": reverse("sessions-session-qr-svg", args=[session.id]),
                }
            ).data
        )


class _QrImageApi(UserApi):
    api_key_scope = SEND
    content_negotiation_class = FileAnswerNegotiation
    content_type = ""

    @staticmethod
    def draw(value: str) -> bytes:
        raise NotImplementedError

    @error_codes(QR_ERRORS)
    def get(self, request: Request, session_id: str) -> HttpResponse:
        code: QrCode = session_qr_code(session=_session_for(request, session_id))
        response = HttpResponse(self.draw(code.value), content_type=self.content_type)
        # A login credential for as long as it is shown: never cached, gone when it expires.
        response["Cache-Control"] = "no-store"
        response["Expires"] = http_date(code.expires_at.timestamp())
        return response


@extend_schema_view(get=extend_schema(responses={(200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY)}))
class SessionQrPngApi(_QrImageApi):
    """The QR code to scan now, as a PNG image (errors are JSON envelopes)."""

    content_type = "image/png"
    draw = staticmethod(qr_png)


@extend_schema_view(
    get=extend_schema(responses={(200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.BINARY)})
)
class SessionQrSvgApi(_QrImageApi):
    """The QR code to scan now, as an SVG image (errors are JSON envelopes)."""

    content_type = "image/svg+xml"
    draw = staticmethod(qr_svg)


class SessionScanApi(UserApi):
    """Development only: the loopback phone scans the QR code being shown, and the session turns
    ``working`` a moment later (404 in production; 400 ``loopback_only`` for other providers)."""

    api_key_scope = SEND
    OutputSerializer = SessionOutputSerializer

    @extend_schema(request=None, responses={202: OutputSerializer})
    @error_codes(
        {
            400: [SessionErrorCode.LOOPBACK_ONLY],
            409: [SessionErrorCode.NOT_SCANNING, SessionErrorCode.QR_EXPIRED],
        }
    )
    def post(self, request: Request, session_id: str) -> Response:
        if settings.DJANGO_ENV == "production":
            raise NotFound("The requested resource was not found.")
        session = session_scan_simulate(session=_session_for(request, session_id))
        return _session(session, status_code=status.HTTP_202_ACCEPTED)


class SessionStopApi(UserApi):
    """Stop the session, keeping the login at the provider (stopping a stopped one is a no-op)."""

    api_key_scope = SEND
    OutputSerializer = SessionOutputSerializer
    stop = staticmethod(session_stop)

    @extend_schema(request=None, responses=OutputSerializer)
    def post(self, request: Request, session_id: str) -> Response:
        return _session(self.stop(session=_session_for(request, session_id)))


class SessionLogoutApi(SessionStopApi):
    """Stop the session and log the account out: the next session needs a new scan."""

    stop = staticmethod(session_logout)


class ProbeOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "MessagingSessionProbe"

    id = serializers.UUIDField(source="message_id")
    state = serializers.CharField(help_text="pending, healthy or unhealthy")
    message_status = serializers.CharField()
    seconds = serializers.FloatField(allow_null=True, help_text="from sending to the acknowledgement")
    reason = serializers.CharField()


def _probe(session: Session, result: ProbeResult, *, status_code: int = status.HTTP_200_OK) -> Response:
    response = Response(ProbeOutputSerializer(result).data, status=status_code)
    response["Location"] = reverse("sessions-session-probe-detail", args=[session.id, result.message_id])
    return response


class SessionProbeStartApi(UserApi):
    """Check the session really works: a test message goes to its own number, and the probe is
    healthy once the phone acknowledges it. Answers 202 at once; follow ``Location``."""

    api_key_scope = SEND
    OutputSerializer = ProbeOutputSerializer

    @extend_schema(request=None, responses={202: OutputSerializer})
    @error_codes({409: [MessageErrorCode.SESSION_NOT_WORKING]})
    def post(self, request: Request, session_id: str) -> Response:
        session = _session_for(request, session_id)
        probe = session_probe_start(session=session)
        return _probe(session, probe_result(probe=probe), status_code=status.HTTP_202_ACCEPTED)


class SessionProbeDetailApi(UserApi):
    """Where a health probe stands: ``pending``, ``healthy`` or ``unhealthy`` (with why)."""

    api_key_scope = READ
    OutputSerializer = ProbeOutputSerializer

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, session_id: str, probe_id: str) -> Response:
        session = _session_for(request, session_id)
        probe = probe_message_get(session_id=session.id, probe_id=probe_id)
        return _probe(session, probe_result(probe=probe))
