"""/api/v1/messaging/quotas/: the caller's usage and limit; staff read and override anyone's."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from messaging.quotas.models import DailyUsage, QuotaOverride
from tests.apis.conftest import code_of, data_of, details_of

ME = "/api/v1/messaging/quotas/me/"


def quota_url(user_id) -> str:
    return f"/api/v1/messaging/quotas/{user_id}/"


def next_midnight() -> str:
    tomorrow = timezone.now().astimezone(UTC).date() + timedelta(days=1)
    return datetime.combine(tomorrow, datetime.min.time(), tzinfo=UTC).isoformat().replace("+00:00", "Z")


@pytest.mark.django_db
def test_the_callers_usage_limit_and_reset(user, user_id, messaging_conf):
    messaging_conf(DAILY_MESSAGE_LIMIT=50)
    DailyUsage.objects.create(user_id=user_id, day=timezone.now().date(), count=7)
    DailyUsage.objects.create(user_id=user_id, day=timezone.now().date() - timedelta(days=1), count=40)

    response = user.get(ME)

    assert response.status_code == 200
    assert data_of(response) == {
        "user_id": str(user_id),
        "limit": 50,
        "used": 7,
        "remaining": 43,
        "resets_at": next_midnight(),
        "is_overridden": False,
    }


@pytest.mark.django_db
def test_a_user_reads_their_own_quota_but_not_anyone_elses(user, user_id):
    assert user.get(quota_url(user_id)).status_code == 200

    response = user.get(quota_url(uuid.uuid4()))

    assert response.status_code == 404
    assert code_of(response) == "not_found"


@pytest.mark.django_db
def test_staff_override_a_users_limit_and_the_user_sees_it(staff_client, client_for, messaging_conf):
    messaging_conf(DAILY_MESSAGE_LIMIT=50)
    customer = client_for(uuid.uuid4())

    response = staff_client.put(
        quota_url(customer.user_id), {"daily_limit": 5, "reason": "trial account"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert (data_of(response)["limit"], data_of(response)["is_overridden"]) == (5, True)
    override = QuotaOverride.objects.get(user_id=customer.user_id)
    assert (override.daily_limit, override.reason, str(override.set_by)) == (
        5,
        "trial account",
        staff_client.user_id,
    )
    assert data_of(customer.get(ME))["limit"] == 5
    assert data_of(staff_client.get(quota_url(customer.user_id)))["limit"] == 5


@pytest.mark.django_db
def test_staff_return_a_user_to_the_default(staff_client, user, user_id, messaging_conf):
    messaging_conf(DAILY_MESSAGE_LIMIT=50)
    QuotaOverride.objects.create(user_id=user_id, daily_limit=5)

    response = staff_client.delete(quota_url(user_id))

    assert response.status_code == 204
    assert not QuotaOverride.objects.exists()
    assert (data_of(user.get(ME))["limit"], data_of(user.get(ME))["is_overridden"]) == (50, False)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"daily_limit": -1}, "daily_limit"),
        ({"daily_limit": 10_000_001}, "daily_limit"),
        ({"daily_limit": "many"}, "daily_limit"),
        ({}, "daily_limit"),
        ({"daily_limit": 5, "reason": "x" * 256}, "reason"),
        ({"daily_limit": 5, "expires": "never"}, "expires"),
    ],
)
def test_an_invalid_override_is_refused(staff_client, user_id, body, field):
    response = staff_client.put(quota_url(user_id), body, format="json")

    assert response.status_code == 400
    assert code_of(response) == "validation_error"
    assert list(details_of(response)) == [field]
    assert not QuotaOverride.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["put", "delete"])
def test_only_staff_override_quotas(user, user_id, method):
    QuotaOverride.objects.create(user_id=user_id, daily_limit=5)

    response = getattr(user, method)(quota_url(user_id), {"daily_limit": 1000}, format="json")

    assert response.status_code == 403
    assert code_of(response) == "permission_denied"
    assert QuotaOverride.objects.get(user_id=user_id).daily_limit == 5


@pytest.mark.django_db
def test_an_api_key_cannot_override_quotas_even_a_staff_one(api_key_client_for, user_id):
    staff_key = api_key_client_for(uuid.uuid4(), scopes=["messaging:send", "messaging:read"], roles=["staff"])

    response = staff_key.put(quota_url(user_id), {"daily_limit": 1000}, format="json")

    assert response.status_code == 401
    assert not QuotaOverride.objects.exists()
