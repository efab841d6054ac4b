"""publish(): the outbox row, its envelope, validation, and the transaction it belongs to."""

import json
import re
import uuid
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.transaction import TransactionManagementError

from servicekit.events import InvalidEventPayload, PublishOutsideTransaction, UnknownEventType, publish
from servicekit.events.models import OutboxEvent
from servicekit.observability.context import request_id_scope

pytestmark = pytest.mark.django_db


def test_publish_writes_one_outbox_row_with_the_full_envelope():
    with request_id_scope("req-123"), transaction.atomic():
        event = publish("testsvc.thing.happened", uuid.UUID(int=7), {"n": 1})

    row = OutboxEvent.objects.get(event_id=event.id)
    envelope = json.loads(row.body)
    assert envelope == {
        "id": event.id,
        "type": "testsvc.thing.happened",
        "version": 1,
        "occurred_at": envelope["occurred_at"],
        "producer": "testsvc",
        "subject": str(uuid.UUID(int=7)),
        "correlation_id": "req-123",
        "causation_id": None,
        "data": {"n": 1},
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", envelope["occurred_at"])
    assert (str(row.event_id), row.type, row.subject) == (event.id, event.type, event.subject)
    assert row.sent_at is None and row.claimed_until is None and row.attempts == 0


@pytest.mark.django_db(transaction=True)
def test_publish_outside_a_transaction_is_refused():
    with pytest.raises(PublishOutsideTransaction):
        publish("testsvc.thing.happened", "s", {"n": 1})
    assert not OutboxEvent.objects.exists()


def test_without_a_request_a_fresh_correlation_id_is_made():
    with transaction.atomic():
        first = publish("testsvc.thing.happened", "s", {"n": 1})
        second = publish("testsvc.thing.happened", "s", {"n": 2})
    assert first.correlation_id and second.correlation_id and first.correlation_id != second.correlation_id


def test_json_types_are_normalised_before_validation(captured_events):
    with transaction.atomic():
        publish("testsvc.thing.happened", "s", {"n": 1, "amount": Decimal("12.50")})
    assert captured_events.assert_published("testsvc.thing.happened").data == {"n": 1, "amount": "12.50"}


def test_an_invalid_payload_fails_the_whole_transaction_even_if_the_error_is_swallowed(captured_events):
    from tests.testapp.models import Switch

    with transaction.atomic():
        Switch.objects.create(name="state-change")
        with pytest.raises(InvalidEventPayload, match="n: 'one' is not of type 'integer'"):
            publish("testsvc.thing.happened", "s", {"n": "one"})
        with pytest.raises(TransactionManagementError):  # nothing more happens in this transaction
            Switch.objects.count()
    assert not Switch.objects.filter(name="state-change").exists()  # and leaving it rolled it back
    captured_events.assert_nothing_published()


def test_unknown_fields_and_types_are_refused(captured_events):
    with pytest.raises(InvalidEventPayload, match="Additional properties"), transaction.atomic():
        publish("testsvc.thing.happened", "s", {"n": 1, "surprise": True})
    with pytest.raises(UnknownEventType), transaction.atomic():
        publish("testsvc.thing.never_declared", "s", {})
    with pytest.raises(InvalidEventPayload, match="subject"), transaction.atomic():
        publish("testsvc.thing.happened", "", {"n": 1})
    captured_events.assert_nothing_published()


def test_captured_events_sees_only_this_tests_committed_or_pending_events(captured_events):
    with transaction.atomic():
        publish("testsvc.thing.happened", "a", {"n": 1})
        publish("testsvc.thing.happened", "b", {"n": 2})
    with pytest.raises(RuntimeError), transaction.atomic():
        publish("testsvc.thing.happened", "c", {"n": 3})
        raise RuntimeError("rolled back")
    assert captured_events.types == ["testsvc.thing.happened"] * 2
    assert captured_events.assert_published("testsvc.thing.happened", subject="b").data == {"n": 2}
    with pytest.raises(AssertionError, match="found 0"):
        captured_events.assert_published("testsvc.thing.happened", n=3)


@pytest.mark.parametrize("ratio", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinity_are_invalid_payloads_not_bare_tokens_on_the_wire(captured_events, ratio):
    from tests.testapp.models import Switch

    with transaction.atomic():
        publish("testsvc.thing.happened", "s", {"n": 1, "ratio": 0.5})  # a number is fine
    with transaction.atomic():
        Switch.objects.create(name="state-change")
        with pytest.raises(InvalidEventPayload, match="not standard JSON"):
            publish("testsvc.thing.happened", "s", {"n": 1, "ratio": ratio})
    assert not Switch.objects.filter(name="state-change").exists()  # the transaction rolled back
    assert [event.data for event in captured_events] == [{"n": 1, "ratio": 0.5}]


def test_a_circular_payload_is_an_invalid_payload_and_fails_the_transaction(captured_events):
    from tests.testapp.models import Switch

    tags = [{"name": "a"}]
    tags.append(tags)  # type: ignore[arg-type]
    with transaction.atomic():
        Switch.objects.create(name="state-change")
        with pytest.raises(InvalidEventPayload, match="Circular reference"):
            publish("testsvc.thing.happened", "s", {"n": 1, "tags": tags})
        with pytest.raises(TransactionManagementError):
            Switch.objects.count()
    assert not Switch.objects.filter(name="state-change").exists()
    captured_events.assert_nothing_published()


def test_a_payload_nested_too_deeply_is_an_invalid_payload(captured_events):
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(InvalidEventPayload, match="nested too deeply"), transaction.atomic():
        publish("testsvc.thing.happened", "s", {"n": 1, "tags": deep})
    captured_events.assert_nothing_published()
