from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone


def _strings(max_length: int) -> ArrayField:
    return ArrayField(models.CharField(max_length=max_length), default=list, blank=True)


class BuildToken(models.Model):
    """A build token this service issued (the token itself is never stored), or the revocation
    of one it did not (a ``jti`` from a token signed elsewhere with the same secret).

    Revocation is a column here, read on every verification, so it takes effect at once. A
    sub-token gets its own ``jti`` and remembers every token it derives from (``ancestors``):
    revoking a token revokes everything derived from it.
    """

    jti = models.CharField(primary_key=True, max_length=64)
    name = models.CharField(max_length=255, blank=True)
    sub = models.CharField(max_length=255, blank=True)
    scope = _strings(32)
    prefixes = _strings(255)
    apps = _strings(255)
    repos = _strings(64)
    token_type = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.CharField(max_length=255, blank=True)  # identity user id of the issuer
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ancestors = _strings(64)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "jti"]
        indexes = [GinIndex(fields=["ancestors"], name="buildtoken_ancestors_gin")]

    def __str__(self) -> str:
        return f"{self.name or '-'} ({self.jti})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
