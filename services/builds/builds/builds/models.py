from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone


class RepoState(models.IntegerChoices):
    """flat-manager's ``repo_state``; the numbers are on the wire."""

    UPLOADING = 0, "uploading"
    COMMITTING = 1, "committing"
    READY = 2, "ready"
    FAILED = 3, "failed"
    PURGING = 4, "purging"
    PURGED = 5, "purged"
    VALIDATING = 6, "validating"


class PublishedState(models.IntegerChoices):
    UNPUBLISHED = 0, "unpublished"
    PUBLISHING = 1, "publishing"
    PUBLISHED = 2, "published"
    FAILED = 3, "failed"


class StateField(models.TextChoices):
    REPO = "repo_state"
    PUBLISHED = "published_state"


STATES = {StateField.REPO: RepoState, StateField.PUBLISHED: PublishedState}

_R, _P = RepoState, PublishedState
# The build state machine: the one table of allowed transitions, for both of a build's state
# fields. Anything not listed is refused (a conflict naming the current state). Guards across
# the two fields live with the actions that need them: publishing needs a ready build, purging
# one that is not being published.
TRANSITIONS: dict[tuple[StateField, int], frozenset[int]] = {
    (StateField.REPO, _R.UPLOADING): frozenset({_R.COMMITTING, _R.PURGING}),
    (StateField.REPO, _R.COMMITTING): frozenset({_R.VALIDATING, _R.READY, _R.FAILED}),
    (StateField.REPO, _R.VALIDATING): frozenset({_R.READY, _R.FAILED, _R.PURGING}),
    (StateField.REPO, _R.READY): frozenset({_R.PURGING}),
    (StateField.REPO, _R.FAILED): frozenset({_R.PURGING}),
    (StateField.REPO, _R.PURGING): frozenset({_R.PURGED, _R.FAILED}),
    (StateField.REPO, _R.PURGED): frozenset(),
    (StateField.PUBLISHED, _P.UNPUBLISHED): frozenset({_P.PUBLISHING}),
    (StateField.PUBLISHED, _P.PUBLISHING): frozenset({_P.PUBLISHED, _P.FAILED}),
    (StateField.PUBLISHED, _P.PUBLISHED): frozenset(),
    (StateField.PUBLISHED, _P.FAILED): frozenset({_P.PUBLISHING}),  # a failed publish may be retried
}


def state_name(field: StateField, value: int) -> str:
    return STATES[field](value).label


class Build(models.Model):
    """One upload of one or more refs into a build repository, on its way to a main repository."""

    repository = models.ForeignKey("repos.Repository", on_delete=models.PROTECT, related_name="builds")
    app_id = models.CharField(max_length=255, blank=True)
    public_download = models.BooleanField(default=True)
    build_log_url = models.CharField(max_length=2048, blank=True)
    extra_ids = ArrayField(models.CharField(max_length=255), default=list, blank=True)
    repo_state = models.PositiveSmallIntegerField(choices=RepoState.choices, default=RepoState.UPLOADING)
    repo_state_reason = models.TextField(blank=True)
    published_state = models.PositiveSmallIntegerField(
        choices=PublishedState.choices, default=PublishedState.UNPUBLISHED
    )
    published_state_reason = models.TextField(blank=True)
    commit_job = models.OneToOneField(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="committed_build"
    )
    publish_job = models.OneToOneField(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="published_build"
    )
    # Who created it: an identity user, or a build token (its subject and name; its issuer's
    # user id when this service issued it). Events carry it for notifications.
    creator_user_id = models.CharField(max_length=64, blank=True)
    creator_token_sub = models.CharField(max_length=255, blank=True)
    creator_name = models.CharField(max_length=255, blank=True)
    token_type = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["repository", "-id"], name="build_repository_idx"),
            models.Index(
                fields=["repository", "-published_at"],
                name="build_published_idx",
                condition=Q(published_state=PublishedState.PUBLISHED),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(repo_state__in=RepoState.values), name="build_repo_state_known"
            ),
            models.CheckConstraint(
                condition=Q(published_state__in=PublishedState.values), name="build_published_state_known"
            ),
        ]

    def __str__(self) -> str:
        return f"build {self.id} ({self.get_repo_state_display()}, {self.get_published_state_display()})"


class BuildStateChange(models.Model):
    """The build's history: every transition of either state field, who made it and why."""

    build = models.ForeignKey(Build, on_delete=models.CASCADE, related_name="state_changes")
    field = models.CharField(max_length=16, choices=StateField.choices)
    from_state = models.PositiveSmallIntegerField(null=True, blank=True)  # null: the build was created
    to_state = models.PositiveSmallIntegerField()
    actor = models.CharField(max_length=255, blank=True)  # "system", "user:<id>" or "token:<name>"
    job_id = models.BigIntegerField(null=True, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.build_id} {self.field}: {self.from_state} → {self.to_state}"


class BuildRef(models.Model):
    """A ref the build provides and the uploaded commit it points at."""

    build = models.ForeignKey(Build, on_delete=models.CASCADE, related_name="refs")
    ref_name = models.CharField(max_length=512)
    commit = models.CharField(max_length=64)
    build_log_url = models.CharField(max_length=2048, blank=True)
    committed_commit = models.CharField(max_length=64, blank=True)  # in the build repository
    published_commit = models.CharField(max_length=64, blank=True)  # in the main repository

    class Meta:
        ordering = ["build", "id"]
        constraints = [models.UniqueConstraint(fields=["build", "ref_name"], name="build_ref_unique")]

    def __str__(self) -> str:
        return f"{self.ref_name} ({self.commit[:10]})"


class CheckStatus(models.IntegerChoices):
    """flat-manager's check statuses; the numbers are on the wire (a client fails on 3)."""

    PENDING = 0, "pending"
    PASSED = 1, "passed"
    PASSED_WITH_WARNINGS = 2, "passed_with_warnings"
    FAILED = 3, "failed"
    REVIEW_REQUIRED = 4, "review_required"


CHECK_FINISHED = frozenset({CheckStatus.PASSED, CheckStatus.PASSED_WITH_WARNINGS, CheckStatus.FAILED})
CHECK_PASSED = frozenset({CheckStatus.PASSED, CheckStatus.PASSED_WITH_WARNINGS})


class Check(models.Model):
    """One of the repository's check hooks, run as a job against a committed build."""

    build = models.ForeignKey(Build, on_delete=models.CASCADE, related_name="checks")
    name = models.CharField(max_length=64)
    job = models.OneToOneField("jobs.Job", on_delete=models.PROTECT, related_name="build_check")
    status = models.PositiveSmallIntegerField(choices=CheckStatus.choices, default=CheckStatus.PENDING)
    status_reason = models.TextField(blank=True)
    results = models.JSONField(null=True, blank=True)
    reviewable = models.BooleanField(default=False)
    reviewed_by = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["build", "name"]
        constraints = [models.UniqueConstraint(fields=["build", "name"], name="check_unique_per_build")]

    def __str__(self) -> str:
        return f"{self.name} on build {self.build_id}: {self.get_status_display()}"
