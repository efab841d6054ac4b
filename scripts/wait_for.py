#!/usr/bin/env python3
"""Wait until each NAME=HOST:PORT accepts TCP connections; say which did not."""

from __future__ import annotations

import argparse
import socket
import sys
import time


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("targets", nargs="+", metavar="NAME=HOST:PORT")
    parser.add_argument("--timeout", type=float, default=20)
    args = parser.parse_args(argv)
    pending = {}
    for target in args.targets:
        name, _, address = target.partition("=")
        host, _, port = address.rpartition(":")
        pending[name] = (host, int(port))
    deadline = time.monotonic() + args.timeout
    while pending and time.monotonic() < deadline:
        pending = {n: a for n, a in pending.items() if not reachable(*a)}
        if pending:
            time.sleep(0.5)
    for name, (host, port) in pending.items():
        print(f"{name} is not reachable at {host}:{port}", file=sys.stderr)
    return 1 if pending else 0


if __name__ == "__main__":
    sys.exit(main())
