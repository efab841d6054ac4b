"""Table names, shared by the models and the hand-written SQL (importable before apps load)."""

OUTBOX_TABLE = "event_outbox"
INBOX_TABLE = "event_inbox"
