"""Staff sign-in to a service's Django admin with identity's credentials.

A real HTTP server (stdlib) stands in for identity's ``/internal/auth/staff-login/``.
"""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import authenticate, get_user_model

from servicekit.adminauth.client import STAFF_LOGIN_PATH, identity_url
from servicekit.adminauth.handlers import SHADOW_USER_HANDLERS
from servicekit.events.envelope import Event
from servicekit.testing.http_server import LocalHttpServer, RecordedRequest

pytestmark = pytest.mark.django_db
BACKEND = "servicekit.adminauth.backends.IdentityStaffBackend"
PASSWORD = "staff-Passphrase-1"


class Identity:
    """identity's staff-login endpoint: ``accounts`` maps an email to (password, answer)."""

    def __init__(self, internal_token: str) -> None:
        self.internal_token = internal_token
        self.accounts: dict[str, tuple[str, dict]] = {}
        self.server = LocalHttpServer(self.answer)

    def add(self, email: str, *, roles: list[str], password: str = PASSWORD, **extra) -> None:
        self.accounts[email] = (
            password,
            {
                "id": str(uuid.uuid4()),
                "email": email,
                "first_name": "Grace",
                "last_name": "Hopper",
                "roles": roles,
                "is_staff": bool({"staff", "admin"} & set(roles)),
                "is_superuser": "admin" in roles,
                **extra,
            },
        )

    def answer(self, request: RecordedRequest) -> tuple[int, object]:
        if request.path != STAFF_LOGIN_PATH or request.method != "POST":
            return 404, {"error": {"code": "not_found"}}
        if request.headers.get("x-internal-token") != self.internal_token:
            return 403, {"error": {"code": "permission_denied"}}
        body = request.json()
        password, user = self.accounts.get(body["email"].lower(), (None, None))
        if user is None or body["password"] != password:
            return 401, {"error": {"code": "invalid_credentials"}}
        if not user["is_staff"]:
            return 403, {"error": {"code": "not_staff"}}
        return 200, {"data": user, "meta": {"request_id": "r"}}


@pytest.fixture
def identity(settings):
    fake = Identity(settings.SERVICEKIT["INTERNAL_API_TOKEN"])
    fake.server.start()
    settings.AUTHENTICATION_BACKENDS = [BACKEND]
    settings.SERVICEKIT = {**settings.SERVICEKIT, "IDENTITY_INTERNAL_URL": fake.server.url}
    yield fake
    fake.server.stop()


def shadow(email: str):
    return get_user_model().objects.get(username=email)


def test_staff_sign_in_creates_a_shadow_staff_user_without_a_password(identity, rf):
    identity.add("grace@example.com", roles=["staff"])
    request = rf.post("/admin/testsvc/login/", HTTP_X_FORWARDED_FOR="198.51.100.7", HTTP_USER_AGENT="Firefox")
    user = authenticate(request, username="Grace@Example.com", password=PASSWORD)
    assert user == shadow("grace@example.com")
    assert user.is_staff and user.is_active and not user.is_superuser
    assert (user.email, user.first_name) == ("grace@example.com", "Grace")
    assert not user.has_usable_password()

    (call,) = identity.server.requests
    assert call.json() == {
        "email": "Grace@Example.com",
        "password": PASSWORD,
        "service": "testsvc",
        "forwarded_for": "198.51.100.7",
        "remote_addr": "127.0.0.1",
        "user_agent": "Firefox",
    }


def test_identity_admins_are_superusers_and_later_sign_ins_refresh_the_shadow(identity, rf):
    identity.add("root@example.com", roles=["admin"])
    assert authenticate(rf.post("/"), username="root@example.com", password=PASSWORD).is_superuser
    identity.add("root@example.com", roles=["staff"], first_name="Renamed")
    user = authenticate(rf.post("/"), username="root@example.com", password=PASSWORD)
    assert user.is_staff and not user.is_superuser and user.first_name == "Renamed"
    assert get_user_model().objects.count() == 1


@pytest.mark.parametrize(
    "email, password",
    [("grace@example.com", "wrong"), ("nobody@example.com", PASSWORD), ("customer@example.com", PASSWORD)],
)
def test_refusals_create_no_user(identity, rf, email, password):
    identity.add("grace@example.com", roles=["staff"])
    identity.add("customer@example.com", roles=["customer"])
    assert authenticate(rf.post("/"), username=email, password=password) is None
    assert not get_user_model().objects.exists()


def test_an_answer_without_a_staff_role_is_refused_here_too(identity, rf):
    identity.add("odd@example.com", roles=["customer"], is_staff=True)  # a confused identity
    assert authenticate(rf.post("/"), username="odd@example.com", password=PASSWORD) is None


def test_local_passwords_never_work(identity, rf):
    get_user_model().objects.create_user("local@example.com", password=PASSWORD, is_staff=True)
    assert authenticate(rf.post("/"), username="local@example.com", password=PASSWORD) is None


def test_identity_unreachable_refuses_without_raising(identity, rf, caplog):
    identity.add("grace@example.com", roles=["staff"])
    identity.server.stop()
    assert authenticate(rf.post("/"), username="grace@example.com", password=PASSWORD) is None
    assert "identity cannot be reached" in caplog.text


