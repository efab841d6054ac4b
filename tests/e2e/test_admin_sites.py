"""Each service's admin through the gateway says whose it is and asks for an email (its "View
site" link, /api/docs, is the docs page test_smoke.py checks)."""

from __future__ import annotations

import pytest
import requests

from tests.harness import SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_the_admin_sign_in_names_its_service_and_asks_for_an_email(platform, service):
    response = requests.get(platform.url(f"/admin/{service}/login/"), timeout=10)
    assert response.status_code == 200
    assert f"<title>Log in | {service} administration</title>" in response.text
    assert ">Email:</label>" in response.text
