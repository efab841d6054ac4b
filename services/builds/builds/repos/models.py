from django.db import models
from django.db.models import Q
from django.utils import timezone

from builds.repos.hooks import CheckHook, PublishHook, parse_check_hooks, parse_publish_hook


class Repository(models.Model):
    """A published (main) Flatpak repository, served at /repo/<name>/."""

    name = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=255, blank=True)
    default_branch = models.CharField(max_length=64, default="stable")
    collection_id = models.CharField(max_length=255, blank=True)
    is_public = models.BooleanField(default=True)
    # How many published builds of each ref are kept: older ones are purged after a publish,
    # and the main repository's history is pruned to that depth.
    retention_count = models.PositiveIntegerField(default=3)
    check_hooks = models.JSONField(default=list, blank=True)
    publish_hook = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "repositories"
        constraints = [
            models.CheckConstraint(condition=Q(retention_count__gte=1), name="repository_keeps_a_build"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def parsed_check_hooks(self) -> list[CheckHook]:
        return parse_check_hooks(self.check_hooks)

    @property
    def parsed_publish_hook(self) -> PublishHook | None:
        return parse_publish_hook(self.publish_hook)
