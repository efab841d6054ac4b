"""Contract test: every handler in the registry reads only fields its producer's schema promises."""

from servicekit.testing.contracts import assert_handlers_match_producer_schemas


def test_handlers_read_only_what_their_producers_publish():
    assert_handlers_match_producer_schemas("analytics.handlers")
