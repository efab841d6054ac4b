"""Helpers of the builds end-to-end tests and bench/builds.py."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from tests.harness import ROOT, Platform


def load_test_content() -> ModuleType:
    """The builds suite's test content helpers (an app made with the real tools, ostree pull,
    flatpak remote-ls), loaded by path: both test trees are packages named ``tests``."""
    path = ROOT / "services" / "builds" / "tests" / "flatpak.py"
    spec = importlib.util.spec_from_file_location("builds_test_content", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def builds_shell(platform: Platform, code: str) -> object:
    """Run ``code`` in the builds service's Django shell; it prints one JSON value, returned."""
    return platform.shell("builds", code)
