"""servicekit.params: query strings that are not text are refused before any view reads them."""

from __future__ import annotations

import pytest

from servicekit.params import repeated_params, unreadable_params

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


@pytest.mark.parametrize(
    ("query", "repeated"),
    [
        ("page=1&page=2", ["page"]),
        ("page_size=5&search=a&page_size=500&search=b&page_size=1", ["page_size", "search"]),
        ("a%5B%5D=1&a[]=2", ["a[]"]),  # the same name, encoded or not
        ("page=1&page_size=2&&", []),
        ("", []),
    ],
)
def test_repeated_params_names_those_given_more_than_once(query, repeated):
    assert repeated_params(query) == repeated


def test_a_parameter_given_twice_on_the_api_is_a_validation_error_naming_it(client):
    response = client.get(f"{ITEMS}?page_size=5&page=1&page_size=500")

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"] == {"page_size": ["Give this parameter once."]}
    assert client.get(f"{ITEMS}?page_size=5&page=1").status_code == 200
