"""Request ids flow in, out, into log lines; metrics are exposed."""

import json
import logging

import pytest

from servicekit.observability.context import get_request_id, request_id_scope
from servicekit.observability.logging import JsonFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db


def test_request_id_from_the_gateway_is_echoed(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="gw-abc-123")
    assert response["X-Request-ID"] == "gw-abc-123"


def test_access_log_line_carries_the_request_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="servicekit.access"):
        client.get("/api/v1/test/items/", HTTP_X_REQUEST_ID="trace-me")
    records = [r for r in caplog.records if r.name == "servicekit.access"]
    assert len(records) == 1
    record = records[0]
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter(service="testsvc").format(record))
    assert line["request_id"] == "trace-me"
    assert line["status"] == 200 and line["method"] == "GET" and line["service"] == "testsvc"
    assert line["route"] == "/api/v1/test/items/"


def test_request_id_scope_sets_and_restores():
    assert get_request_id() is None
    with request_id_scope("task-1") as rid:
        assert rid == get_request_id() == "task-1"
    assert get_request_id() is None


def test_json_formatter_includes_extra_fields_and_exceptions():
    logger = logging.getLogger("t")
    try:
        raise ValueError("nope")
    except ValueError:
        record = logger.makeRecord(
            "t", logging.ERROR, __file__, 1, "failed %s", ("x",), None, extra={"order_id": 7}
        )
        import sys

        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter(service="s").format(record))
    assert line["message"] == "failed x" and line["order_id"] == 7 and "ValueError" in line["exc_info"]


def test_metrics_count_requests_by_route_not_raw_path(client):
    client.get("/api/v1/test/items/?page=1")
    body = client.get("/metrics").content.decode()
    assert 'http_requests_total{method="GET",route="/api/v1/test/items/",status="200"}' in body


@pytest.mark.parametrize(
    ("forwarded_for", "hops", "expected"),
    [
        ("", 1, "10.0.0.9"),  # no proxy header: the socket peer
        ("198.51.100.7", 1, "198.51.100.7"),  # the gateway's entry
        ("6.6.6.6, 198.51.100.7", 1, "198.51.100.7"),  # a client-forged entry on the left is ignored
        ("198.51.100.7, 10.1.1.1", 2, "198.51.100.7"),  # load balancer + gateway
        ("not-an-ip", 1, None),
    ],
)
def test_client_ip_trusts_only_the_proxies_hops(settings, forwarded_for, hops, expected):
    from servicekit.observability.middleware import client_ip_from

    settings.SERVICEKIT = {**settings.SERVICEKIT, "TRUSTED_PROXY_HOPS": hops}
    assert client_ip_from(forwarded_for=forwarded_for, remote_addr="10.0.0.9") == expected


# --- gunicorn's own log lines ------------------------------------------------------------------


def _gunicorn_config(monkeypatch, **env) -> dict:
    """servicekit.gunicorn_config as a service's gunicorn.conf.py loads it, under ``env``."""
    import runpy

    from servicekit import gunicorn_config

    monkeypatch.setenv("SERVICE_NAME", "catalog")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(gunicorn_config.__file__)


def _emit_through(config: dict, logger_name: str, message: str) -> str:
    """What the handler ``config`` gives ``logger_name`` writes for one record, configured the
    way dictConfig would, without touching this process's logging."""
    import copy
    import io
    from logging.config import DictConfigurator

    configurator = DictConfigurator(copy.deepcopy(config))
    resolved = configurator.config
    for name in list(resolved["formatters"]):
        resolved["formatters"][name] = configurator.configure_formatter(resolved["formatters"][name])
    for name in list(resolved.get("filters", {})):
        resolved["filters"][name] = configurator.configure_filter(resolved["filters"][name])
    (handler_name,) = resolved["loggers"][logger_name]["handlers"]
    handler = configurator.configure_handler(resolved["handlers"][handler_name])
    stream = io.StringIO()
    handler.setStream(stream)
    handler.handle(logging.LogRecord(logger_name, logging.ERROR, __file__, 1, message, None, None))
    return stream.getvalue()


