from django.db import models
from django.db.models import Q
from django.utils import timezone


class JobKind(models.IntegerChoices):
    """flat-manager's job kinds; the numbers are on the wire."""

    COMMIT = 0, "commit"
    PUBLISH = 1, "publish"
    UPDATE_REPO = 2, "update-repo"
    REPUBLISH = 3, "republish"
    CHECK = 4, "check"
    PRUNE = 5, "prune"


class JobStatus(models.IntegerChoices):
    NEW = 0, "new"
    STARTED = 1, "started"
    ENDED = 2, "ended"
    BROKEN = 3, "broken"


FINISHED = frozenset({JobStatus.ENDED, JobStatus.BROKEN})


class Job(models.Model):
    """A unit of work a Celery worker runs with the real tools, with an append-only log.

    ``contents`` says what to do (e.g. ``{"build": 7, "endoflife": null, ...}``); ``results`` is
    null until the job produced some. Jobs that write a main repository (publish, update-repo)
    run one at a time per repository.
    """

    kind = models.PositiveSmallIntegerField(choices=JobKind.choices)
    status = models.PositiveSmallIntegerField(choices=JobStatus.choices, default=JobStatus.NEW)
    contents = models.JSONField(default=dict)
    results = models.JSONField(null=True, blank=True)
    repository = models.ForeignKey(
        "repos.Repository", null=True, blank=True, on_delete=models.PROTECT, related_name="jobs"
    )
    build_id = models.BigIntegerField(null=True, blank=True)  # the build it works on, if any
    start_after = models.DateTimeField(null=True, blank=True)
    # Characters in the log so far: the offset the next line starts at.
    log_length = models.BigIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["build_id", "kind"], name="job_build_kind_idx"),
            models.Index(
                fields=["repository", "kind"],
                name="job_waiting_update_idx",
                condition=Q(status=JobStatus.NEW),
            ),
            models.Index(fields=["created_at"], name="job_unfinished_idx", condition=Q(status__in=[0, 1])),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=JobKind.values), name="job_kind_known"),
            models.CheckConstraint(condition=Q(status__in=JobStatus.values), name="job_status_known"),
        ]

    def __str__(self) -> str:
        return f"job {self.id} ({self.get_kind_display()}, {self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED


class JobLogLine(models.Model):
    """One line of a job's log (ending in a newline). ``end_offset`` is the log's length in
    characters once this line is added, so "the log after offset N" is a range query."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="log_lines")
    end_offset = models.BigIntegerField()
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["job", "end_offset"]
        constraints = [
            models.UniqueConstraint(fields=["job", "end_offset"], name="job_log_line_offset_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}@{self.end_offset}: {self.text[:60]}"
