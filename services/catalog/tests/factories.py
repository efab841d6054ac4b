"""factory_boy factories: rows for the given state of a test (they bypass services: no events)."""

import uuid
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from catalog.categories.models import Category
from catalog.inventory.models import StockReservation, StockReservationLine
from catalog.products.models import Product, ProductImage
from catalog.reviews.models import Purchase, Review


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    parent = None


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    description = ""
    price = Decimal("10.00")
    currency = "USD"
    stock_on_hand = 10
    reserved = 0
    is_active = True
    vendor_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    category = None


class ProductImageFactory(DjangoModelFactory):
    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory)
    url = factory.Sequence(lambda n: f"https://images.example.com/{n}.jpg")


class PurchaseFactory(DjangoModelFactory):
    class Meta:
        model = Purchase

    user_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    product_id = factory.LazyFunction(uuid.uuid4)
    order_id = factory.LazyFunction(uuid.uuid4)


class ReviewFactory(DjangoModelFactory):
    class Meta:
        model = Review

    product = factory.SubFactory(ProductFactory)
    user_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    rating = 4
    title = factory.Sequence(lambda n: f"Review {n}")


class StockReservationFactory(DjangoModelFactory):
    class Meta:
        model = StockReservation

    order_id = factory.LazyFunction(uuid.uuid4)
    user_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    status = StockReservation.Status.RESERVED


class StockReservationLineFactory(DjangoModelFactory):
    class Meta:
        model = StockReservationLine

    reservation = factory.SubFactory(StockReservationFactory)
    product_id = factory.LazyFunction(uuid.uuid4)
    quantity = 1
