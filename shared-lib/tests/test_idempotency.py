"""servicekit.idempotency: the Idempotency-Key header, read one way by every retry-safe POST."""

from __future__ import annotations

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from servicekit.envelope.errors import ApplicationError
from servicekit.envelope.exceptions import envelope_exception_handler
from servicekit.idempotency import IDEMPOTENCY_HEADER, INVALID_KEY_MESSAGE, idempotency_key

MALFORMED = ["   ", "k" * 256, "clé".encode().decode("latin-1"), "tab\there", "two words", "ключ", "nul\x00"]
MALFORMED_IDS = ["blank", "too-long", "non-ascii", "control", "space", "cyrillic", "nul"]


def _request(key: str | None = None) -> Request:
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return Request(APIRequestFactory().post("/anything/", **headers))


def _refusal(exc: ApplicationError) -> tuple[int, dict]:
    response = envelope_exception_handler(exc, {})
    assert response is not None
    return response.status_code, response.data


@pytest.mark.parametrize(
    "key",
    ["k", "6f1c2a4e-0b8d-4e0a-9a53-3f1d2b7c9e10", "!~" * 50, "k" * 255],
    ids=["one", "uuid", "punct", "255"],
)
@pytest.mark.parametrize("required", [False, True])
def test_a_well_formed_key_is_returned(key, required):
    assert idempotency_key(_request(key), required=required) == key


def test_the_header_is_read_from_a_plain_django_request_too():
    assert idempotency_key(APIRequestFactory().post("/", HTTP_IDEMPOTENCY_KEY="abc")) == "abc"


def test_surrounding_whitespace_is_not_part_of_the_key():
    assert idempotency_key(_request("  abc\t"), required=True) == "abc"


@pytest.mark.parametrize("key", [None, ""], ids=["absent", "empty"])
def test_an_optional_key_not_sent_is_empty(key):
    assert idempotency_key(_request(key)) == ""


@pytest.mark.parametrize("key", MALFORMED, ids=MALFORMED_IDS)
@pytest.mark.parametrize("required", [False, True])
def test_a_malformed_key_is_a_validation_error_naming_the_field(key, required):
    with pytest.raises(ApplicationError) as raised:
        idempotency_key(_request(key), required=required)

    assert _refusal(raised.value) == (
        400,
        {
            "error": {
                "code": "validation_error",
                "message": INVALID_KEY_MESSAGE,
                "details": {"idempotency_key": [INVALID_KEY_MESSAGE]},
            }
        },
    )
    assert IDEMPOTENCY_HEADER in INVALID_KEY_MESSAGE


@pytest.mark.parametrize("key", [None, ""], ids=["absent", "empty"])
def test_a_required_key_not_sent_is_refused(key):
    with pytest.raises(ApplicationError) as raised:
        idempotency_key(_request(key), required=True)

    assert raised.value.code == "validation_error"
    assert raised.value.details == {"idempotency_key": [INVALID_KEY_MESSAGE]}


@pytest.mark.parametrize("key", [None, "", "two words"], ids=["absent", "empty", "malformed"])
def test_the_caller_chooses_its_own_refusal(key):
    def required() -> ApplicationError:
        return ApplicationError(
            "Send an Idempotency-Key.",
            code="idempotency_key_required",
            details={IDEMPOTENCY_HEADER: ["Required."]},
        )

    with pytest.raises(ApplicationError) as raised:
        idempotency_key(_request(key), required=True, error=required)

    assert _refusal(raised.value) == (
        400,
        {
            "error": {
                "code": "idempotency_key_required",
                "message": "Send an Idempotency-Key.",
                "details": {"Idempotency-Key": ["Required."]},
            }
        },
    )


def test_each_refusal_is_a_new_exception():
    errors = []
    for _ in range(2):
        with pytest.raises(ApplicationError) as raised:
            idempotency_key(_request("bad key"))
        errors.append(raised.value)

    assert errors[0] is not errors[1]


