"""A real JWKS endpoint for tests: serves ``{"keys": [...]}``, counts fetches, rotates keys.

::

    server = JwksServer(token_factory.jwks()).start()
    server.jwks_url                       # point SERVICEKIT["JWT"]["JWKS_URL"] here
    server.publish(token_factory.public_jwk(new_kid))   # add a key at run time
    server.withdraw(old_kid)              # stop publishing one
    server.available = False              # answer 503, as a broken identity would
    server.fetch_count                    # how many times the keys were fetched
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from servicekit.testing.http_server import LocalHttpServer, RecordedRequest

JWKS_PATH = "/.well-known/jwks.json"


class JwksServer(LocalHttpServer):
    def __init__(self, document: dict[str, Any] | None = None) -> None:
        super().__init__(self._answer)
        self._keys_lock = threading.Lock()
        self._keys: list[dict[str, Any]] = []
        self.available = True
        self.set_document(document or {"keys": []})

    @property
    def jwks_url(self) -> str:
        return self.url + JWKS_PATH

    @property
    def fetch_count(self) -> int:
        return self.request_count

    @property
    def kids(self) -> list[str]:
        with self._keys_lock:
            return [key["kid"] for key in self._keys]

    def set_document(self, document: dict[str, Any]) -> None:
        """Replace the whole published key set."""
        with self._keys_lock:
            self._keys = copy.deepcopy(list(document["keys"]))

    def publish(self, *jwks: dict[str, Any]) -> None:
        """Add (or replace, by ``kid``) public keys."""
        with self._keys_lock:
            new_kids = {jwk["kid"] for jwk in jwks}
            self._keys = [key for key in self._keys if key["kid"] not in new_kids]
            self._keys.extend(copy.deepcopy(list(jwks)))

    def withdraw(self, kid: str) -> None:
        with self._keys_lock:
            self._keys = [key for key in self._keys if key["kid"] != kid]

    def _answer(self, request: RecordedRequest) -> tuple[int, Any]:
        if not self.available:
            return 503, {"error": {"code": "unavailable", "message": "down for the test"}}
        if request.method != "GET" or request.path.split("?")[0] != JWKS_PATH:
            return 404, {"error": {"code": "not_found", "message": request.path}}
        with self._keys_lock:
            return 200, {"keys": copy.deepcopy(self._keys)}
