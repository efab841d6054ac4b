"""Concurrent changes to the tree's shape, on real connections: no cycle can be committed.

Each move checks "the new parent is not below me" against committed rows. To make the race
certain rather than lucky, the check is followed by a pause in which each thread waits (up
to a second) for the other to have checked too: without the tree lock both checks pass and
both moves commit, a cycle; with it the second thread cannot even check until the first
has committed, so the pause simply times out and the second check sees the first move.
"""

import contextlib
import threading

import pytest
from django.core.exceptions import ValidationError

from catalog.categories import services
from catalog.categories.models import Category
from catalog.categories.services import category_update
from catalog.products.services import category_delete
from tests.concurrency import run_concurrently
from tests.factories import CategoryFactory, ProductFactory


@pytest.fixture
def checks_meet(monkeypatch):
    """After its subtree check, each of two threads waits for the other one's check."""
    rendezvous = threading.Barrier(2, timeout=1)
    check = services.category_is_within

    def check_then_wait(**kwargs):
        answer = check(**kwargs)
        # Broken after a second when the other thread is waiting for the tree lock instead.
        with contextlib.suppress(threading.BrokenBarrierError):
            rendezvous.wait()
        return answer

    monkeypatch.setattr(services, "category_is_within", check_then_wait)


def ancestors(category_id, limit=20):
    """The chain of parents above ``category_id``; stops (and says so) on a cycle."""
    seen = []
    parent_id = Category.objects.get(pk=category_id).parent_id
    while parent_id is not None and len(seen) < limit:
        if parent_id in seen or parent_id == category_id:
            return [*seen, "cycle"]
        seen.append(parent_id)
        parent_id = Category.objects.get(pk=parent_id).parent_id
    return seen


@pytest.mark.django_db(transaction=True)
def test_two_opposite_moves_at_once_cannot_make_a_cycle(checks_meet):
    a, b = CategoryFactory(), CategoryFactory()

    errors = run_concurrently(
        [
            lambda: category_update(category=a, data={"parent": b.pk}),
            lambda: category_update(category=b, data={"parent": a.pk}),
        ]
    )

    assert len(errors) == 1 and isinstance(errors[0], ValidationError), errors
    assert "parent" in errors[0].message_dict
    assert "cycle" not in ancestors(a.pk) and "cycle" not in ancestors(b.pk)
    parents = {Category.objects.get(pk=a.pk).parent_id, Category.objects.get(pk=b.pk).parent_id}
    assert parents in ({b.pk, None}, {a.pk, None})  # exactly one of the moves happened


@pytest.mark.django_db(transaction=True)
def test_a_move_below_a_category_being_deleted_with_reassign_cannot_make_a_cycle(checks_meet):
    """Deleting A moves its children to T; meanwhile T moves below A's child C. Either order
    is fine on its own; both at once would leave C under T and T under C."""
    a, target = CategoryFactory(), CategoryFactory()
    child = CategoryFactory(parent=a)
    ProductFactory(category=a)

    errors = run_concurrently(
        [
            lambda: category_delete(category=a, reassign_to_id=target.pk),
            lambda: category_update(category=target, data={"parent": child.pk}),
        ]
    )

    assert len(errors) == 1 and isinstance(errors[0], ValidationError), errors
    assert "cycle" not in ancestors(child.pk) and "cycle" not in ancestors(target.pk)
