"""servicekit.states.transition: the table decides, exactly the transition's fields are saved,
the history is written for every change and for no refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from servicekit.envelope.errors import Conflict
from servicekit.states import transition
from tests.testapp.models import Switch, Ticket

pytestmark = pytest.mark.django_db

Status = Ticket.Status
TABLE = {
    Status.OPEN: frozenset({Status.CLOSED, Status.ARCHIVED}),
    Status.CLOSED: frozenset({Status.OPEN, Status.ARCHIVED}),
    Status.ARCHIVED: frozenset(),
}


class History(list):
    def record_for(self, target: str):
        return lambda previous: self.append((previous, target))


def refused(current: str, allowed: list[str]) -> Conflict:
    return Conflict(f"A {current} ticket cannot change so.", details={"status": current, "allowed": allowed})


def move(ticket: Ticket, target: str, history: History, **changes) -> Ticket:
    """As a service does it: lock the row, transition it; the locked instance is returned
    (even when the transition is refused, as ``excinfo``'s ``locked``)."""
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        try:
            transition(
                locked,
                "status",
                target,
                table=TABLE,
                refused=refused,
                record=history.record_for(target),
                changes=changes,
            )
        except Conflict as exc:
            exc.locked = locked
            raise
    return locked


def test_an_allowed_transition_saves_the_state_and_its_changes_and_records_it():
    ticket = Ticket.objects.create(title="printer")
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=ticket.updated_at - timedelta(hours=1))
    before = Ticket.objects.get(pk=ticket.pk).updated_at
    history = History()

    move(ticket, Status.CLOSED, history, closed_reason="fixed")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.closed_reason) == (Status.CLOSED, "fixed")
    assert ticket.updated_at > before
    assert history == [(Status.OPEN, Status.CLOSED)]


def test_only_the_transitions_fields_are_saved():
    ticket = Ticket.objects.create(title="printer")
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        locked.title = "edited in memory, not part of the change"
        transition(
            locked, "status", Status.ARCHIVED, table=TABLE, refused=refused, record=lambda previous: None
        )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.title) == (Status.ARCHIVED, "printer")


def test_a_transition_the_table_does_not_list_raises_the_callers_error_and_changes_nothing():
    ticket = Ticket.objects.create(status=Status.ARCHIVED, title="printer")
    history = History()

    with pytest.raises(Conflict) as excinfo:
        move(ticket, Status.OPEN, history, closed_reason="never")

    assert excinfo.value.details == {"status": Status.ARCHIVED, "allowed": []}
    locked = excinfo.value.locked
    assert (locked.status, locked.closed_reason) == (Status.ARCHIVED, "")  # not even in memory
    ticket.refresh_from_db()
    assert (ticket.status, ticket.closed_reason) == (Status.ARCHIVED, "")
    assert history == []


def test_the_refusal_names_the_states_allowed_from_here_sorted():
    ticket = Ticket.objects.create(status=Status.CLOSED)
    seen = []

    def remember(current, allowed):
        seen.append((current, allowed))
        return Conflict("no")

    with pytest.raises(Conflict):
        transition(
            ticket, "status", Status.CLOSED, table=TABLE, refused=remember, record=lambda previous: None
        )
    assert seen == [(Status.CLOSED, [Status.ARCHIVED, Status.OPEN])]


def test_a_model_without_updated_at_saves_the_state_field_alone():
    switch = Switch.objects.create(name="lamp", is_on=False)
    history = History()
    table = {False: {True}, True: {False}}

    previous = transition(
        switch, "is_on", True, table=table, refused=refused, record=history.record_for(True)
    )

    assert previous is False
    assert Switch.objects.get(name="lamp").is_on is True
    assert history == [(False, True)]
