"""CSV of any table, streamed: a line per row as the rows are read, never the whole table."""

import csv
import io
import uuid
from datetime import timedelta
from decimal import Decimal
from types import GeneratorType

import pytest
from django.db import connection

from analytics.metrics.csvstream import csv_lines, queryset_rows
from analytics.requestlogs.selectors import request_logs_list
from tests.conftest import request, utc

pytestmark = pytest.mark.django_db
AT = utc(2031, 10, 1, 8)
COLUMNS = ["occurred_at", "service", "route", "status", "error_code", "duration_ms", "user_id"]


def _parse(lines):
    return list(csv.reader(io.StringIO("".join(lines))))


def test_a_line_per_row_is_produced_as_the_rows_are_read():
    consumed = []

    def rows():
        for n in range(1_000_000):
            consumed.append(n)
            yield {"n": n}

    lines = csv_lines(rows(), ["n"])

    assert isinstance(lines, GeneratorType)
    assert [next(lines), next(lines), next(lines)] == ["n\r\n", "0\r\n", "1\r\n"]
    assert consumed == [0, 1]


def test_values_are_written_as_text_a_spreadsheet_does_not_run():
    rows = [
        {"text": '=HYPERLINK("http://evil")', "amount": Decimal("-10.50"), "when": AT, "nothing": None},
        {"text": "+1", "amount": Decimal("0"), "when": AT.date(), "nothing": "@x"},
        {"text": 'plain, "quoted"\nline', "amount": 3, "when": None, "nothing": "-"},
    ]

    assert _parse(csv_lines(rows, ["text", "amount", "when", "nothing"])) == [
        ["text", "amount", "when", "nothing"],
        ['\'=HYPERLINK("http://evil")', "-10.50", "2031-10-01T08:00:00+00:00", ""],
        ["'+1", "0", "2031-10-01", "'@x"],
        ['plain, "quoted"\nline', "3", "", "'-"],
    ]


def test_a_table_streams_through_a_server_side_cursor(request_log_stream):
    user = uuid.uuid4()
    for chunk in range(5):
        request_log_stream.ship(
            *(
                request(at=AT + timedelta(seconds=chunk * 1000 + n), user=user, request_id=f"{chunk}-{n}")
                for n in range(1000)
            )
        )
    request_log_stream.ingest()

    lines = csv_lines(queryset_rows(request_logs_list(user_id=user), COLUMNS), COLUMNS)
    header, newest = next(lines), next(lines)

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors WHERE name LIKE '_django_curs_%%'")
        assert cursor.fetchone()[0] == 1  # rows come a chunk at a time, not all at once
    assert header == ",".join(COLUMNS) + "\r\n"
    assert newest.startswith(
        (AT + timedelta(seconds=4999)).isoformat() + ",orders,/api/v1/orders/,200,,10.0,"
    )
    assert len(_parse([header, newest, *lines])) == 5001
