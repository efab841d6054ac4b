"""servicekit.params: query strings that are not text are refused before any view reads them."""

from __future__ import annotations

import pytest

from servicekit.params import unreadable_params

ITEMS = "/api/v1/test/items/"


@pytest.mark.parametrize(
    ("query", "bad"),
    [
        ("page=%00", ["page"]),
        ("page=1&search=bad%00value", ["search"]),
        ("q=%FF%FE", ["q"]),
        ("q=%C3%28&page=2", ["q"]),
        ("%00=1", ["\x00"]),
        ("", []),
        ("page=1&search=caf%C3%A9+au+lait&empty=", []),
    ],
)
def test_unreadable_params_names_those_with_nul_or_bytes_not_utf8(query, bad):
    assert unreadable_params(query) == bad


@pytest.mark.parametrize("query", ["page=%00", "page_size=%FF", "page=1&x=a%00b"])
def test_a_query_string_that_is_not_text_is_a_validation_error_naming_the_parameter(client, query):
    response = client.get(f"{ITEMS}?{query}")

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]) == {query.rsplit("&", 1)[-1].split("=")[0]}
    assert response.json()["meta"]["request_id"]


def test_a_text_query_string_reaches_the_view(client):
    assert client.get(f"{ITEMS}?page=1&search=caf%C3%A9").status_code == 200
