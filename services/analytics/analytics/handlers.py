"""The analytics service's event subscriptions: the one explicit registry (event type → handler).

analytics keeps every event (``subscribe_all``): the handler receives each one whole, stores it
and counts it in daily usage. What it reads of payloads (the usage rules, the metrics) is listed
in ``PAYLOAD_READS`` below, which the contract test checks against the producers' schemas.
"""

from analytics.events.handlers import record_event
from analytics.metrics.selectors import METRIC_READS
from analytics.usage.rules import RULES
from servicekit.adminauth.handlers import SHADOW_USER_HANDLERS
from servicekit.events import BUILTIN_HANDLERS, subscribe_all

HANDLERS = [
    *BUILTIN_HANDLERS,
    *SHADOW_USER_HANDLERS,  # staff shadow users of this service's admin follow identity
    # Explicit name: it keys the inbox, so it must survive a move of the function.
    subscribe_all(record_event, name="analytics.record_event"),
]

# (type, version) → the payload fields analytics reads of it (an empty list: only the envelope).
PAYLOAD_READS: dict[tuple[str, int], list[str]] = {
    key: sorted({*METRIC_READS.get(key, []), *(RULES[key].reads if key in RULES else [])})
    for key in {*METRIC_READS, *RULES}
}

# Types whose producers are being written while this is: no schema in contracts/events yet. The
# names are the ones their issues give; the fields read are the fewest that do (see PAYLOAD_READS).
PENDING_SCHEMAS = frozenset(
    {
        "builds.build.published",
        "builds.build.failed",
        "messaging.message.sent",
        "messaging.message.delivered",
        "messaging.message.read",
    }
)
