from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from identity.accounts import services
from identity.accounts.models import OneTimeToken
from identity.tokens.models import RefreshToken
from identity.tokens.services import token_pair_issue

pytestmark = pytest.mark.django_db


def test_purges_only_what_expired_before_the_grace_period(user):
    token_pair_issue(user=user)
    token_pair_issue(user=user)
    services.password_reset_request(email=user.email)
    long_ago = timezone.now() - timedelta(days=3)
    RefreshToken.objects.filter(pk=RefreshToken.objects.first().pk).update(expires_at=long_ago)
    OneTimeToken.objects.update(expires_at=long_ago)
    out = StringIO()
    call_command("purge_expired_tokens", stdout=out)
    assert out.getvalue().strip() == "deleted 1 refresh token(s) and 1 one-time link(s)"
    assert RefreshToken.objects.count() == 1 and not OneTimeToken.objects.exists()