def test_a_body_fingerprint_ignores_key_order_and_spacing_but_not_values():
    from servicekit.idempotency import body_fingerprint

    assert body_fingerprint({"a": 1, "b": {"c": 2, "d": 3}}) == body_fingerprint(
        {"b": {"d": 3, "c": 2}, "a": 1}
    )
    assert body_fingerprint({"a": 1}) != body_fingerprint({"a": 2})
    assert body_fingerprint({"a": "\ud800"}) != body_fingerprint({"a": "\ud801"})  # lone surrogates count


# -- claiming a key, and pruning old ones (a real table: tests.testapp's IdempotencyKey) ---------


@pytest.mark.django_db
def test_the_first_request_claims_a_key_and_a_retry_gets_the_earlier_row():
    import uuid

    from servicekit.idempotency import claim_key
    from tests.testapp.models import IdempotencyKey

    user, other = uuid.uuid4(), uuid.uuid4()
    row, claimed = claim_key(
        IdempotencyKey, user_id=user, key="k", fingerprint="f1", defaults={"made": "order 1"}
    )
    assert claimed and row.made == "order 1"
    again, claimed = claim_key(
        IdempotencyKey, user_id=user, key="k", fingerprint="f2", defaults={"made": "x"}
    )
    assert not claimed and again.pk == row.pk
    assert (again.fingerprint, again.made) == ("f1", "order 1"), "the caller compares; nothing is overwritten"
    theirs, claimed = claim_key(IdempotencyKey, user_id=other, key="k", fingerprint="f1")
    assert claimed and theirs.pk != row.pk, "keys are per user"


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_claim_it_exactly_once():
    import uuid

    from django.db import transaction

    from servicekit.idempotency import claim_key
    from servicekit.testing.concurrency import results_concurrently
    from tests.testapp.models import IdempotencyKey

    user = uuid.uuid4()

    def request() -> bool:
        with transaction.atomic():  # the claim holds the key until the work's transaction ends
            return claim_key(IdempotencyKey, user_id=user, key="same", fingerprint="f")[1]

    outcomes = results_concurrently([request] * 6)
    assert sorted(outcomes) == [False] * 5 + [True]
    assert IdempotencyKey.objects.filter(user_id=user).count() == 1


@pytest.mark.django_db
def test_a_failed_request_leaves_its_key_unused():
    import uuid

    from django.db import transaction

    from servicekit.idempotency import claim_key
    from tests.testapp.models import IdempotencyKey

    user = uuid.uuid4()
    with pytest.raises(RuntimeError), transaction.atomic():
        claim_key(IdempotencyKey, user_id=user, key="k", fingerprint="f")
        raise RuntimeError("the work failed")
    assert claim_key(IdempotencyKey, user_id=user, key="k", fingerprint="f")[1] is True


@pytest.mark.django_db
def test_keys_older_than_the_retention_are_pruned_in_batches():
    import uuid
    from datetime import timedelta

    from django.utils import timezone

    from servicekit.idempotency import prune_keys
    from tests.testapp.models import IdempotencyKey

    now = timezone.now()
    for n in range(5):
        IdempotencyKey.objects.create(user_id=uuid.uuid4(), key=f"old-{n}", fingerprint="f")
    IdempotencyKey.objects.update(created_at=now - timedelta(hours=49))
    IdempotencyKey.objects.create(user_id=uuid.uuid4(), key="new", fingerprint="f")

    assert prune_keys(IdempotencyKey, older_than_hours=0, now=now) == 0, "0 keeps them all"
    assert prune_keys(IdempotencyKey, older_than_hours=48, now=now, batch_size=2) == 5
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db
def test_a_key_pruned_between_the_failed_insert_and_the_read_is_claimed_again(monkeypatch):
    import uuid

    from servicekit import idempotency
    from tests.testapp.models import IdempotencyKey

    user = uuid.uuid4()
    idempotency.claim_key(IdempotencyKey, user_id=user, key="k", fingerprint="f")
    original = idempotency._earlier_row

    def pruned_meanwhile(model, **kwargs):
        IdempotencyKey.objects.all().delete()  # the sweep, between our insert and our read
        return original(model, **kwargs)

    monkeypatch.setattr(idempotency, "_earlier_row", pruned_meanwhile)
    row, claimed = idempotency.claim_key(IdempotencyKey, user_id=user, key="k", fingerprint="f2")
    assert claimed and row.fingerprint == "f2"
