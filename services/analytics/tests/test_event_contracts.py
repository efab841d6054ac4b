"""Contract tests: the handlers, and every payload field the usage rules and metrics read, are
what the producers' schemas promise."""

from analytics.handlers import PAYLOAD_READS, PENDING_SCHEMAS
from servicekit.events.schemas import UnknownEventType, load_schema
from servicekit.testing.contracts import assert_handlers_match_producer_schemas, check_path


def test_handlers_read_only_what_their_producers_publish():
    assert_handlers_match_producer_schemas("analytics.handlers")


def test_usage_and_metrics_read_only_fields_their_producers_publish():
    problems = []
    for (type_, version), reads in sorted(PAYLOAD_READS.items()):
        try:
            schema = load_schema(type_, version)
        except UnknownEventType:
            if type_ not in PENDING_SCHEMAS:
                problems.append(f"{type_} v{version}: no producer schema")
            continue
        problems += [
            f"{type_} v{version}: {read!r} {problem}"
            for read in reads
            if (problem := check_path(schema, read))
        ]
    assert problems == []


def test_pending_types_are_all_read_somewhere():
    assert {type_ for type_, _ in PAYLOAD_READS} >= PENDING_SCHEMAS
