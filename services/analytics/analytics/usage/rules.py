"""Which events count in daily usage, and how: the one table both the incremental path (Python,
per event) and the rollup (SQL, per day) follow, so they cannot disagree on what counts.

The payload fields each rule reads are checked against the producers' schemas by the contract
test. ``messaging.message.sent`` and ``builds.build.published`` are being defined while this is
written: their rules read only the acting user (``user_id``) and, for messages, ``media``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ACTIVITY_COUNTERS = ("messages_sent", "media_sent", "orders_placed", "builds_published")

# One definition of a valid value each, for Python (re) and Postgres (~) alike.
UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
AMOUNT_PATTERN = "^-?[0-9]{1,15}([.][0-9]{1,10})?$"
CURRENCY_PATTERN = "^[A-Z]{3}$"
# DailyRevenue.amount's places: each amount is rounded to them first, half away from zero (as
# Postgres' round() does), so a sum of rounded amounts is the same on both paths.
AMOUNT_QUANTUM = Decimal("0.0001")
AMOUNT_PLACES = 4


@dataclass(frozen=True)
class UsageRule:
    counter: str | None = None  # the DailyActivity column the event adds one to
    counts_media: bool = False  # also one to media_sent when its ``kind`` is not "text"
    revenue_sign: int = 0  # +1: ``amount`` in ``currency`` paid; -1: refunded
    user_field: str = "user_id"  # a dotted path into the payload ("creator.user_id")

    @property
    def reads(self) -> list[str]:
        return [
            self.user_field,
            *(["amount", "currency"] if self.revenue_sign else []),
            *(["kind"] if self.counts_media else []),
        ]


RULES: dict[tuple[str, int], UsageRule] = {
    ("orders.order.placed", 1): UsageRule(counter="orders_placed"),
    ("orders.order.paid", 1): UsageRule(revenue_sign=1),
    ("orders.payment.refunded", 1): UsageRule(revenue_sign=-1),
    ("messaging.message.sent", 1): UsageRule(counter="messages_sent", counts_media=True),
    ("builds.build.published", 1): UsageRule(counter="builds_published", user_field="creator.user_id"),
}


def user_of(data: dict[str, Any], rule: UsageRule) -> uuid.UUID | None:
    value: Any = data
    for key in rule.user_field.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return uuid.UUID(value) if isinstance(value, str) and re.fullmatch(UUID_PATTERN, value) else None


def has_media(data: dict[str, Any]) -> bool:
    return data.get("kind", "text") != "text"


def money_of(data: dict[str, Any]) -> tuple[Decimal, str] | None:
    amount, currency = data.get("amount"), data.get("currency")
    if not (isinstance(amount, str) and re.fullmatch(AMOUNT_PATTERN, amount)):
        return None
    if not (isinstance(currency, str) and re.fullmatch(CURRENCY_PATTERN, currency)):
        return None
    return Decimal(amount).quantize(AMOUNT_QUANTUM, rounding=ROUND_HALF_UP), currency


REVENUE_RULES = {key: rule for key, rule in RULES.items() if rule.revenue_sign}


# --- the same rules in SQL, over analytics_event (type, version, payload) ------------------------


def sql_literal(value: str) -> str:
    """A constant of ours (a type, a field name, a pattern) as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def sql_is_one_of(rules: Mapping[tuple[str, int], UsageRule]) -> str:
    """True for an event of one of the rules' types and versions."""
    if not rules:
        return "false"
    return "(" + " OR ".join(f"(type = {sql_literal(t)} AND version = {v})" for t, v in rules) + ")"


def sql_path(dotted: str) -> str:
    """A dotted payload path ("creator.user_id") as a ``#>>`` path literal ('{creator,user_id}')."""
    return sql_literal("{" + dotted.replace(".", ",") + "}")


def sql_user(rules: Mapping[tuple[str, int], UsageRule]) -> str:
    """The text of the user field each rule reads."""
    whens = " ".join(
        f"WHEN type = {sql_literal(t)} AND version = {v} THEN payload #>> {sql_path(rule.user_field)}"
        for (t, v), rule in rules.items()
    )
    return f"(CASE {whens} END)"


SQL_HAS_MEDIA = "coalesce(payload->>'kind', 'text') <> 'text'"
SQL_IS_VALID_MONEY_EVENT = (
    f"{sql_is_one_of(REVENUE_RULES)} AND payload->>'amount' ~ {sql_literal(AMOUNT_PATTERN)} "
    f"AND payload->>'currency' ~ {sql_literal(CURRENCY_PATTERN)}"
)
SQL_SIGNED_AMOUNT = (
    "(CASE "
    + " ".join(
        f"WHEN type = {sql_literal(t)} AND version = {v} THEN {rule.revenue_sign}"
        for (t, v), rule in REVENUE_RULES.items()
    )
    + f" END) * round((payload->>'amount')::numeric, {AMOUNT_PLACES})"
)
