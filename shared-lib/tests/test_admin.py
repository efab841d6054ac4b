"""servicekit.admin: every service's admin site, and the read-only and write-through-services
model admins (the test app's admins in ``tests/testapp/admin.py`` use them)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission

from servicekit.admin import amount_column
from servicekit.admin.site import EmailAuthenticationForm, ServiceAdminSite
from tests.testapp.admin import SwitchAdmin
from tests.testapp.models import Effect, Switch

pytestmark = pytest.mark.django_db
ADMIN = "/admin/testsvc/"
EFFECTS = f"{ADMIN}testapp/effect/"
SWITCHES = f"{ADMIN}testapp/switch/"


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def effect(subject: str) -> Effect:
    return Effect.objects.create(event_id=uuid.uuid4(), subject=subject, n=1)


@pytest.fixture
def viewer(client, django_user_model):
    """Staff who may look at effects and switches, and change nothing."""
    user = django_user_model.objects.create_user("viewer@example.com", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_effect", "view_switch"]))
    client.force_login(user)
    return client


# -- the site ------------------------------------------------------------------------------------


def test_the_default_site_is_the_service_site_named_after_the_service():
    assert isinstance(admin.site, ServiceAdminSite)
    assert (admin.site.site_header, admin.site.site_title, admin.site.index_title) == (
        "testsvc administration",
    ) * 3
    assert admin.site.site_url == "/api/docs"
    assert admin.site.login_form is EmailAuthenticationForm


def test_a_refused_sign_in_asks_for_the_email(client, settings):
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]  # no identity here
    response = client.post(f"{ADMIN}login/", {"username": "nobody@example.com", "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Please enter the correct email and password for a staff account. Note that the password is case-sensitive."
    ]
    assert "_auth_user_id" not in client.session


# -- ReadOnlyModelAdmin --------------------------------------------------------------------------


def test_a_read_only_admin_shows_rows_and_writes_none(admin_client):
    row = effect("seen")
    assert admin_client.get(EFFECTS).status_code == 200
    page = admin_client.get(f"{EFFECTS}{row.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert admin_client.get(f"{EFFECTS}add/").status_code == 403
    assert admin_client.post(f"{EFFECTS}{row.pk}/change/", {"subject": "edited", "n": 2}).status_code == 403
    assert admin_client.post(f"{EFFECTS}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    row.refresh_from_db()
    assert (row.subject, row.n) == ("seen", 1)


def test_a_service_action_runs_each_row_through_the_service_and_reports_refusals(admin_client):
    gone, kept = effect("gone"), effect("kept")
    response = admin_client.post(
        EFFECTS, {"action": "forget", "_selected_action": [str(gone.pk), str(kept.pk)]}, follow=True
    )
    assert response.status_code == 200
    assert messages_of(response) == ["Forgotten: 1.", f"Refused (1): {kept}: This effect is kept."]
    assert list(Effect.objects.values_list("subject", flat=True)) == ["kept"]


def test_staff_without_the_change_permission_get_no_service_action(viewer):
    row = effect("gone")
    listing = viewer.get(EFFECTS)
    assert listing.status_code == 200
    assert listing.context["action_form"] is None  # no action left to offer
    viewer.post(EFFECTS, {"action": "forget", "_selected_action": [str(row.pk)]})
    assert Effect.objects.filter(pk=row.pk).exists()


# -- ServiceModelAdmin ---------------------------------------------------------------------------


def test_a_change_goes_through_the_service(admin_client):
    response = admin_client.post(f"{SWITCHES}add/", {"name": "lamp", "is_on": "on"})
    assert response.status_code == 302
    assert list(Switch.objects.values_list("name", "is_on")) == [("lamp", True)]


def test_a_refusal_of_the_service_is_a_message_and_writes_nothing(admin_client):
    response = admin_client.post(f"{SWITCHES}add/", {"name": "stuck", "is_on": "on"}, follow=True)
    assert response.status_code == 200
    assert messages_of(response) == ["is_on: This switch is stuck."]
    assert not Switch.objects.exists()


def test_deleting_is_not_offered_by_an_admin_without_a_delete_service(admin_client):
    switch = Switch.objects.create(name="lamp", is_on=True)
    assert admin_client.get(SWITCHES).context["action_form"] is None  # not even "delete selected"
    assert admin_client.post(f"{SWITCHES}{switch.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Switch.objects.filter(pk=switch.pk).exists()


def test_deleting_is_offered_by_an_admin_that_names_its_delete_service(rf, admin_user):
    class DeletingSwitchAdmin(SwitchAdmin):
        def delete_through_service(self, request, obj) -> None:
            obj.delete()

    request = rf.get(SWITCHES)
    request.user = admin_user
    assert DeletingSwitchAdmin(Switch, admin.site).has_delete_permission(request)
    assert not SwitchAdmin(Switch, admin.site).has_delete_permission(request)


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("1200.0000", "JPY", "1200"),
        ("1.2500", "BHD", "1.250"),
        ("12.5000", "USD", "12.50"),
        ("1.5000", "XXX", "1.5000"),
    ],
)
def test_an_amount_column_shows_the_amount_as_the_api_writes_it(amount, currency, shown):
    column = amount_column("total")
    assert column(SimpleNamespace(total=Decimal(amount), currency=currency)) == shown
    assert (column.short_description, column.admin_order_field) == ("total", "total")
