"""A sign-in attempt as the APIs show it, and the filters every login history takes."""

from __future__ import annotations

from rest_framework import serializers

from identity.logins.models import LoginAttempt


class LoginAttemptOutputSerializer(serializers.ModelSerializer):
    user_id = serializers.UUIDField(allow_null=True)
    succeeded = serializers.BooleanField()

    class Meta:
        model = LoginAttempt
        fields = [
            "id",
            "user_id",
            "email",
            "outcome",
            "succeeded",
            "ip",
            "user_agent",
            "channel",
            "created_at",
        ]
        read_only_fields = fields


class OwnLoginFilterSerializer(serializers.Serializer):
    succeeded = serializers.BooleanField(required=False)
    since = serializers.DateTimeField(required=False)
