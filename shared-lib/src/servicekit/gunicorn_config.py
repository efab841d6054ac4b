"""Gunicorn settings from the environment; each service's gunicorn.conf.py imports this.

Sync workers are the default: measured on a 2-core machine behind nginx they gave
stable throughput, while gthread with keep-alive was bimodal (see bench/).
"""

import multiprocessing
import os
import shutil
import socket
from pathlib import Path

from servicekit.entrypoint import TEMPORARY_METRICS_DIR_MARKER as _TEMPORARY_METRICS_DIR_MARKER
from servicekit.observability.gunicorn import logconfig_dict as _logconfig_dict

# sun_path holds 108 bytes with the terminating NUL.
MAX_UNIX_SOCKET_PATH = 107


def unix_socket_path(directory: str, service: str) -> str:
    """``<directory>/<service>.sock``; exits with a clear message when the path cannot hold a
    socket. Touches nothing: a config file may run again when gunicorn reloads it, while the
    master already serves on the socket (``on_starting`` checks the socket, once per master)."""
    if not os.path.isabs(directory):
        # The entrypoint runs from the service's folder and the gateway from the repository's:
        # a relative directory would name two different places.
        raise SystemExit(f"SERVICE_SOCKET_DIR must be an absolute path, not {directory!r}")
    path = os.path.join(directory, f"{service}.sock")
    if len(path.encode()) > MAX_UNIX_SOCKET_PATH:
        raise SystemExit(
            f"SERVICE_SOCKET_DIR: {path} is longer than {MAX_UNIX_SOCKET_PATH} bytes, the limit of a "
            "unix socket path; choose a shorter directory"
        )
    return path


def prepare_unix_socket(path: str, service: str) -> None:
    """Make the socket's directory, and exit if another process is serving on ``path``: gunicorn
    would silently unlink a live socket, cutting the gateway off from the other server."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not os.path.exists(path):
        return
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(path)
        except OSError:
            return  # stale, left by a process that died: gunicorn replaces it
    raise SystemExit(f"{path}: another {service} web process is already serving on this socket")


# An empty value (a line copied from .env.example) counts as unset.
_tcp_bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT') or '8000'}"
# Natively (SERVICE_SOCKET_DIR set) the web process also listens on a unix socket, which the
# gateway on the same host proxies to: sync workers close every connection, and a unix
# socket's connect/accept costs less CPU than loopback TCP's (docs/benchmarks.md).
_socket_dir = os.environ.get("SERVICE_SOCKET_DIR")
_service = os.environ.get("SERVICE_NAME") or "service"
_unix_socket = unix_socket_path(_socket_dir, _service) if _socket_dir else None
bind = [_tcp_bind, *([f"unix:{_unix_socket}"] if _unix_socket else [])]
workers = int(os.environ.get("GUNICORN_WORKERS") or min(2 * multiprocessing.cpu_count(), 4))
# WEB_INTERFACE=asgi (servicekit.entrypoint) serves <service>.asgi with uvicorn's worker: async
# views hold no worker while they wait (a followed log), sync views run in its thread pool.
_asgi = (os.environ.get("WEB_INTERFACE") or "").strip() == "asgi"
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or (
    "servicekit.asgi_worker.ServiceUvicornWorker" if _asgi else "sync"
)
threads = int(os.environ.get("GUNICORN_THREADS") or "1")
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or "30")
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT") or "20")
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE") or "5")
# gunicorn's most (its default is 4094): the gateway takes request lines up to 8 KiB and refuses
# longer ones itself with its JSON 414; with gunicorn's default the 4-8 KiB ones got an HTML 414.
limit_request_line = 8190
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or "0")
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER") or "0")
accesslog = None  # the service logs each request itself, as JSON with the request id
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL") or "info"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1,::1"
proc_name = _service
# gunicorn's own lines (boot, worker deaths, timeouts) in the service's log format (LOG_FORMAT);
# ServiceLogger keeps gunicorn's access log off despite the logconfig_dict.
logger_class = "servicekit.observability.gunicorn.ServiceLogger"
logconfig_dict = _logconfig_dict(proc_name)
# gunicorn's control socket defaults to one path per user: several services on one host
# (every native run) would fight over it, and nothing here uses it.
control_socket_disable = True


def on_starting(server):
    """Once per master, before it binds. A master started by USR2 inherits the old master's
    listening sockets (``master_pid`` is the old one's): the live socket there is its own."""
    if _unix_socket and not getattr(server, "master_pid", 0):
        prepare_unix_socket(_unix_socket, _service)


def post_worker_init(worker):
    """Each worker fetches identity's keys as it starts, not on its first request."""
    from servicekit.auth.jwks import warm_up_in_background

    warm_up_in_background()


def child_exit(server, worker):
    """Keep multi-process Prometheus metrics correct when a worker dies."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics directory servicekit.entrypoint made for this run (native runs);
    a configured one (images) is left alone, and emptied by the next start."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    new_master_pid: int = getattr(server, "reexec_pid", 0)  # a new master (USR2) still uses it
    if not directory or new_master_pid:
        return
    if (Path(directory) / _TEMPORARY_METRICS_DIR_MARKER).exists():
        shutil.rmtree(directory, ignore_errors=True)
