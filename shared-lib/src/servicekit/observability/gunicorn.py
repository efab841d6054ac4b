"""gunicorn's own log lines (start-up, worker boots and deaths, timeouts) in the service's format.

``servicekit.gunicorn_config`` configures this logger class and a ``logconfig_dict`` built
from the same formatters as the service's Django logging (``LOG_FORMAT``: json or console).
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

_ROUTED_LOGGERS = ("gunicorn.error", "gunicorn.access")


def logconfig_dict(service: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dict sending gunicorn's loggers through the service's
    handler (stdout, JSON or console per ``LOG_FORMAT``) and nowhere else."""
    from servicekit.settings import Env, logging_settings

    config = logging_settings(service, Env())
    # Levels stay gunicorn's own (--log-level / GUNICORN_LOG_LEVEL): none are set here.
    # propagate=False: Django's logging in each worker replaces the root handler, and a
    # record must not come out twice.
    config["loggers"] = {name: {"handlers": ["stdout"], "propagate": False} for name in _ROUTED_LOGGERS}
    return config


class ServiceLogger(Logger):
    """gunicorn's logger, except that a ``logconfig_dict`` does not switch its access log on:
    each request is logged once, by servicekit's access-log middleware (with the request id,
    route and principal), and gunicorn's line would only repeat it. ``accesslog`` still
    enables it explicitly."""

    @property
    def access_log_enabled(self) -> bool:
        return bool(self.cfg.accesslog)

    def access(self, resp, req, environ, request_time) -> None:
        if self.cfg.accesslog:
            super().access(resp, req, environ, request_time)
