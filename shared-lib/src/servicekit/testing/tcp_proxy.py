"""A TCP proxy a test controls: put it between processes and a server (RabbitMQ, Postgres) and
break the path at will, as a failed switch or a partition would, without touching the server.

    proxy = TcpProxy(("127.0.0.1", 5672)).start()      # listens on proxy.port
    proxy.cut()        # every open connection is reset, new ones are refused
    proxy.blackhole()  # connections stay open but no byte gets through (only heartbeats tell)
    proxy.restore()    # connections are accepted (and forwarded) again
    proxy.stop()

Threads, not asyncio: each connection is two blocking copy loops. ``cut()`` closes the
listening socket too, so a client sees "connection refused" while the path is down (not a
connection that hangs), and each cut is recorded in ``windows`` (monotonic start, end).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time


class TcpProxy:
    def __init__(self, upstream: tuple[str, int], *, port: int = 0, name: str = "") -> None:
        self.upstream = upstream
        self.name = name or f"{upstream[0]}:{upstream[1]}"
        self.port = port
        self.windows: list[tuple[float, float | None]] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._connections: set[socket.socket] = set()
        self._stopped = False
        self._forwarding = True
        self.connections_accepted = 0  # forwarded to the server
        self.first_connection_at: float | None = None  # time.monotonic() of the first client

    # -- control ---------------------------------------------------------------------------

    def start(self) -> TcpProxy:
        self._listen()
        return self

    def stop(self) -> None:
        self._stopped = True
        self._close_listener()
        self._reset_all()

    def url(self, user: str = "guest", password: str = "guest", vhost: str = "%2F") -> str:
        """An AMQP URL through the proxy (for a proxy in front of RabbitMQ)."""
        return f"amqp://{user}:{password}@127.0.0.1:{self.port}/{vhost}"

    def blackhole(self) -> None:
        """Keep every connection open but deliver nothing either way until :meth:`restore`:
        a partition, which no FIN or RST announces."""
        self._forwarding = False

    @property
    def is_cut(self) -> bool:
        return bool(self.windows) and self.windows[-1][1] is None

    def cut(self) -> None:
        """Refuse new connections and reset every open one."""
        with self._lock:
            if self.is_cut:
                return
            self.windows.append((time.monotonic(), None))
        self._close_listener()
        self._reset_all()

    def restore(self) -> None:
        self._forwarding = True
        with self._lock:
            if not self.is_cut:
                return
            started, _ = self.windows[-1]
            self.windows[-1] = (started, time.monotonic())
        self._listen()

    # -- plumbing --------------------------------------------------------------------------

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        deadline = time.monotonic() + 10
        while True:  # the port of a just-closed listener can take a moment to come back
            try:
                listener.bind(("127.0.0.1", self.port))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        listener.listen(128)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept_loop, args=(listener,), daemon=True).start()

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()

    def _reset_all(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, set()
        for sock in connections:
            _reset(sock)

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by cut() or stop()
            if self.first_connection_at is None:
                self.first_connection_at = time.monotonic()
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                if self._listener is not listener:  # cut while connecting
                    _reset(client)
                    _reset(server)
                    continue
                self._connections.update((client, server))
                self.connections_accepted += 1
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                if self._forwarding:
                    target.sendall(chunk)
        except OSError:
            pass
        finally:
            with self._lock:
                owned = source in self._connections
                self._connections.discard(source)
                self._connections.discard(target)
            if owned:  # one side ended: end the other (a reset connection was closed already)
                _close(target)
                _close(source)


def _reset(sock: socket.socket) -> None:
    """Close with an RST, as a dropped path looks to both ends."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    _close(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
