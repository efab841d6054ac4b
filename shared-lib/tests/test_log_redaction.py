"""No token, password, API key or reset link reaches a log line (RedactSecretsFilter on the
services' handler). tests/e2e/test_zz_logs_hold_no_secrets.py greps a whole e2e run's logs."""

import io
import json
import logging
import logging.config

import pytest

from servicekit.observability.logging import REDACTED, JsonFormatter, RedactSecretsFilter, redact
from servicekit.settings import Env, logging_settings

JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0"
    ".eyJzdWIiOiIxMjM0IiwiZXhwIjoxNzAwMDAwMDAwfQ.c2lnbmF0dXJlLXBhcnQtaGVyZQ"
)
API_KEY = "ik_0123456789abcdef.Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWpr"
ONE_TIME = "dGhpcy1pcy1hLW9uZS10aW1lLXRva2VuLW9mLTMyLWJ5dGVz"


def logged(*args, **kwargs) -> dict:
    """What the services' handler (servicekit.settings.logging_settings) writes for this call."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(service="s"))
    handler.addFilter(RedactSecretsFilter())
    logger = logging.getLogger("redaction-test")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.warning(*args, **kwargs)
    finally:
        logger.removeHandler(handler)
    return json.loads(stream.getvalue())


@pytest.mark.parametrize(
    "text, secret, kept",
    [
        (f"Authorization: Bearer {JWT}", JWT, "Bearer"),
        (f"got token {JWT} from client", JWT, "got token"),
        (f"ApiKey {API_KEY}", API_KEY, "ik_0123456789abcdef."),
        (f"key {API_KEY} revoked", API_KEY, "ik_0123456789abcdef."),
        (f"GET /account/reset-password/?token={ONE_TIME} 200", ONE_TIME, "/account/reset-password/?token="),
        (f"link http://x/account/verify/?lang=en&token={ONE_TIME}#top", ONE_TIME, "lang=en&token="),
        (f"GET /x/?api_key={API_KEY}&page=2", "Zm9vYmFy", "&page=2"),
        ("{'email': 'a@b.c', 'password': 'hunter2-Secret!'}", "hunter2", "'email': 'a@b.c'"),
        (
            '{"refresh": "opaque-refresh-value", "token_type": "Bearer"}',
            "opaque-refresh",
            '"token_type": "Bearer"',
        ),
        ("password=hunter2-Secret! email=a@b.c", "hunter2", "email=a@b.c"),
        ("SECRET_KEY=not-for-your-eyes", "not-for-your-eyes", "SECRET_KEY="),
    ],
)
def test_a_secret_in_a_message_is_redacted_and_the_rest_kept(text, secret, kept):
    line = logged("%s", text)
    assert secret not in line["message"]
    assert REDACTED in line["message"]
    assert kept in line["message"]


def test_ordinary_lines_are_left_alone():
    for text in [
        "GET /api/v1/catalog/products/?search=red&page=2 200",
        "order 3f1c… confirmed; token_type Bearer; expires_in 900",
        "published 12 events to platform.events",
        "password reset requested for a@b.c",
    ]:
        assert redact(text) == text


def test_extra_fields_are_redacted_by_key_and_by_content():
    line = logged(
        "login",
        extra={
            "password": "hunter2-Secret!",
            "api_key": API_KEY,
            "headers": {"Authorization": f"Bearer {JWT}", "Accept": "application/json"},
            "link": f"https://shop.example.com/account/verify/?token={ONE_TIME}",
            "tokens": [JWT],
            "email": "a@b.c",
        },
    )
    flat = json.dumps(line)
    for secret in ("hunter2", JWT, "Zm9vYmFy", ONE_TIME):
        assert secret not in flat
    assert line["password"] == REDACTED
    assert line["headers"]["Accept"] == "application/json"
    assert line["email"] == "a@b.c"


def test_an_exceptions_text_is_redacted():
    try:
        raise ValueError(f"bad token {JWT}")
    except ValueError:
        line = logged("failed", exc_info=True)
    assert "ValueError: bad token" in line["exc_info"]
    assert JWT not in line["exc_info"]


def test_arguments_are_rendered_once_and_never_again():
    record = logging.makeLogRecord({"msg": "sent %s to %s", "args": (JWT, "a@b.c")})
    RedactSecretsFilter().filter(record)
    assert record.args is None
    assert record.getMessage() == f"sent {REDACTED} to a@b.c"


def test_the_services_handler_redacts(monkeypatch):
    """Every service logs through logging_settings' handler: the filter is on it."""
    config = logging_settings("s", Env())
    assert "redact_secrets" in config["handlers"]["stdout"]["filters"]
    filter_factory = config["filters"]["redact_secrets"]["()"]
    assert filter_factory == "servicekit.observability.logging.RedactSecretsFilter"
