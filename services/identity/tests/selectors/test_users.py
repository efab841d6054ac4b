from __future__ import annotations

import pytest

from identity.accounts.selectors import user_list
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {
        "ada": UserFactory(email="ada@example.com", first_name="Ada", last_name="Lovelace"),
        "grace": UserFactory(
            email="grace@navy.mil", first_name="Grace", last_name="Hopper", email_verified=False
        ),
        "alan": StaffFactory(email="alan@example.com", first_name="Alan", last_name="Turing"),
        "vendor": UserFactory(
            email="shop@example.com", first_name="Shop", roles=["customer", "vendor"], is_active=False
        ),
    }


def emails(users) -> list[str]:
    return [user.email for user in users]


def test_default_order_is_by_email(people):
    assert emails(user_list()) == [
        "ada@example.com",
        "alan@example.com",
        "grace@navy.mil",
        "shop@example.com",
    ]


@pytest.mark.parametrize(
    "search, expected",
    [
        ("HOPPER", ["grace@navy.mil"]),
        ("example.com", ["ada@example.com", "alan@example.com", "shop@example.com"]),
        ("al", ["alan@example.com"]),
    ],
)
def test_search_matches_email_and_names(people, search, expected):
    assert emails(user_list(filters={"search": search})) == expected


def test_filters_by_role_and_flags(people):
    assert emails(user_list(filters={"role": "vendor"})) == ["shop@example.com"]
    assert emails(user_list(filters={"role": "staff"})) == ["alan@example.com"]
    assert emails(user_list(filters={"is_active": False})) == ["shop@example.com"]
    assert emails(user_list(filters={"email_verified": False})) == ["grace@navy.mil"]


def test_ordering(people):
    assert emails(user_list(filters={"ordering": "-email"}))[0] == "shop@example.com"
    by_last_name = emails(user_list(filters={"ordering": "last_name"}))
    assert (by_last_name[0], by_last_name[-1]) == ("grace@navy.mil", "alan@example.com")
    assert emails(user_list(filters={"ordering": "password"}))[0] == "ada@example.com"  # not allowed: default
