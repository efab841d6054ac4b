"""DRF's JSON parser, hardened: every body it cannot read is a 400 ``parse_error``.

DRF turns ``ValueError`` into ``ParseError`` but lets ``RecursionError`` through, so a body
of ``[[[[…`` nested a few thousand deep made any JSON endpoint answer 500 (and log a
traceback) for a few kilobytes of input. An unknown ``charset`` (``LookupError``) likewise.
"""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
        except LookupError as exc:  # codecs: charset=<unknown>
            raise ParseError(f"JSON parse error - unknown charset: {exc}") from None
        except ValueError as exc:  # DRF catches these itself; kept for any that slip past
            raise ParseError(f"JSON parse error - {exc}") from None