def test_gunicorn_logs_through_the_services_json_formatter(monkeypatch):
    config = _gunicorn_config(monkeypatch, LOG_FORMAT="json")
    logconfig = config["logconfig_dict"]
    for name in ("gunicorn.error", "gunicorn.access"):
        logger = logconfig["loggers"][name]
        assert logger["propagate"] is False  # once, not again through the root logger
        assert "level" not in logger  # gunicorn's --log-level keeps deciding
        handler = logconfig["handlers"][logger["handlers"][0]]
        formatter = logconfig["formatters"][handler["formatter"]]
        assert formatter["()"] == "servicekit.observability.logging.JsonFormatter"
        assert formatter["service"] == "catalog"

    line = json.loads(_emit_through(logconfig, "gunicorn.error", "Worker (pid:42) was sent SIGKILL!"))
    assert line["logger"] == "gunicorn.error"
    assert line["service"] == "catalog"
    assert line["level"] == "ERROR"
    assert line["message"] == "Worker (pid:42) was sent SIGKILL!"
    assert line["request_id"] == "-"


def test_gunicorn_logs_for_people_with_log_format_console(monkeypatch):
    config = _gunicorn_config(monkeypatch, LOG_FORMAT="console")
    line = _emit_through(config["logconfig_dict"], "gunicorn.error", "Booting worker with pid: 7")
    assert not line.startswith("{")
    assert "ERROR [-] gunicorn.error: Booting worker with pid: 7" in line


def test_gunicorn_access_log_stays_off(monkeypatch):
    # Requests are logged once, by servicekit's access-log middleware. gunicorn itself would
    # switch its access log on because a logconfig_dict is set; ServiceLogger does not.
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    from servicekit.observability.gunicorn import ServiceLogger

    config = _gunicorn_config(monkeypatch)
    assert config["accesslog"] is None
    assert config["logger_class"] == "servicekit.observability.gunicorn.ServiceLogger"
    cfg = Config()
    cfg.set("logconfig_dict", config["logconfig_dict"])

    def logger(cls):
        instance = cls.__new__(cls)  # without setup(), which would reconfigure this process's logging
        instance.cfg = cfg
        return instance

    assert logger(Logger).access_log_enabled
    assert not logger(ServiceLogger).access_log_enabled
    cfg.set("accesslog", "-")
    assert logger(ServiceLogger).access_log_enabled


def test_an_error_answer_names_its_code_in_a_header_and_in_the_access_log(client, caplog):
    # The gateway's access line records X-Error-Code ($upstream_http_x_error_code).
    with caplog.at_level(logging.INFO, logger="servicekit.access"):
        conflict = client.post("/api/v1/test/conflict/")
        missing = client.get("/api/v1/test/no-such-route/")  # Django's 404 view, outside DRF
        fine = client.get("/api/v1/test/items/")
    assert conflict.status_code == 409 and conflict["X-Error-Code"] == "conflict"
    assert missing.status_code == 404 and missing["X-Error-Code"] == missing.json()["error"]["code"]
    assert fine.status_code == 200 and "X-Error-Code" not in fine
    lines = {r.path: r for r in caplog.records if r.name == "servicekit.access"}
    assert lines["/api/v1/test/conflict/"].error_code == "conflict"
    assert not hasattr(lines["/api/v1/test/items/"], "error_code")


def test_only_an_envelopes_code_becomes_the_header():
    from django.http import HttpResponse, JsonResponse

    from servicekit.observability.middleware import error_code_of

    assert error_code_of(JsonResponse({"error": {"code": "gone"}}, status=410)) == "gone"
    assert error_code_of(JsonResponse({"data": {}}, status=200)) is None
    assert error_code_of(JsonResponse({"detail": "x"}, status=400)) is None
    assert error_code_of(HttpResponse("<h1>Bad</h1>", status=400, content_type="text/html")) is None
    assert error_code_of(HttpResponse("{not json", status=400, content_type="application/json")) is None
    assert error_code_of(JsonResponse({"error": {"code": "bad\nline"}}, status=400)) is None


def test_json_line_has_every_platform_key():
    from servicekit.observability.logging import json_line

    with request_id_scope("r-1"):
        line = json.loads(json_line("hello", service="catalog", logger="entrypoint", fields={"pid": 3}))
    assert line["message"] == "hello" and line["request_id"] == "r-1" and line["pid"] == 3
    assert {"ts", "level", "service", "logger"} <= set(line)
