import uuid
from decimal import Decimal

import pytest

from catalog.products.selectors import product_get_manageable, product_get_visible, product_list
from servicekit.auth.principal import Principal
from servicekit.envelope.errors import NotFound
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

STAFF = Principal(id=str(uuid.uuid4()), roles=frozenset({"staff"}))
CUSTOMER = Principal(id=str(uuid.uuid4()), roles=frozenset({"customer"}))


def vendor() -> Principal:
    return Principal(id=str(uuid.uuid4()), roles=frozenset({"vendor"}))


def skus(products):
    return [product.sku for product in products]


def listed(principal=None, **filters):
    return skus(product_list(filters=filters, principal=principal))


def test_customers_and_anonymous_see_only_active_products_vendors_also_their_own():
    seller = vendor()
    ProductFactory(sku="ACTIVE")
    ProductFactory(sku="MINE-OFF", is_active=False, vendor_id=seller.id)
    ProductFactory(sku="OTHER-OFF", is_active=False)

    assert sorted(listed(None)) == ["ACTIVE"]
    assert sorted(listed(CUSTOMER)) == ["ACTIVE"]
    assert sorted(listed(seller)) == ["ACTIVE", "MINE-OFF"]
    assert sorted(listed(STAFF)) == ["ACTIVE", "MINE-OFF", "OTHER-OFF"]
    assert sorted(listed(STAFF, is_active=False)) == ["MINE-OFF", "OTHER-OFF"]


def test_category_filter_includes_descendants():
    home = CategoryFactory()
    kitchen = CategoryFactory(parent=home)
    mugs = CategoryFactory(parent=kitchen)
    garden = CategoryFactory()
    ProductFactory(sku="HOME", category=home)
    ProductFactory(sku="MUG", category=mugs)
    ProductFactory(sku="RAKE", category=garden)
    ProductFactory(sku="NONE")

    assert sorted(listed(category=home)) == ["HOME", "MUG"]
    assert sorted(listed(category=kitchen)) == ["MUG"]
    assert sorted(listed(category=garden)) == ["RAKE"]


def test_price_stock_vendor_and_currency_filters():
    seller = vendor()
    ProductFactory(sku="CHEAP", price=Decimal("5.00"), stock_on_hand=0)
    ProductFactory(sku="MID", price=Decimal("20.00"), stock_on_hand=3, reserved=3, vendor_id=seller.id)
    ProductFactory(sku="DEAR", price=Decimal("99.99"), stock_on_hand=1, currency="EUR")

    assert sorted(listed(min_price=Decimal("5.01"))) == ["DEAR", "MID"]
    assert sorted(listed(max_price=Decimal("20.00"))) == ["CHEAP", "MID"]
    assert listed(min_price=Decimal("10"), max_price=Decimal("50")) == ["MID"]
    assert listed(in_stock=True) == ["DEAR"]  # MID's units are all reserved
    assert sorted(listed(in_stock=False)) == ["CHEAP", "MID"]
    assert listed(vendor=seller.id) == ["MID"]
    assert listed(currency="EUR") == ["DEAR"]


def test_full_text_search_covers_name_description_and_sku():
    ProductFactory(sku="HP-100", name="Wireless headphones", description="Noise cancelling, over-ear.")
    ProductFactory(sku="MUG-7", name="Ceramic mug", description="Dishwasher safe.")
    ProductFactory(sku="CAB-3", name="Audio cable", description="For headphones and speakers.")

    assert listed(search="headphones") == ["HP-100", "CAB-3"]  # name ranks above description
    assert listed(search="dishwasher") == ["MUG-7"]
    assert listed(search="mug-7") == ["MUG-7"]
    assert listed(search="cancelling") == ["HP-100"]  # stemmed: "cancel"


def test_search_tolerates_typos_in_the_name():
    ProductFactory(sku="HP-100", name="Wireless headphones")
    ProductFactory(sku="MUG-7", name="Ceramic mug")

    assert listed(search="hedphones") == ["HP-100"]
    assert listed(search="ceramik") == ["MUG-7"]
    assert listed(search="zebra") == []


def test_orderings():
    first = ProductFactory(sku="B", name="Banana", price=Decimal("3.00"))
    ProductFactory(
        sku="A", name="Apple", price=Decimal("9.00"), rating_average=Decimal("4.50"), rating_count=2
    )
    ProductFactory(
        sku="C", name="Cherry", price=Decimal("1.00"), rating_average=Decimal("2.00"), rating_count=1
    )
    first.refresh_from_db()

    assert listed(ordering="price") == ["C", "B", "A"]
    assert listed(ordering="-price") == ["A", "B", "C"]
    assert listed(ordering="name") == ["A", "B", "C"]
    assert listed(ordering="-name") == ["C", "B", "A"]
    assert listed(ordering="newest") == ["C", "A", "B"]
    assert listed(ordering="rating") == ["A", "C", "B"]  # unrated last


def test_product_get_visible_hides_inactive_products_from_customers():
    product = ProductFactory(is_active=False)

    with pytest.raises(NotFound):
        product_get_visible(product_id=product.pk, principal=CUSTOMER)
    assert product_get_visible(product_id=product.pk, principal=STAFF) == product


def test_product_get_manageable_is_a_404_for_another_vendor():
    owner, other = vendor(), vendor()
    product = ProductFactory(vendor_id=owner.id)

    assert product_get_manageable(product_id=product.pk, principal=owner) == product
    assert product_get_manageable(product_id=product.pk, principal=STAFF) == product
    with pytest.raises(NotFound):
        product_get_manageable(product_id=product.pk, principal=other)
    with pytest.raises(NotFound):
        product_get_manageable(product_id=product.pk, principal=CUSTOMER)


def test_the_configured_trigram_threshold_decides_typo_matches(settings):
    from django.db import connection

    ProductFactory(sku="HP-100", name="Wireless headphones")
    # word_similarity("headfones", "Wireless headphones") is 0.5: a match at the configured
    # CATALOG_SEARCH_TRIGRAM_THRESHOLD (0.4), none at pg_trgm's own default (0.6).
    threshold = settings.CATALOG["SEARCH_TRIGRAM_THRESHOLD"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW pg_trgm.word_similarity_threshold")
        assert float(cursor.fetchone()[0]) == threshold

    assert listed(search="headfones") == (["HP-100"] if threshold <= 0.5 else [])

    with connection.cursor() as cursor:  # what every search did before the setting was applied
        cursor.execute("SET LOCAL pg_trgm.word_similarity_threshold = 0.6")
    assert listed(search="headfones") == []
    assert listed(search="hedphones") == ["HP-100"]  # 0.62: a close typo matches either way
