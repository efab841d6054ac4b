"""gunicorn's worker for ``WEB_INTERFACE=asgi`` (see gunicorn_config): uvicorn's, without its
access log (the service's AccessLogMiddleware writes one JSON line per request already) and
without the lifespan protocol Django does not speak. Imported only by such services, which
depend on ``uvicorn-worker`` themselves."""

from uvicorn_worker import UvicornWorker  # type: ignore[import-untyped]


class ServiceUvicornWorker(UvicornWorker):
    CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, "access_log": False, "lifespan": "off"}