def test_the_wrong_internal_token_is_a_refusal(identity, rf, settings):
    identity.add("grace@example.com", roles=["staff"])
    settings.SERVICEKIT = {**settings.SERVICEKIT, "INTERNAL_API_TOKEN": "not-the-token"}
    assert authenticate(rf.post("/"), username="grace@example.com", password=PASSWORD) is None


def test_the_admin_login_form_signs_staff_in(identity, client):
    identity.add("grace@example.com", roles=["staff"])
    response = client.post("/admin/testsvc/login/", {"username": "grace@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/testsvc/").status_code == 200


def test_the_identity_url_defaults_to_the_introspection_origin(settings):
    settings.SERVICEKIT = {
        **settings.SERVICEKIT,
        "IDENTITY_INTERNAL_URL": "",
        "JWT": {
            **settings.SERVICEKIT["JWT"],
            "API_KEY_INTROSPECTION_URL": "http://identity:8000/internal/x/",
        },
    }
    assert identity_url() == "http://identity:8000"


def deliver(event_type: str, data: dict) -> None:
    event = Event.new(event_type, "subject", data, producer="identity", correlation_id=None)
    for subscription in SHADOW_USER_HANDLERS:
        if subscription.type == event_type:
            subscription.func(subscription.narrow(event))


def test_identity_events_demote_and_deactivate_shadows(identity, client):
    identity.add("grace@example.com", roles=["admin"])
    client.post("/admin/testsvc/login/", {"username": "grace@example.com", "password": PASSWORD})
    deliver("identity.user.updated", {"email": "grace@example.com", "roles": ["staff"], "is_active": True})
    assert not shadow("grace@example.com").is_superuser and shadow("grace@example.com").is_staff
    deliver("identity.user.updated", {"email": "grace@example.com", "roles": ["customer"], "is_active": True})
    assert not shadow("grace@example.com").is_staff
    # The open admin session ends at once: the admin checks is_staff on every request.
    assert client.get("/admin/testsvc/").status_code == 302
    deliver(
        "identity.user.deactivated", {"email": "grace@example.com", "user_id": "u", "api_key_prefixes": []}
    )
    assert not shadow("grace@example.com").is_active


def test_events_about_people_without_a_shadow_create_nothing(db):
    deliver("identity.user.updated", {"email": "someone@example.com", "roles": ["admin"], "is_active": True})
    assert not get_user_model().objects.exists()


@pytest.fixture
def deliver_to_shadows(settings):
    """servicekit.testing's deliverer, with the shadow-user handlers and identity's real schemas."""
    from pathlib import Path

    from servicekit.events.registry import Registry
    from servicekit.testing.events import EventDeliverer

    contracts = Path(__file__).resolve().parents[2] / "contracts" / "events"
    settings.SERVICEKIT = {**settings.SERVICEKIT, "CONTRACTS_DIR": str(contracts)}
    return EventDeliverer(Registry(SHADOW_USER_HANDLERS))


def tokens_revoked(user_id: str, reason: str = "password_changed") -> dict:
    return {"user_id": user_id, "reason": reason, "revoked_at": "2026-01-01T00:00:00+00:00"}


@pytest.mark.parametrize("reason", ["password_changed", "password_reset", "logout_all"])
def test_revoking_a_users_tokens_ends_their_admin_sessions_here(identity, client, deliver_to_shadows, reason):
    from django.test import Client

    identity.add("grace@example.com", roles=["staff"])
    identity.add("ada@example.com", roles=["staff"])
    grace_id = identity.accounts["grace@example.com"][1]["id"]
    client.post("/admin/testsvc/login/", {"username": "grace@example.com", "password": PASSWORD})
    colleague = Client()
    colleague.post("/admin/testsvc/login/", {"username": "ada@example.com", "password": PASSWORD})
    assert client.get("/admin/testsvc/").status_code == 200
    assert not shadow("grace@example.com").has_usable_password()

    outcome = deliver_to_shadows("identity.user.tokens_revoked", tokens_revoked(grace_id, reason))

    assert outcome.handled == ["servicekit.adminauth.handlers.sign_shadow_out_on_tokens_revoked"]
    response = client.get("/admin/testsvc/")
    assert response.status_code == 302 and "/login/" in response["Location"]  # logged out
    assert colleague.get("/admin/testsvc/").status_code == 200  # someone else's session stays
    shadow_user = shadow("grace@example.com")
    assert not shadow_user.has_usable_password() and shadow_user.is_staff and shadow_user.is_active
    # Identity still vouches for the staff member: signing in again works.
    client.post("/admin/testsvc/login/", {"username": "grace@example.com", "password": PASSWORD})
    assert client.get("/admin/testsvc/").status_code == 200


def test_a_shadow_signed_in_before_it_carried_identitys_id_gets_it_at_its_next_sign_in(identity, rf):
    identity.add("grace@example.com", roles=["staff"])
    user = authenticate(rf.post("/"), username="grace@example.com", password=PASSWORD)
    user.set_unusable_password()  # as shadows were made before they carried the id
    user.save()
    grace_id = identity.accounts["grace@example.com"][1]["id"]
    from servicekit.adminauth.shadow import shadow_user_sign_out

    assert shadow_user_sign_out(identity_id=grace_id) == 0

    authenticate(rf.post("/"), username="grace@example.com", password=PASSWORD)
    assert shadow_user_sign_out(identity_id=grace_id) == 1
    assert shadow_user_sign_out(identity_id=str(uuid.uuid4())) == 0
    assert shadow_user_sign_out(identity_id="not-a-uuid") == 0
