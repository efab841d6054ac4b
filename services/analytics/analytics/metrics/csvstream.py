"""CSV for any table, produced a row at a time (for a ``StreamingHttpResponse``): nothing is
built in memory, however many rows there are.

    lines = csv_lines(queryset_rows(request_logs_list(service="orders"), COLUMNS), COLUMNS)
    return StreamingHttpResponse(lines, content_type="text/csv")
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet

CHUNK_ROWS = 2000  # rows per fetch from the server-side cursor
# A spreadsheet runs a cell starting with these as a formula (CSV injection): text that does is
# prefixed with an apostrophe. Numbers are left alone (a refund is a negative amount).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """A file whose write returns what was written: csv.writer then hands back each line."""

    def write(self, text: str) -> str:
        return text


def csv_lines(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> Iterator[str]:
    """The header, then one line per row (``columns`` of each), as ``rows`` is consumed."""
    writer = csv.writer(_Line())
    yield writer.writerow(columns)
    for row in rows:
        yield writer.writerow([cell(row[column]) for column in columns])


def queryset_rows(queryset: QuerySet, columns: Sequence[str]) -> Iterator[Mapping[str, Any]]:
    """The rows of ``queryset`` as dicts, fetched in chunks through a server-side cursor."""
    return queryset.values(*columns).iterator(chunk_size=CHUNK_ROWS)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return str(value)
