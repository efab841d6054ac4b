"""manage.py products_rebuild: from catalog's export over real HTTP, or from a file."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from orders.products.models import Product
from servicekit.testing.http_server import LocalHttpServer
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _row(**overrides):
    return {
        "product_id": str(uuid.uuid4()),
        "sku": "SKU",
        "name": "Lamp",
        "price": "49.00",
        "currency": "EUR",
        "is_active": True,
        **overrides,
    }


def test_rebuild_follows_the_export_pages(settings):
    first, second = _row(name="Lamp"), _row(name="Desk", price="199.90")
    gone = ProductFactory()

    def answer(request):
        if "page=2" in request.path:
            return 200, {"data": [second], "meta": {"pagination": {"next": None}}}
        return 200, {
            "data": [first],
            "meta": {"pagination": {"next": f"{server.url}/internal/products/export/?page=2"}},
        }

    with LocalHttpServer(answer) as server:
        settings.ORDERS = {**settings.ORDERS, "CATALOG_INTERNAL_URL": server.url}
        out = StringIO()
        call_command("products_rebuild", stdout=out)
        tokens = {request.headers.get("x-internal-token") for request in server.requests}

    assert "2 upserted, 1 marked deleted" in out.getvalue()
    assert Product.objects.get(id=second["product_id"]).price == Decimal("199.90")
    gone.refresh_from_db()
    assert gone.deleted_at is not None
    assert tokens == {settings.SERVICEKIT["INTERNAL_API_TOKEN"]}


def test_an_unreachable_or_broken_export_changes_nothing(settings):
    product = ProductFactory()

    with (
        LocalHttpServer(lambda request: (503, {"error": {"code": "down"}})) as server,
        pytest.raises(CommandError),
    ):
        call_command("products_rebuild", url=f"{server.url}/internal/products/export/", stdout=StringIO())

    product.refresh_from_db()
    assert product.deleted_at is None


def test_rebuild_from_a_json_lines_file(tmp_path):
    rows = [_row(), _row(is_active=False)]
    path = tmp_path / "products.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows))

    call_command("products_rebuild", file=path, stdout=StringIO())

    assert Product.objects.count() == 2
    assert Product.objects.filter(is_active=False).count() == 1


def test_dry_run_writes_nothing(tmp_path):
    path = tmp_path / "products.json"
    path.write_text(json.dumps([_row()]))

    call_command("products_rebuild", file=path, dry_run=True, stdout=StringIO())

    assert Product.objects.count() == 0


@pytest.mark.parametrize(
    "content",
    [
        json.dumps([1, 2]),
        json.dumps([_row(currency="usd1")]),  # the model refuses it (ValidationError)
        json.dumps([_row(price="-1")]),
        json.dumps([_row(name="n" * 300)]),
        '"just a string"',
    ],
    ids=["not-objects", "bad-currency", "negative-price", "name-too-long", "not-a-list"],
)
def test_a_malformed_file_is_a_command_error_and_changes_nothing(tmp_path, content):
    product = ProductFactory()
    path = tmp_path / "products.json"
    path.write_text(content)

    with pytest.raises(CommandError):
        call_command("products_rebuild", file=path, stdout=StringIO())

    product.refresh_from_db()
    assert product.deleted_at is None


@pytest.mark.parametrize(
    "body",
    [
        [1, 2],
        {"data": [1, 2]},
        {"data": [], "meta": {"pagination": {"next": 5}}},
        {"data": [], "meta": ["not", "an", "object"]},
    ],
    ids=["a-list", "rows-not-objects", "next-not-a-url", "meta-not-an-object"],
)
def test_an_export_of_the_wrong_shape_is_a_command_error(settings, body):
    product = ProductFactory()

    with LocalHttpServer(lambda request: (200, body)) as server, pytest.raises(CommandError):
        call_command("products_rebuild", url=f"{server.url}/internal/products/export/", stdout=StringIO())

    product.refresh_from_db()
    assert product.deleted_at is None


def test_an_empty_export_is_refused_unless_allowed(tmp_path):
    live = ProductFactory()
    empty = tmp_path / "products.json"
    empty.write_text("[]")

    with pytest.raises(CommandError, match="--allow-empty"):
        call_command("products_rebuild", "--file", str(empty), stdout=StringIO())
    live.refresh_from_db()
    assert live.deleted_at is None

    call_command("products_rebuild", "--file", str(empty), "--allow-empty", stdout=StringIO())
    live.refresh_from_db()
    assert live.deleted_at is not None
