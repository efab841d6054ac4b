"""The messaging service's event subscriptions: the one explicit registry (event type → handler).

Add entries as ``subscribe("<type>", handler, reads=[<fields the handler uses>])``; see
``servicekit.events.registry``.
"""

from servicekit.adminauth.handlers import SHADOW_USER_HANDLERS
from servicekit.events import BUILTIN_HANDLERS

HANDLERS = [
    *BUILTIN_HANDLERS,
    *SHADOW_USER_HANDLERS,  # staff shadow users of this service's admin follow identity
]
