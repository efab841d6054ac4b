"""GET / on the gateway: HTML for browsers, the JSON envelope for everyone else (conftest.py's
real nginx). tests/e2e/test_front_door.py follows every link on a whole running platform."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from conftest import SERVICES

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (data-rel, href)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and "href" in attributes:
            self.links.append((attributes.get("data-rel", ""), attributes["href"]))


def page_links(html: str) -> list[tuple[str, str]]:
    parser = LinkParser()
    parser.feed(html)
    return parser.links


def test_a_browser_gets_the_html_page(stack):
    response = stack.get("/", Accept=BROWSER_ACCEPT)
    assert response.status == 200, response.body
    assert response.headers["Content-Type"] == "text/html"
    assert "Accept" in response.headers.get_all("Vary")
    assert response.request_id
    hrefs = [href for _, href in page_links(response.body.decode())]
    assert {"/api/docs", "/api/schema/", "/builds/", "/analytics/", "/healthz"} <= set(hrefs)
    for service in SERVICES:
        assert {f"/health/{service}/", f"/admin/{service}/", f"/api/schema/{service}/"} <= set(hrefs)


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_any_other_client_gets_the_json_envelope_with_the_same_links(stack, accept):
    response = stack.get("/", **({"Accept": accept} if accept else {}))
    assert response.status == 200, response.body
    assert response.headers["Content-Type"] == "application/json"
    assert "Accept" in response.headers.get_all("Vary")
    body = response.json()
    assert body["meta"]["request_id"] == response.request_id
    links = body["data"]["links"]
    assert all(link.keys() == {"rel", "section", "title", "href"} for link in links)
    html = stack.get("/", Accept=BROWSER_ACCEPT).body.decode()
    assert [(link["rel"], link["href"]) for link in links] == page_links(html)
    assert len({link["rel"] for link in links}) == len(links)


def test_the_client_request_id_is_in_the_json(stack):
    response = stack.get("/", X_Request_ID="front-door-1")
    assert response.json()["meta"]["request_id"] == "front-door-1"


def test_head_answers_without_a_body(stack):
    response = stack.request("HEAD", "/")
    assert response.status == 200
    assert response.body == b""


def test_the_front_door_is_read_only(stack):
    response = stack.request("POST", "/", body=b"{}", headers={"Content-Type": "application/json"})
    assert response.status == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response.headers["Allow"] == "GET, HEAD"


def test_the_page_file_is_not_reachable_by_its_own_path(stack):
    response = stack.get("/_gateway/front-door.html", Accept=BROWSER_ACCEPT)
    assert response.status == 404
    assert response.json()["error"]["code"] == "not_found"


def test_other_answers_do_not_vary_on_accept(stack):
    response = stack.get("/healthz")
    assert "Accept" not in (response.headers.get_all("Vary") or [])
