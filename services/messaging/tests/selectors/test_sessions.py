import pytest

from messaging.sessions.models import SessionStatus
from messaging.sessions.selectors import session_by_provider_name, session_get, session_list, session_working
from servicekit.envelope.errors import NotFound
from tests.factories import SessionFactory


@pytest.mark.django_db
def test_a_user_lists_their_sessions_and_cannot_see_anothers():
    mine = SessionFactory(status=SessionStatus.STOPPED)
    live = SessionFactory(user_id=mine.user_id)
    theirs = SessionFactory()

    assert set(session_list(user_id=mine.user_id)) == {mine, live}
    assert session_get(user_id=mine.user_id, session_id=live.pk) == live
    with pytest.raises(NotFound):
        session_get(user_id=mine.user_id, session_id=theirs.pk)


@pytest.mark.django_db
def test_the_working_session_is_the_one_messages_go_through(user_id):
    SessionFactory(user_id=user_id, status=SessionStatus.FAILED)
    assert session_working(user_id=user_id) is None

    working = SessionFactory(user_id=user_id)
    assert session_working(user_id=user_id) == working


@pytest.mark.django_db
def test_a_session_is_found_by_its_name_at_its_provider():
    session = SessionFactory(provider="waha")

    assert session_by_provider_name(provider="waha", provider_session=session.provider_session) == session
    assert session_by_provider_name(provider="loopback", provider_session=session.provider_session) is None
