"""What analytics does with each event it consumes (registered in ``analytics/handlers.py``)."""

from analytics.events.services import event_store
from analytics.usage.services import usage_record_event
from servicekit.events import Event


def record_event(event: Event) -> None:
    """Keep the event; count it in its user's daily usage the first time only."""
    if event_store(event=event):
        usage_record_event(event=event)
