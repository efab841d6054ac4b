"""/api/v1/messaging/notification-preferences/: e-mail kinds the caller gets; security mail stays on."""

import uuid

import pytest

from messaging.notifications.models import NotificationKind, OptOut
from tests.apis.conftest import code_of, data_of, details_of

PREFERENCES = "/api/v1/messaging/notification-preferences/"


def enabled(response) -> dict[str, bool]:
    return {p["kind"]: p["is_enabled"] for p in data_of(response)}


@pytest.mark.django_db
def test_every_kind_is_listed_on_by_default_and_security_mail_is_not_optional(user):
    response = user.get(PREFERENCES)

    assert response.status_code == 200
    preferences = {p["kind"]: p for p in data_of(response)}
    assert set(preferences) == set(NotificationKind.values)
    assert all(p["is_enabled"] for p in preferences.values())
    assert {kind for kind, p in preferences.items() if not p["is_optional"]} == {
        "email_verification",
        "password_reset",
        "registration_attempt",
    }


@pytest.mark.django_db
def test_kinds_are_turned_off_and_back_on(user, user_id):
    off = user.patch(PREFERENCES, {"order_shipped": False, "welcome": False}, format="json")

    assert off.status_code == 200
    assert [kind for kind, on in enabled(off).items() if not on] == ["welcome", "order_shipped"]
    assert set(OptOut.objects.filter(user_id=user_id).values_list("kind", flat=True)) == {
        "welcome",
        "order_shipped",
    }

    on = user.patch(PREFERENCES, {"order_shipped": True, "password_reset": True}, format="json")

    assert [kind for kind, is_on in enabled(on).items() if not is_on] == ["welcome"]


@pytest.mark.django_db
def test_security_mail_cannot_be_turned_off_and_nothing_else_changes(user, user_id):
    response = user.patch(PREFERENCES, {"order_paid": False, "password_reset": False}, format="json")

    assert response.status_code == 400
    assert code_of(response) == "notification_not_optional"
    assert not OptOut.objects.filter(user_id=user_id).exists()  # all or nothing


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"), [({"newsletter": False}, "newsletter"), ({"welcome": "nah"}, "welcome")]
)
def test_unknown_kinds_and_non_booleans_are_refused(user, user_id, body, field):
    response = user.patch(PREFERENCES, body, format="json")

    assert response.status_code == 400
    assert list(details_of(response)) == [field]
    assert not OptOut.objects.exists()


@pytest.mark.django_db
def test_preferences_are_each_users_own(user, client_for):
    client_for(uuid.uuid4()).patch(PREFERENCES, {"welcome": False}, format="json")

    assert all(enabled(user.get(PREFERENCES)).values())


@pytest.mark.django_db
def test_anonymous_callers_are_refused(api_client):
    assert api_client.get(PREFERENCES).status_code == 401
    assert api_client.patch(PREFERENCES, {"welcome": False}, format="json").status_code == 401
    assert not OptOut.objects.exists()
