"""Response envelopes: every JSON answer is ``{"data"|"error": …, "meta": {…}}``."""

from servicekit.envelope.errors import ApplicationError, Conflict, envelope_error

__all__ = ["ApplicationError", "Conflict", "envelope_error"]
