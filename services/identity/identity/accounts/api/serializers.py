from rest_framework import serializers

from identity.accounts.models import User


class UserOutputSerializer(serializers.ModelSerializer):
    """How a user reads back everywhere (their own profile, registration, staff views)."""

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "language",
            "roles",
            "is_active",
            "email_verified",
            "created_at",
            "updated_at",
            "last_login",
        ]
        read_only_fields = fields


class MessageOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()
