"""The gateway's front door on a whole running platform: fetched as a browser and as a client,
and every link on it answers (a sign-in page the link redirects to counts: it answers 200)."""

from __future__ import annotations

import importlib.util
import time
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import requests

from tests.harness import ROOT

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"])


def html_links(platform) -> list[str]:
    response = requests.get(platform.url("/"), headers={"Accept": BROWSER_ACCEPT}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html"
    parser = Links()
    parser.feed(response.text)
    return parser.hrefs


def test_the_front_door_answers_html_and_json_with_the_same_links(platform):
    response = requests.get(platform.url("/"), timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["meta"]["request_id"] == response.headers["X-Request-ID"]
    assert [link["href"] for link in body["data"]["links"]] == html_links(platform)


def front_door_hrefs() -> list[str]:
    spec = importlib.util.spec_from_file_location("gateway_render", ROOT / "gateway" / "render.py")
    render = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render)
    return [href for _, links in render.FRONT_DOOR for _, _, href in links]


def fetch(url: str, *, deadline_seconds: float = 30.0) -> requests.Response:
    """The link's answer; a readiness probe that is not ready yet (a broker handshake slower
    than the probe's own timeout on a busy machine) is asked again until the deadline."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        response = requests.get(url, headers={"Accept": BROWSER_ACCEPT}, timeout=10)
        not_ready = response.status_code == 503 and '"not_ready"' in response.text
        if not not_ready or time.monotonic() > deadline:
            return response
        time.sleep(0.5)


@pytest.mark.parametrize("href", front_door_hrefs())
def test_every_link_on_the_front_door_answers(platform, href):
    assert href in html_links(platform)
    response = fetch(platform.url(href))
    assert response.status_code == 200, f"{href}: {response.status_code} {response.text[:300]}"
    # Redirects (an admin or the builds console to its sign-in page) stay on the gateway.
    for hop in response.history:
        assert hop.status_code in (301, 302, 303, 307, 308), href
        location = urlsplit(hop.headers["Location"])
        assert not location.netloc or location.netloc == urlsplit(platform.url("/")).netloc, hop.headers
