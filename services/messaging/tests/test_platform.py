"""Health, envelopes, request ids, OpenAPI, metrics and admin: the platform's common contract."""

from servicekit.testing.conformance import PlatformConformance


class TestPlatformConformance(PlatformConformance):
    pass
