"""A job's log: append-only lines, each ending in a newline; reading from a character offset
returns only what is new."""

from __future__ import annotations

import pytest

from builds.jobs.models import Job, JobLogLine
from builds.jobs.selectors import job_log_since
from builds.jobs.services import job_log
from tests.factories import JobFactory

pytestmark = pytest.mark.django_db


def test_lines_are_appended_with_their_end_offsets():
    job = JobFactory()

    assert job_log(job_id=job.id, text="Committing ref app/x") == 21
    assert job_log(job_id=job.id, text="two\nlines") == 31
    assert job_log(job_id=job.id, text="") == 32

    assert list(JobLogLine.objects.filter(job=job).values_list("end_offset", "text")) == [
        (21, "Committing ref app/x\n"),
        (25, "two\n"),
        (31, "lines\n"),
        (32, "\n"),
    ]
    assert Job.objects.get(id=job.id).log_length == 32


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (0, "first line\nsecond\n"),
        (-7, "first line\nsecond\n"),
        (11, "second\n"),
        (6, "line\nsecond\n"),  # inside a line: the rest of it
        (18, ""),
        (500, ""),
    ],
)
def test_reading_from_an_offset_returns_only_the_new_text(offset, expected):
    job = JobFactory()
    job_log(job_id=job.id, text="first line")
    job_log(job_id=job.id, text="second")

    assert job_log_since(job_id=job.id, offset=offset) == expected


def test_offsets_count_characters_not_bytes():
    job = JobFactory()
    job_log(job_id=job.id, text="größe ✓")
    job_log(job_id=job.id, text="next")

    assert job_log_since(job_id=job.id, offset=len("größe ✓\n")) == "next\n"


def test_nul_characters_are_dropped():
    job = JobFactory()
    job_log(job_id=job.id, text="a\x00b")

    assert job_log_since(job_id=job.id) == "ab\n"


def test_a_follower_sees_the_same_text_as_one_read():
    job = JobFactory()
    seen, offset = "", 0
    for line in ("one", "two", "three"):
        job_log(job_id=job.id, text=line)
        new = job_log_since(job_id=job.id, offset=offset)
        seen, offset = seen + new, offset + len(new)

    assert seen == job_log_since(job_id=job.id) == "one\ntwo\nthree\n"
