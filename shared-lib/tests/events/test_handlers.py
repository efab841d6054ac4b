"""Handlers through the inbox, in-process: once per (event, handler), narrowed data, causation."""

import json
import logging
import uuid

import pytest
from django.db import transaction

from servicekit.events import Event, Registry, subscribe
from servicekit.events.inbox import handle_events
from servicekit.events.models import InboxEvent
from servicekit.events.registry import load_registry
from tests.testapp.handlers import PoisonError
from tests.testapp.models import Effect, Switch

pytestmark = pytest.mark.django_db


def _event(n, **data):
    return Event.new(
        "testsvc.thing.happened", f"thing-{n}", {"n": n, **data}, producer="t", correlation_id="c-1"
    )


def test_deliver_event_runs_the_handler_once_and_a_redelivery_has_no_second_effect(deliver_event):
    outcome = deliver_event("testsvc.thing.happened", {"n": 1}, subject="thing-1")
    assert outcome.handled == ["testapp.record_effect"] and outcome.duplicates == []

    again = deliver_event.again(outcome.event)

    assert again.handled == [] and again.duplicates == ["testapp.record_effect"]
    assert list(Effect.objects.values_list("event_id", "count")) == [(uuid.UUID(outcome.event.id), 1)]
    assert InboxEvent.objects.filter(event_id=outcome.event.id, handler="testapp.record_effect").exists()


def test_deliver_event_checks_the_payload_against_the_producers_schema(deliver_event):
    from servicekit.events import InvalidEventPayload

    with pytest.raises(InvalidEventPayload):
        deliver_event("testsvc.thing.happened", {"n": "not a number"})


def test_a_handlers_exception_propagates_from_deliver_event_and_leaves_no_inbox_row(deliver_event):
    with pytest.raises(PoisonError):
        deliver_event("testsvc.thing.happened", {"n": 1, "fail": True})
    assert not InboxEvent.objects.exists() and not Effect.objects.exists()


def test_events_published_by_a_handler_carry_causation_and_correlation(deliver_event, captured_events):
    outcome = deliver_event("testsvc.thing.happened", {"n": 5, "chain": True}, subject="thing-5")

    chained = captured_events.assert_published("testsvc.thing.chained", subject="thing-5", n=5)
    assert chained.causation_id == outcome.event.id
    assert chained.correlation_id == "test-correlation"


def test_a_handler_sees_only_the_fields_it_declared():
    seen = []
    registry = Registry(
        [subscribe("testsvc.thing.happened", lambda e: seen.append(e.data), reads=["n"], name="h")]
    )
    with transaction.atomic():
        handle_events([_event(1, note_for_someone_else="x")], registry)
    assert seen == [{"n": 1}]


def test_a_batch_with_a_poison_event_handles_the_others_and_reports_the_failure():
    events = [_event(1), _event(2, fail=True), _event(3)]

    outcomes = handle_events(events, load_registry())

    assert [o.ok for o in outcomes] == [True, False, True]
    assert "PoisonError: thing 2 is poison" in outcomes[1].error
    assert sorted(Effect.objects.values_list("n", "count")) == [(1, 1), (3, 1)]  # 2's effect rolled back
    Switch.objects.create(name="fixed", is_on=True)
    assert [o.handled for o in handle_events(events, load_registry())] == [[], ["testapp.record_effect"], []]
    assert sorted(Effect.objects.values_list("n", "count")) == [(1, 1), (2, 1), (3, 1)]


def test_the_same_event_twice_in_one_batch_runs_once():
    event = _event(1)
    outcomes = handle_events([event, event], load_registry())
    assert [(o.handled, o.duplicates) for o in outcomes] == [
        (["testapp.record_effect"], []),
        ([], ["testapp.record_effect"]),
    ]
    assert Effect.objects.get().count == 1


def test_an_event_nobody_handles_is_not_retryable():
    event = Event.new("testsvc.thing.happened", "s", {"n": 1}, version=2, producer="t", correlation_id=None)
    [outcome] = handle_events([event], load_registry())
    assert not outcome.ok and not outcome.retryable and "no handler" in outcome.error


def test_registry_rejects_duplicates_and_strays():
    def handler(event):
        pass

    with pytest.raises(ValueError, match="twice"):
        Registry([subscribe("a.b.c", handler, reads=["x"]), subscribe("a.b.c", handler, reads=["x"])])
    with pytest.raises(TypeError):
        Registry([("a.b.c", handler)])
    with pytest.raises(TypeError):
        subscribe("a.b.c", handler, reads="x")
    registry = Registry([subscribe("a.b.c", handler, reads=["x"]), subscribe("a.b.d", handler, reads=["y"])])
    assert registry.types == ["a.b.c", "a.b.d"]
    assert subscribe("a.b.c", handler, reads=["items[].x", "y?", "z.w"]).top_level_fields == {
        "items",
        "y",
        "z",
    }


def test_each_handled_event_writes_one_line_under_its_correlation_id(caplog):
    from servicekit.observability.logging import JsonFormatter, RequestIdFilter

    events = [_event(1), _event(2, fail=True)]
    with caplog.at_level(logging.INFO, logger="servicekit.events.handled"):
        handle_events(events, load_registry())
        handle_events(events[:1], load_registry())  # a redelivery
    lines = []
    for record in caplog.records:
        if record.name == "servicekit.events.handled":
            RequestIdFilter().filter(record)
            lines.append(json.loads(JsonFormatter(service="testsvc").format(record)))
    assert [(line["event_id"], line["outcome"]) for line in lines] == [
        (events[0].id, "handled"),
        (events[1].id, "failed"),
        (events[0].id, "duplicate"),
    ]
    for line in lines:
        assert line["request_id"] == "c-1"  # the events' correlation id
        assert line["event_type"] == "testsvc.thing.happened"
        assert line["handler"] == "testapp.record_effect"
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert lines[0]["level"] == "INFO" and lines[1]["level"] == "WARNING"


def test_an_event_nobody_handles_writes_a_no_handler_line(caplog):
    event = Event.new("testsvc.thing.happened", "s", {"n": 1}, version=2, producer="t", correlation_id=None)
    with caplog.at_level(logging.INFO, logger="servicekit.events.handled"):
        handle_events([event], load_registry())
    [record] = [r for r in caplog.records if r.name == "servicekit.events.handled"]
    assert (record.outcome, record.handler, record.event_id) == ("no_handler", "-", event.id)
