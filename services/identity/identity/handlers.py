"""The identity service's event subscriptions: the one explicit registry (event type → handler).

Add entries as ``subscribe("<type>", handler, reads=[<fields the handler uses>])``; see
``servicekit.events.registry``.
"""

from servicekit.events import BUILTIN_HANDLERS

HANDLERS = [
    *BUILTIN_HANDLERS,
]
