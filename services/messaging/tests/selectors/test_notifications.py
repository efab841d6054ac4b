import pytest

from messaging.notifications.models import NotificationKind
from messaging.notifications.selectors import notification_preferences
from messaging.notifications.services import notification_opt_out


@pytest.mark.django_db
def test_preferences_list_every_kind_with_security_mail_not_optional(user_id, django_assert_num_queries):
    notification_opt_out(user_id=user_id, kind="order_shipped")

    with django_assert_num_queries(1):
        preferences = {
            p.kind: (p.is_enabled, p.is_optional) for p in notification_preferences(user_id=user_id)
        }

    assert set(preferences) == set(NotificationKind.values)
    assert preferences["order_shipped"] == (False, True)
    assert preferences["order_paid"] == (True, True)
    assert preferences["password_reset"] == (True, False)
    assert [kind for kind, (_, optional) in preferences.items() if not optional] == [
        "email_verification",
        "password_reset",
        "registration_attempt",
    ]
