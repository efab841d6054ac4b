"""factory_boy factories for the orders service's models."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from orders.carts.models import Cart, CartLine
from orders.ordering.models import Order, OrderLine, OrderStatus
from orders.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from orders.products.models import Product

ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "line2": "",
    "city": "London",
    "region": "",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
    "phone": "",
}


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    id = factory.LazyFunction(uuid.uuid4)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    price = Decimal("12.50")
    currency = "USD"
    is_active = True
    source_changed_at = factory.LazyFunction(timezone.now)


class CartFactory(DjangoModelFactory):
    class Meta:
        model = Cart

    user_id = factory.LazyFunction(uuid.uuid4)


class CartLineFactory(DjangoModelFactory):
    class Meta:
        model = CartLine

    cart = factory.SubFactory(CartFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1


class OrderFactory(DjangoModelFactory):
    """An order in any status, with one line (``lines=0`` for none) and the matching total."""

    class Meta:
        model = Order
        skip_postgeneration_save = True

    user_id = factory.LazyFunction(uuid.uuid4)
    status = OrderStatus.PENDING
    currency = "USD"
    total = Decimal("0")
    shipping_address = factory.LazyFunction(lambda: dict(ADDRESS))
    payment_due_at = factory.LazyAttribute(
        lambda order: (
            timezone.now() + timedelta(minutes=30) if order.status == OrderStatus.CONFIRMED else None
        )
    )

    @factory.post_generation
    def lines(order, create, extracted, **kwargs):
        count = 1 if extracted is None else extracted
        total = Decimal("0")
        for _ in range(count):
            line = OrderLineFactory(order=order, **kwargs)
            total += line.line_total
        order.total = total
        if create:
            order.save(update_fields=["total"])


class OrderLineFactory(DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory, lines=0)
    product_id = factory.LazyFunction(uuid.uuid4)
    sku = factory.Sequence(lambda n: f"SKU-L{n:05d}")
    name = factory.Sequence(lambda n: f"Line product {n}")
    unit_price = Decimal("10.00")
    quantity = 2
    line_total = factory.LazyAttribute(lambda line: line.unit_price * line.quantity)


class PaymentFactory(DjangoModelFactory):
    class Meta:
        model = Payment

    order = factory.SubFactory(OrderFactory, status=OrderStatus.CONFIRMED)
    user_id = factory.SelfAttribute("order.user_id")
    provider = "test"
    provider_payment_id = factory.LazyFunction(lambda: f"test_pi_{uuid.uuid4().hex}")
    amount = factory.SelfAttribute("order.total")
    currency = factory.SelfAttribute("order.currency")
    status = PaymentStatus.SUCCEEDED
    pays_order = factory.LazyAttribute(
        lambda payment: payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)
    )
    card_brand = "visa"
    card_last4 = "4242"


class RefundFactory(DjangoModelFactory):
    class Meta:
        model = Refund

    payment = factory.SubFactory(PaymentFactory)
    amount = factory.SelfAttribute("payment.amount")
    currency = factory.SelfAttribute("payment.currency")
    reason = "order_cancelled"
    status = RefundStatus.PENDING
