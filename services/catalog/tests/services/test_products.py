import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog.categories.models import Category
from catalog.products.models import Product
from catalog.products.services import category_delete, product_create, product_delete, product_update
from servicekit.envelope.errors import Conflict
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

VENDOR = str(uuid.uuid4())


def create(**overrides):
    arguments = {"vendor_id": VENDOR, "sku": "MUG-1", "name": "Blue mug", "price": Decimal("12.50"),
                 "currency": "USD"} | overrides  # fmt: skip
    return product_create(**arguments)


def test_product_create_stores_the_product_with_nothing_on_hand_and_publishes_created(captured_events):
    category = CategoryFactory()

    product = create(category_id=category.pk, attributes={"colour": "blue"})

    product.refresh_from_db()
    assert (product.sku, product.slug, product.price, product.currency) == (
        "MUG-1",
        "blue-mug",
        Decimal("12.5"),
        "USD",
    )
    assert (product.stock_on_hand, product.reserved, product.available) == (0, 0, 0)
    assert product.vendor_id == VENDOR and product.category == category
    assert captured_events.assert_published("catalog.product.created").data == (
        {
            "product_id": str(product.pk),
            "sku": "MUG-1",
            "name": "Blue mug",
            "price": "12.50",
            "currency": "USD",
            "is_active": True,
            "vendor_id": VENDOR,
            "category_id": str(category.pk),
        }
    )


def test_product_create_formats_the_price_in_the_currency_minor_units(captured_events):
    create(price=Decimal("1200"), currency="JPY")

    assert captured_events.assert_published("catalog.product.created").data["price"] == "1200"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"price": Decimal("-0.01")}, "price"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "usd1"}, "currency"),
        ({"price": Decimal("1.005")}, "price"),  # USD has two decimals
        ({"price": Decimal("10.5"), "currency": "JPY"}, "price"),  # JPY has none
        ({"category_id": uuid.uuid4()}, "category"),
        ({"attributes": ["not", "an", "object"]}, "attributes"),
        ({"attributes": {"a": ["ok", {"b\u0000": 1}]}}, "attributes"),  # jsonb refuses NUL
        ({"attributes": {"weight": float("nan")}}, "attributes"),
    ],
)
def test_product_create_rejects_invalid_input_without_side_effects(overrides, field, captured_events):
    with pytest.raises(ValidationError) as error:
        create(**overrides)

    assert field in error.value.message_dict
    assert not Product.objects.exists()
    captured_events.assert_nothing_published()


def test_product_create_rejects_a_duplicate_sku_ignoring_case_without_side_effects(captured_events):
    ProductFactory(sku="MUG-1")

    with pytest.raises(ValidationError) as error:
        create(sku="mug-1")

    assert error.value.message_dict == {"sku": ["A product with this SKU already exists."]}
    assert Product.objects.count() == 1
    captured_events.assert_nothing_published()


def test_product_create_makes_slugs_unique():
    first = create(sku="A-1", name="Blue mug")
    second = create(sku="A-2", name="Blue mug")

    assert (first.slug, second.slug) == ("blue-mug", "blue-mug-2")


def test_product_update_writes_only_changed_fields_and_publishes_the_current_values(captured_events):
    product = ProductFactory(price=Decimal("10.00"), stock_on_hand=5)
    # A reservation commits meanwhile: the update must not write back its stale counters.
    Product.objects.filter(pk=product.pk).update(reserved=3)

    product_update(
        product=product, data={"price": Decimal("11.00"), "name": product.name, "is_active": False}
    )

    product.refresh_from_db()
    assert (product.price, product.is_active, product.reserved) == (Decimal("11.00"), False, 3)
    event = captured_events.assert_published("catalog.product.updated").data
    assert event["price"] == "11.00" and event["is_active"] is False and event["currency"] == "USD"
    assert event["changed_fields"] == ["is_active", "price"]


def test_product_update_events_carry_the_committed_state_not_the_callers_copy(captured_events):
    product = ProductFactory(name="Mug", price=Decimal("10.00"))
    Product.objects.filter(pk=product.pk).update(name="Big mug")  # another update committed meanwhile

    product_update(product=product, data={"price": Decimal("12.00")})

    event = captured_events.assert_published("catalog.product.updated").data
    assert (event["name"], event["price"], event["changed_fields"]) == ("Big mug", "12.00", ["price"])


def test_product_update_without_changes_publishes_nothing(captured_events):
    product = ProductFactory(name="Mug")

    product_update(product=product, data={"name": "Mug"})

    captured_events.assert_nothing_published()


def test_product_update_validates_price_against_the_new_currency(captured_events):
    product = ProductFactory(price=Decimal("10.50"), currency="USD")

    with pytest.raises(ValidationError) as error:
        product_update(product=product, data={"currency": "JPY"})

    assert "price" in error.value.message_dict
    product.refresh_from_db()
    assert product.currency == "USD"
    captured_events.assert_nothing_published()


def test_product_update_refuses_another_products_sku():
    ProductFactory(sku="TAKEN")
    product = ProductFactory(sku="MINE")

    with pytest.raises(ValidationError):
        product_update(product=product, data={"sku": "taken"})

    assert Product.objects.get(pk=product.pk).sku == "MINE"


def test_product_delete_removes_the_product_and_publishes_deleted(captured_events):
    product = ProductFactory(sku="GONE-1")

    product_delete(product=product)

    assert not Product.objects.filter(pk=product.pk).exists()
    assert captured_events.assert_published("catalog.product.deleted").data == {
        "product_id": str(product.pk),
        "sku": "GONE-1",
    }


def test_product_delete_refuses_while_stock_is_reserved(captured_events):
    product = ProductFactory(stock_on_hand=5, reserved=2)

    with pytest.raises(Conflict) as error:
        product_delete(product=product)

    assert error.value.code == "product_has_reservations"
    assert Product.objects.filter(pk=product.pk).exists()
    captured_events.assert_nothing_published()


def test_category_delete_removes_an_empty_category():
    category = CategoryFactory()

    category_delete(category=category)

    assert not Category.objects.filter(pk=category.pk).exists()


@pytest.mark.parametrize("content", ["product", "subcategory"])
def test_category_delete_refuses_a_non_empty_category_without_side_effects(content, captured_events):
    category = CategoryFactory()
    if content == "product":
        ProductFactory(category=category)
    else:
        CategoryFactory(parent=category)

    with pytest.raises(Conflict) as error:
        category_delete(category=category)

    assert error.value.code == "category_not_empty"
    assert Category.objects.filter(pk=category.pk).exists()
    captured_events.assert_nothing_published()


def test_category_delete_with_reassign_moves_products_and_subcategories(captured_events):
    category, target = CategoryFactory(), CategoryFactory()
    product = ProductFactory(category=category)
    child = CategoryFactory(parent=category)

    category_delete(category=category, reassign_to_id=target.pk)

    assert not Category.objects.filter(pk=category.pk).exists()
    assert Product.objects.get(pk=product.pk).category == target
    assert Category.objects.get(pk=child.pk).parent == target
    event = captured_events.assert_published("catalog.product.updated").data
    assert event["category_id"] == str(target.pk) and event["changed_fields"] == ["category"]


def test_category_delete_cannot_reassign_into_its_own_subtree():
    category = CategoryFactory()
    child = CategoryFactory(parent=category)
    ProductFactory(category=category)

    with pytest.raises(ValidationError):
        category_delete(category=category, reassign_to_id=child.pk)

    assert Category.objects.filter(pk=category.pk).exists()
