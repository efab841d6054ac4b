"""A TCP proxy the tests put between a process and the broker, to break the path without
touching the broker itself: ``cut()`` closes every connection and refuses new ones,
``blackhole()`` keeps connections open but silently drops their bytes (only heartbeats can
tell), ``restore()`` lets traffic through again."""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class TcpProxy:
    def __init__(self, target_host: str = "127.0.0.1", target_port: int = 5672) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._accepting = True
        self._forwarding = True
        self._closed = False
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self.connections_accepted = 0
        self.first_connection_at: float | None = None  # time.monotonic() of the first client
        self._thread = threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)
        self._thread.start()

    def url(self, user: str = "guest", password: str = "guest") -> str:
        return f"amqp://{user}:{password}@127.0.0.1:{self.port}/%2F"

    def cut(self) -> None:
        """Drop every connection and refuse new ones until restore()."""
        self._accepting = False
        self._close_all()

    def blackhole(self) -> None:
        """Keep connections open but deliver nothing in either direction."""
        self._forwarding = False

    def restore(self) -> None:
        self._accepting = True
        self._forwarding = True

    def drop_connections(self) -> None:
        """Close every current connection (new ones are accepted)."""
        self._close_all()

    def close(self) -> None:
        self._closed = True
        self._close_all()
        self._listener.close()
        self._thread.join(timeout=2)

    def _close_all(self) -> None:
        with self._lock:
            doomed, self._sockets = self._sockets, set()
        for sock in doomed:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.first_connection_at is None:
                self.first_connection_at = time.monotonic()
            if not self._accepting:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=2)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            self.connections_accepted += 1
            with self._lock:
                self._sockets.update({client, upstream})
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if self._forwarding:
                    sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
